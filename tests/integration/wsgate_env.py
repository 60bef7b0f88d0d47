"""Shared harness for wsgate's integration tests.

Every test gets its own network namespace (``wsg-<name>-<pid>``) with no
default route, so nothing it sends can leave the machine.  wsgate runs inside
that namespace on a TAP interface (net_tap) whose kernel side gets
198.18.0.1/24 (RFC 2544 benchmarking range); the Linux kernel in the same
namespace is the peer.  The AF_XDP test instead uses a veth pair between the
wsgate namespace and a second namespace holding the client.

Cleanup always happens -- on success, on an assertion, on an exception, on
SIGTERM/SIGINT/SIGHUP (meson's timeout) and at interpreter exit: wsgate gets
SIGTERM (SIGKILL after a bound) and every namespace the test made is deleted.
On a clean run the harness also asserts what a user relies on: wsgate exits 0
on SIGTERM and leaves no TAP interface behind.

Every loop here is bounded in iterations and in time.
"""

import atexit
import contextlib
import ctypes
import os
import random
import re
import resource
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback

APPLIANCE_ADDR = "198.18.0.2"
APPLIANCE_CIDR = "198.18.0.2/24"
HOST_ADDR = "198.18.0.1"
HOST_CIDR = "198.18.0.1/24"
HTTP_PORT = 8080
ECHO_PORT = 7777

# Works on any machine: no hugepages, no shared config files, one lcore, and
# no PCI scan (the test must never grab a real NIC).
EAL_ARGS = ["--no-huge", "--no-shconf", "-m", "512", "-l", "0", "--no-pci"]

READY_LINE = "wsgate: ready"
READY_TIMEOUT = 60.0      # EAL init with --no-huge -m 512 touches 512 MiB
STOP_TIMEOUT = 15.0       # SIGTERM -> exit; then SIGKILL
NS_PREFIX = "wsg-"

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


class TestFailure(AssertionError):
    pass


def check(cond, msg):
    if not cond:
        raise TestFailure(msg)


def sh(cmd, timeout=30, check_rc=True, capture=True):
    """Run a command (list), bounded in time. Returns CompletedProcess."""
    try:
        p = subprocess.run(cmd, timeout=timeout, text=True,
                           stdout=subprocess.PIPE if capture else None,
                           stderr=subprocess.STDOUT if capture else None)
    except subprocess.TimeoutExpired as e:
        raise TestFailure(f"command timed out after {timeout}s: {' '.join(cmd)}\n{e.output or ''}")
    if check_rc and p.returncode != 0:
        raise TestFailure(f"command failed (rc={p.returncode}): {' '.join(cmd)}\n{p.stdout or ''}")
    return p


# --------------------------------------------------------------------------
# cleanup registry: runs once, in reverse order, whatever happens
# --------------------------------------------------------------------------
_cleanups = []
_cleanup_lock = threading.RLock()  # a signal may arrive while cleaning up


def add_cleanup(fn):
    _cleanups.append(fn)


def run_cleanups():
    with _cleanup_lock:
        while _cleanups:
            fn = _cleanups.pop()
            try:
                fn()
            except Exception:  # keep cleaning up the rest
                traceback.print_exc()


_stop_timeout = [STOP_TIMEOUT]


def _on_signal(signum, _frame):
    # meson's timeout sends SIGTERM to the whole process group (wsgate too)
    # and SIGKILL 0.5 s later: clean up quickly, namespaces included.
    log(f"got signal {signum}; cleaning up")
    _stop_timeout[0] = 0.3
    run_cleanups()
    os._exit(128 + signum)


atexit.register(run_cleanups)
for _sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
    signal.signal(_sig, _on_signal)


