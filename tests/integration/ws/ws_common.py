"""Helpers shared by the WebSocket integration tests (tests/integration/ws).

The namespace/TAP/wsgate lifecycle comes from ../wsgate_env.py (owned by the
integration harness); this module adds what only WebSocket tests need:
hand-built client frames, a parser for server frames, a raw opening handshake
and helpers to run node scripts and throwaway HTTP servers inside the test's
namespace, always cleaned up by PID.
"""

import base64
import hashlib
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

import wsgate_env as W  # noqa: E402

WS_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


def accept_for(key):
    return base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()


def new_key(seed=None):
    return base64.b64encode(os.urandom(16) if seed is None else hashlib.md5(seed).digest()).decode()


def frame(opcode, payload=b"", fin=True, rsv=0, mask=True, len_form=None, length=None,
          mask_key=None):
    """A client frame. len_form forces the length encoding (7, 16 or 64) to
    build non-minimal encodings; length overrides the declared length."""
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload) if length is None else length
    b0 = (0x80 if fin else 0) | ((rsv & 7) << 4) | (opcode & 0xF)
    m = 0x80 if mask else 0
    if len_form is None:
        len_form = 7 if n <= 125 else (16 if n <= 0xFFFF else 64)
    if len_form == 7:
        head = bytes([b0, m | n])
    elif len_form == 16:
        head = bytes([b0, m | 126]) + struct.pack("!H", n)
    else:
        head = bytes([b0, m | 127]) + struct.pack("!Q", n)
    if not mask:
        return head + payload
    key = mask_key if mask_key is not None else os.urandom(4)
    return head + key + xor_mask(payload, key)


def xor_mask(payload, key):
    if not payload:
        return b""
    # int arithmetic keeps a 1 MiB mask fast without numpy
    n = len(payload)
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def close_payload(code, reason=b""):
    if isinstance(reason, str):
        reason = reason.encode()
    return struct.pack("!H", code) + reason


class Closed(Exception):
    """The server ended the TCP connection (EOF or reset) while we waited."""


class Conn:
    """A raw TCP connection with a receive buffer. Every wait is bounded."""

    def __init__(self, host=W.APPLIANCE_ADDR, port=W.HTTP_PORT, timeout=10.0):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.eof = False
        self.reset = False

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def send(self, data):
        self.sock.sendall(data)

    def send_split(self, data, step=1, pause=0.002):
        """Send data in step-byte TCP segments (TCP_NODELAY + a pause so the
        kernel does not coalesce them)."""
        for i in range(0, len(data), step):
            self.sock.sendall(data[i:i + step])
            time.sleep(pause)

    def _fill(self, deadline):
        if self.eof:
            raise Closed("eof")
        left = deadline - time.monotonic()
        if left <= 0:
            raise socket.timeout("deadline")
        self.sock.settimeout(min(left, 1.0))
        try:
            chunk = self.sock.recv(262144)
        except socket.timeout:
            return
        except ConnectionResetError:
            self.eof = True
            self.reset = True
            raise Closed("reset")
        if not chunk:
            self.eof = True
            raise Closed("eof")
        self.buf += chunk

    def read_exact(self, n, timeout=10.0):
        deadline = time.monotonic() + timeout
        for _ in range(100000):
            if len(self.buf) >= n:
                out = bytes(self.buf[:n])
                del self.buf[:n]
                return out
            self._fill(deadline)
        raise socket.timeout("too many reads")

    def read_head(self, timeout=10.0, limit=65536):
        """Read an HTTP response head. Returns (status, headers{lower: value},
        raw head). Extra bytes stay in the buffer."""
        deadline = time.monotonic() + timeout
        for _ in range(100000):
            i = self.buf.find(b"\r\n\r\n")
            if i >= 0:
                raw = bytes(self.buf[:i + 4])
                del self.buf[:i + 4]
                return parse_head(raw)
            if len(self.buf) > limit:
                raise W.TestFailure(f"response head above {limit} bytes")
            self._fill(deadline)
        raise socket.timeout("too many reads")

    def read_http_response(self, timeout=10.0):
        """Head plus Content-Length body."""
        status, headers, raw = self.read_head(timeout)
        n = int(headers.get("content-length", "0") or 0)
        body = self.read_exact(n, timeout) if n else b""
        return status, headers, raw, body

    def read_frame(self, timeout=10.0):
        """One server frame -> (fin, rsv, opcode, payload). Server frames
        must not be masked (RFC 6455 5.1)."""
        h = self.read_exact(2, timeout)
        fin = bool(h[0] & 0x80)
        rsv = (h[0] >> 4) & 7
        op = h[0] & 0xF
        masked = bool(h[1] & 0x80)
        n = h[1] & 0x7F
        if n == 126:
            n = struct.unpack("!H", self.read_exact(2, timeout))[0]
        elif n == 127:
            n = struct.unpack("!Q", self.read_exact(8, timeout))[0]
        if masked:
            raise W.TestFailure(f"server sent a masked frame (opcode {op:#x}, {n} bytes)")
        if n > (64 << 20):
            raise W.TestFailure(f"server frame claims {n} bytes")
        payload = self.read_exact(n, timeout)
        return fin, rsv, op, payload

    def read_message(self, timeout=30.0):
        """A whole data message (reassembling continuations); control frames
        seen on the way are returned in a list."""
        controls = []
        deadline = time.monotonic() + timeout
        first_op = None
        parts = []
        for _ in range(1 << 20):
            fin, rsv, op, payload = self.read_frame(max(0.1, deadline - time.monotonic()))
            if rsv:
                raise W.TestFailure(f"server frame with RSV bits {rsv:#x}")
            if op >= 8:
                controls.append((op, payload))
                if op == OP_CLOSE:
                    return None, b"".join(parts), controls
                continue
            if first_op is None:
                if op == OP_CONT:
                    raise W.TestFailure("server sent a continuation with no message open")
                first_op = op
            elif op != OP_CONT:
                raise W.TestFailure(f"server started a new message (opcode {op}) inside a fragmented one")
            parts.append(payload)
            if fin:
                return first_op, b"".join(parts), controls
        raise W.TestFailure("message never finished")

    def wait_eof(self, timeout=5.0):
        """True when the server closed TCP (FIN) within timeout; raises on a
        reset or on data where none should be."""
        deadline = time.monotonic() + timeout
        if self.buf:
            raise W.TestFailure(f"unexpected {len(self.buf)} bytes after close: {bytes(self.buf[:40])!r}")
        for _ in range(int(timeout * 10) + 10):
            try:
                self._fill(deadline)
            except Closed:
                if self.reset:
                    raise W.TestFailure("server reset the TCP connection (RST) instead of closing it with FIN")
                return True
            except socket.timeout:
                return False
            if self.buf:
                raise W.TestFailure(f"unexpected bytes where the server should close: {bytes(self.buf[:40])!r}")
        return False