# --------------------------------------------------------------------------
# namespaces
# --------------------------------------------------------------------------
def _pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def sweep_stale_namespaces():
    """Delete wsg-*-<pid> namespaces whose creating test process is gone
    (left by a run that was SIGKILLed, where no handler could clean up)."""
    p = sh(["ip", "netns", "list"], check_rc=False)
    for line in (p.stdout or "").splitlines()[:1000]:
        name = line.split()[0] if line.split() else ""
        m = re.fullmatch(NS_PREFIX + r"[a-z0-9]+-(\d+)", name)
        if m and int(m.group(1)) != os.getpid() and not _pid_alive(int(m.group(1))):
            log(f"removing stale namespace {name}")
            sh(["ip", "netns", "del", name], check_rc=False)


class Netns:
    def __init__(self, tag):
        self.name = f"{NS_PREFIX}{tag}-{os.getpid()}"
        self.created = False

    def create(self):
        sh(["ip", "netns", "add", self.name])
        self.created = True
        add_cleanup(self.delete)
        sh(["ip", "-n", self.name, "link", "set", "lo", "up"])
        return self

    def delete(self):
        if self.created:
            self.created = False
            sh(["ip", "netns", "del", self.name], check_rc=False)

    def cmd(self, args):
        return ["ip", "netns", "exec", self.name] + list(args)

    def run(self, args, timeout=30, check_rc=True):
        return sh(self.cmd(args), timeout=timeout, check_rc=check_rc)

    def link_exists(self, ifname):
        return sh(["ip", "-n", self.name, "link", "show", "dev", ifname], check_rc=False).returncode == 0

    def link_info(self, ifname):
        return sh(["ip", "-n", self.name, "addr", "show", "dev", ifname], check_rc=False).stdout or ""

    @contextlib.contextmanager
    def entered(self):
        """Run the body (this thread, and threads it starts) inside the
        namespace; sockets created here belong to it for their whole life."""
        orig = os.open("/proc/self/ns/net", os.O_RDONLY)
        target = os.open(f"/run/netns/{self.name}", os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), f"setns({self.name}) failed")
            try:
                yield self
            finally:
                if _libc.setns(orig, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns(back) failed")
        finally:
            os.close(target)
            os.close(orig)


def wait_for(pred, timeout, interval=0.1, what="condition"):
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / interval) + 2):
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    raise TestFailure(f"timed out after {timeout}s waiting for {what}")


# --------------------------------------------------------------------------
# the appliance
# --------------------------------------------------------------------------
class Wsgate:
    def __init__(self, exe, ns, tap=None, iface=None, host_addr=HOST_CIDR, extra=()):
        self.exe = os.path.abspath(exe)
        self.ns = ns
        self.tap = tap
        self.iface = iface
        self.host_addr = host_addr
        self.extra = list(extra)
        self.proc = None
        self.logdir = tempfile.mkdtemp(prefix="wsgate-it-")
        self.logpath = os.path.join(self.logdir, "wsgate.log")
        self.exit_code = None

    def argv(self):
        opts = ["--addr", APPLIANCE_CIDR, "--stats-interval", "1"]
        if self.iface:
            opts += ["--iface", self.iface]
        else:
            opts += ["--tap", self.tap]
            if self.host_addr:
                opts += ["--host-addr", self.host_addr]
        return self.ns.cmd([self.exe] + EAL_ARGS + ["--"] + opts + self.extra)

    def start(self):
        argv = self.argv()
        log("starting: " + " ".join(argv))
        self._logf = open(self.logpath, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self._logf,
                                     stderr=subprocess.STDOUT)
        add_cleanup(self.kill)
        deadline = time.monotonic() + READY_TIMEOUT
        for _ in range(int(READY_TIMEOUT / 0.1) + 2):
            if READY_LINE in self.log_text():
                log(f"wsgate ready (pid {self.proc.pid})")
                return self
            if self.proc.poll() is not None:
                raise TestFailure(f"wsgate exited with {self.proc.returncode} before '{READY_LINE}'")
            if time.monotonic() >= deadline:
                break
            time.sleep(0.1)
        raise TestFailure(f"wsgate printed no '{READY_LINE}' within {READY_TIMEOUT}s")

    def log_text(self):
        try:
            with open(self.logpath, "rb") as f:
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self):
        """SIGTERM, bounded wait, SIGKILL. Returns the exit code (None if it
        had to be killed)."""
        if self.proc is None:
            return self.exit_code
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=_stop_timeout[0])
            except subprocess.TimeoutExpired:
                log(f"wsgate ignored SIGTERM for {_stop_timeout[0]}s; SIGKILL")
                self.proc.kill()
                self.proc.wait(timeout=10)
                self.exit_code = None
                self._close()
                return None
        self.exit_code = self.proc.returncode
        self._close()
        return self.exit_code

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.stop()
            except Exception:
                self.proc.kill()
        self._close()

    def _close(self):
        f = getattr(self, "_logf", None)
        if f and not f.closed:
            f.close()

    def print_log(self, tail=400):
        lines = self.log_text().splitlines()
        print(f"----- wsgate log ({self.logpath}, last {min(tail, len(lines))} of {len(lines)} lines) -----")
        for line in lines[-tail:]:
            print(line)
        print("----- end of wsgate log -----", flush=True)


# --------------------------------------------------------------------------
# environments
# --------------------------------------------------------------------------
class TapEnv:
    """wsgate on a TAP inside one namespace; the kernel there is the client."""

    def __init__(self, exe, name, extra=()):
        self.ns = Netns(name)
        self.tap = f"wsg{name[:8]}"
        self.exe = exe
        self.extra = extra
        self.wsgate = None
        self.client_ns = self.ns

    def up(self):
        self.ns.create()
        self.wsgate = Wsgate(self.exe, self.ns, tap=self.tap, extra=self.extra).start()
        # Never send to an address whose interface is missing: the TAP must be
        # there, up, and hold the host address before any traffic.
        wait_for(lambda: self.ns.link_exists(self.tap), 10, what=f"TAP {self.tap} in {self.ns.name}")
        wait_for(lambda: HOST_ADDR + "/" in self.ns.link_info(self.tap) and
                 ("state UP" in self.ns.link_info(self.tap) or ",UP" in self.ns.link_info(self.tap)),
                 10, what=f"{HOST_CIDR} on {self.tap}, up")
        route = self.ns.run(["ip", "route", "get", APPLIANCE_ADDR], check_rc=False).stdout or ""
        check(f"dev {self.tap}" in route, f"route to {APPLIANCE_ADDR} does not go via {self.tap}: {route}")
        log(f"{self.tap} in {self.ns.name}: " + " ".join(self.ns.link_info(self.tap).split()))
        return self

    def down(self):
        """Stop wsgate and check it shut down the way the README promises."""
        rc = self.wsgate.stop()
        check(rc == 0, f"wsgate did not exit 0 on SIGTERM (exit {rc}; None = needed SIGKILL)")
        try:
            wait_for(lambda: not self.ns.link_exists(self.tap), 2, what="the TAP to go")
        except TestFailure:
            raise TestFailure(f"TAP {self.tap} left behind after wsgate exited")
        check_no_tap(self.ns)