def parse_head(raw):
    text = raw.decode("latin-1")
    lines = text.split("\r\n")
    m = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    if not m:
        raise W.TestFailure(f"bad status line {lines[0]!r}")
    headers = {}
    for line in lines[1:]:
        if not line:
            continue
        k, _, v = line.partition(":")
        k = k.strip().lower()
        headers[k] = (headers[k] + ", " + v.strip()) if k in headers else v.strip()
    return int(m.group(1)), headers, raw


def upgrade_request(path="/", key=None, host=f"{W.APPLIANCE_ADDR}:{W.HTTP_PORT}", version="13",
                    method="GET", http="HTTP/1.1", connection="Upgrade", upgrade="websocket",
                    extra=(), omit=()):
    key = key if key is not None else new_key()
    fields = [("Host", host), ("Upgrade", upgrade), ("Connection", connection),
              ("Sec-WebSocket-Key", key), ("Sec-WebSocket-Version", version)]
    lines = [f"{method} {path} {http}"]
    for k, v in fields:
        if k not in omit and v is not None:
            lines.append(f"{k}: {v}")
    for k, v in extra:
        lines.append(f"{k}: {v}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode(), key


def open_ws(path="/", timeout=10.0, **kw):
    """Connect and complete the opening handshake; returns the Conn.
    Raises TestFailure unless the answer is a correct 101."""
    c = Conn(timeout=timeout)
    try:
        req, key = upgrade_request(path, **kw)
        c.send(req)
        status, headers, raw = c.read_head(timeout)
        check_101(status, headers, raw, key)
        return c
    except BaseException:
        c.close()
        raise


def check_101(status, headers, raw, key):
    W.check(status == 101, f"expected 101, got {status}: {raw[:300]!r}")
    W.check(headers.get("upgrade", "").lower() == "websocket", f"101 without Upgrade: websocket: {raw!r}")
    W.check("upgrade" in [t.strip().lower() for t in headers.get("connection", "").split(",")],
            f"101 without Connection: Upgrade: {raw!r}")
    W.check(headers.get("sec-websocket-accept") == accept_for(key),
            f"Sec-WebSocket-Accept {headers.get('sec-websocket-accept')!r} != {accept_for(key)!r}")


# --------------------------------------------------------------------------
# processes inside the namespace
# --------------------------------------------------------------------------
def start_in_ns(ns, argv, logpath, cwd=None, env=None):
    """Popen inside the namespace, registered for cleanup by PID."""
    logf = open(logpath, "wb")
    p = subprocess.Popen(ns.cmd(argv), stdin=subprocess.DEVNULL, stdout=logf,
                         stderr=subprocess.STDOUT, cwd=cwd, env=env, start_new_session=True)

    def stop():
        if p.poll() is None:
            # our own child's process group (start_new_session): the command and
            # anything it spawned (chromium's helpers), nothing else
            try:
                os.killpg(p.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait(timeout=10)
        logf.close()

    W.add_cleanup(stop)
    p.stop = stop
    return p


def wait_tcp_listen(ns, host, port, timeout=15.0):
    def up():
        with ns.entered():
            try:
                with socket.create_connection((host, port), timeout=1):
                    return True
            except OSError:
                return False
    W.wait_for(up, timeout, interval=0.2, what=f"{host}:{port} listening in {ns.name}")


NODE_SETUP_HINT = ("node_modules missing: run `npm ci --prefix tests/integration/ws` "
                   "(from the repository root; tools/setup should do it)")


def node_modules_ok(*pkgs):
    return all(os.path.isfile(os.path.join(HERE, "node_modules", p, "package.json")) for p in pkgs)


def run_node(ns, script, args, timeout, extra_env=None):
    """Run a node script from this directory inside the namespace, bounded in
    time; its output is printed. Returns the exit code."""
    env = dict(os.environ)
    env.update(extra_env or {})
    argv = ns.cmd(["timeout", "-k", "5", str(int(timeout)), "node", os.path.join(HERE, script)] + list(args))
    W.log("running: " + " ".join(argv))
    p = subprocess.run(argv, cwd=HERE, env=env, text=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=timeout + 20)
    print(p.stdout, flush=True)
    return p.returncode, p.stdout