class XdpEnv:
    """wsgate on one end of a veth pair through AF_XDP (--iface); the other
    end and the client live in a second namespace."""

    def __init__(self, exe, name, extra=()):
        self.ns = Netns(name)
        self.client_ns = Netns(name + "c")
        self.exe = exe
        self.extra = extra
        self.wsgate = None
        self.dev = "wsgx0"
        self.peer = "wsgx1"

    def up(self):
        self.ns.create()
        self.client_ns.create()
        sh(["ip", "link", "add", self.dev, "netns", self.ns.name, "type", "veth",
            "peer", "name", self.peer, "netns", self.client_ns.name])
        sh(["ip", "-n", self.client_ns.name, "addr", "add", HOST_CIDR, "dev", self.peer])
        # The kernel leaves TCP checksums to the "hardware" on veth (partial
        # checksums) and may hand over GSO super-frames; an AF_XDP socket sees
        # the raw frame, so make the client side compute checksums and segment
        # in software, as a real NIC on the wire would deliver them.
        self.client_ns.run(["ethtool", "-K", self.peer, "tx", "off", "tso", "off", "gso", "off"],
                           check_rc=False)
        self.ns.run(["ethtool", "-K", self.dev, "rx", "off", "gro", "off"], check_rc=False)
        sh(["ip", "-n", self.ns.name, "link", "set", self.dev, "up"])
        sh(["ip", "-n", self.client_ns.name, "link", "set", self.peer, "up"])
        check(self.ns.link_exists(self.dev), f"{self.dev} missing in {self.ns.name}")
        check(self.client_ns.link_exists(self.peer), f"{self.peer} missing in {self.client_ns.name}")
        self.wsgate = Wsgate(self.exe, self.ns, iface=self.dev, extra=self.extra).start()
        wait_for(lambda: "state UP" in self.client_ns.link_info(self.peer) or
                 "LOWER_UP" in self.client_ns.link_info(self.peer), 10, what=f"{self.peer} up")
        log(f"{self.peer} in {self.client_ns.name}: " + " ".join(self.client_ns.link_info(self.peer).split()))
        return self

    def down(self):
        rc = self.wsgate.stop()
        check(rc == 0, f"wsgate did not exit 0 on SIGTERM (exit {rc}; None = needed SIGKILL)")
        check(self.ns.link_exists(self.dev), f"{self.dev} vanished (wsgate must leave a kernel interface it was given)")
        check_no_tap(self.ns)


def check_no_tap(ns):
    links = ns.run(["ip", "-d", "link", "show"], check_rc=False).stdout or ""
    check(not re.search(r"\btun type (tap|tun)\b", links), f"a TAP/TUN device is left in {ns.name}:\n{links}")


def main(test_fn, name, env_cls=TapEnv, extra=()):
    """Entry point of every test script: argv[1] is the wsgate binary."""
    if len(sys.argv) < 2:
        print(f"usage: {sys.argv[0]} PATH/TO/wsgate", file=sys.stderr)
        sys.exit(2)
    exe = sys.argv[1]
    if os.geteuid() != 0:
        print("integration tests need root (namespaces, TAP, AF_XDP)", file=sys.stderr)
        sys.exit(1)
    raise_nofile(8192)
    sweep_stale_namespaces()
    env = env_cls(exe, name, extra)
    ok = False
    try:
        env.up()
        test_fn(env)
        env.down()
        ok = True
    except Exception:
        traceback.print_exc()
    finally:
        if not ok and env.wsgate is not None:
            env.wsgate.kill()
            print(f"wsgate exit code: {env.wsgate.exit_code} (None = still running or SIGKILLed)")
            env.wsgate.print_log()
        run_cleanups()
    leftover = [n for n in (env.ns.name, env.client_ns.name)
                if n in (sh(["ip", "netns", "list"], check_rc=False).stdout or "")]
    if leftover:
        print(f"namespaces left behind: {leftover}")
        ok = False
    print(f"{name}: {'PASS' if ok else 'FAIL'}", flush=True)
    sys.exit(0 if ok else 1)


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(n, hard) if hard != resource.RLIM_INFINITY else n
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


# --------------------------------------------------------------------------
# clients (call inside env.client_ns.entered())
# --------------------------------------------------------------------------
def http_get(path, port=HTTP_PORT, host=APPLIANCE_ADDR, timeout=10.0):
    """Minimal HTTP/1.1 GET with Connection: close. Returns (status, headers, body)."""
    with socket.create_connection((host, port), timeout=timeout) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n".encode())
        buf = bytearray()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(buf) < (16 << 20):
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            if not chunk:
                break
            buf += chunk
            head, sep, body = bytes(buf).partition(b"\r\n\r\n")
            if sep:
                m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                if m and len(body) >= int(m.group(1)):
                    break
    head, sep, body = bytes(buf).partition(b"\r\n\r\n")
    check(sep, f"no complete HTTP response to GET {path}: {bytes(buf)[:300]!r}")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    return status, headers, body


METRIC_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([-+0-9.eEinfNa]+)')


def metrics():
    status, _, body = http_get("/metrics")
    check(status == 200, f"/metrics answered {status}")
    out = {}
    for line in body.decode("utf-8", "replace").splitlines():
        if line.startswith("#"):
            continue
        m = METRIC_RE.match(line)
        if m:
            out[(m.group(1), m.group(2) or "")] = float(m.group(3))
    return out


TCP_STATES = ["syn_received", "established", "fin_wait_1", "fin_wait_2", "close_wait",
              "closing", "last_ack", "time_wait"]


def conn_states(m):
    states = {}
    for (name, labels), v in m.items():
        if name == "wsgate_tcp_connections":
            mm = re.search(r'state="([a-z_0-9]+)"', labels)
            if mm:
                states[mm.group(1)] = int(v)
    check("established" in states,
          f'/metrics has no wsgate_tcp_connections{{state="established"}}: {sorted(k[0] for k in m)[:40]}')
    return states


def live_connections(states):
    """Connections other than TIME_WAIT (which the server legitimately holds)."""
    return sum(v for k, v in states.items() if k != "time_wait")


def wait_no_live_connections(timeout=15.0):
    """Poll /metrics until only the connection asking is live. Returns states."""
    last = {}
    deadline = time.monotonic() + timeout
    for _ in range(int(timeout / 0.25) + 2):
        last = conn_states(metrics())
        if live_connections(last) <= 1 and last.get("established", 0) <= 1:
            return last
        if time.monotonic() >= deadline:
            break
        time.sleep(0.25)
    raise TestFailure(f"connections still live after {timeout}s (only the /metrics request itself may be): {last}")


def echo_roundtrip(data, port=ECHO_PORT, host=APPLIANCE_ADDR, timeout=120.0):
    """Send data through the echo port while receiving concurrently (a
    sequential send-then-receive would deadlock once both windows fill).
    Returns the bytes received; closes cleanly (FIN, then wait for EOF)."""
    s = socket.create_connection((host, port), timeout=10)
    s.settimeout(1.0)
    deadline = time.monotonic() + timeout
    send_err = []

    def sender():
        try:
            view = memoryview(data)
            off = 0
            while off < len(view) and time.monotonic() < deadline:
                try:
                    off += s.send(view[off:off + 65536])
                except socket.timeout:
                    continue
            if off < len(view):
                send_err.append(f"sent only {off} of {len(view)} bytes in {timeout}s")
        except OSError as e:
            send_err.append(f"send failed: {e!r}")

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    got = bytearray()
    try:
        while len(got) < len(data) and time.monotonic() < deadline:
            try:
                chunk = s.recv(262144)
            except socket.timeout:
                continue
            if not chunk:
                break
            got += chunk
        t.join(timeout=max(0.0, deadline - time.monotonic()) + 1)
        check(not send_err, send_err[0] if send_err else "")
        check(len(got) == len(data),
              f"echo returned {len(got)} of {len(data)} bytes within {timeout}s")
        # Clean close: our FIN, then the server's.
        s.shutdown(socket.SHUT_WR)
        eof_deadline = time.monotonic() + 10
        extra = b""
        while time.monotonic() < eof_deadline:
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                break
            extra += chunk
        else:
            raise TestFailure("server did not close (FIN) within 10s after the client's FIN")
        check(not extra, f"{len(extra)} unexpected bytes after the echo")
    finally:
        s.close()
    return bytes(got)


def random_bytes(n, seed=None):
    rnd = random.Random(seed if seed is not None else os.getpid())
    return rnd.randbytes(n)


def first_difference(a, b):
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            return i
    return min(len(a), len(b))
