#!/usr/bin/python3
"""Capture-replay tests: tools/replay against a live wsgate on a TAP.

    test_replay.py WSGATE local    every capture in captures/ against expected/NAME.json
    test_replay.py WSGATE shared   the plain ws:// captures of ../shared/captures
                                   (WSGATE_CAPTURES overrides; skipped, exit 77, when absent)

For each capture: dumpcap records the TAP while tools/replay --json replays
it; the flows' handshake status, messages each way, close codes, resets and
the server's FIN must match the golden file (written by hand from RFC 6455 /
9293), and the tool must find no difference from an echo server's duty.
Then tshark dissects the recording and the test fails on:

  * a malformed frame (_ws.malformed), WebSocket included;
  * a bad IPv4 or TCP checksum (-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE);
  * a TCP analysis flag on a segment wsgate sent, unless the capture itself
    induces it (allowed_server_flags in the golden file: duplicate ACKs answer
    injected out-of-order/duplicate segments, zero-window probes answer an
    injected zero window) -- a retransmission, out-of-order or lost segment,
    ACK of unseen data, zero window, window exceeded or a probe nobody asked
    for is wsgate misbehaving on a loss-free TAP.  Window updates are never
    errors.  A segment flagged as a retransmission whose bytes no earlier
    frame from wsgate carried is the first copy, recorded late (the replay
    client's socket got it, and ACKed it, before dumpcap's did) and is
    reported as capture_order_*, not failed.  Segments the replay client sent are not judged (the captures
    inject retransmissions, duplicates and zero windows on purpose).

After every capture, /metrics must show no connection left live.
"""

import json
import os
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import wsgate_env as W  # noqa: E402

TOOL = os.path.join(ROOT, "tools", "replay")
CAPTURES = os.path.join(HERE, "captures")
EXPECTED = os.path.join(HERE, "expected")
HANDSHAKE_TIMEOUT_MS = 1500
SKIP = 77

SERVER_FLAGS = ["retransmission", "fast_retransmission", "spurious_retransmission", "out_of_order",
                "lost_segment", "ack_lost_segment", "duplicate_ack", "zero_window", "window_full",
                "keep_alive", "keep_alive_ack", "zero_window_probe", "zero_window_probe_ack",
                "reused_ports"]


RETRANSMISSION_FLAGS = {"retransmission", "spurious_retransmission", "fast_retransmission"}


def shared_dir():
    env = os.environ.get("WSGATE_CAPTURES")
    if env:
        return env if os.path.isdir(env) else None
    for cand in (os.path.join(ROOT, "..", "shared", "captures"), "/work/shared/captures"):
        if os.path.isdir(cand):
            return os.path.normpath(cand)
    return None


class Dumpcap:
    def __init__(self, env, path):
        self.path = path
        self.errpath = path + ".stderr"
        with open(self.errpath, "wb") as err:
            self.p = subprocess.Popen(env.ns.cmd(["dumpcap", "-q", "-P", "-i", env.tap, "-w", path]),
                                      stdout=subprocess.DEVNULL, stderr=err)
        W.add_cleanup(self.stop)
        W.wait_for(lambda: (os.path.exists(path) and os.path.getsize(path) > 0) or self.p.poll() is not None,
                   10, what="dumpcap to start")
        if self.p.poll() is not None:
            with open(self.errpath, "rb") as err:
                raise W.TestFailure(f"dumpcap exited {self.p.returncode}: {err.read()[-500:]!r}")
        time.sleep(0.3)

    def stop(self):
        if self.p.poll() is None:
            time.sleep(0.3)   # the last segments
            self.p.send_signal(signal.SIGTERM)
            try:
                self.p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait(timeout=5)


def tshark_problems(path, target, allowed):
    """Problems tshark finds in the recording (see module doc)."""
    fields = ["frame.number", "ip.src", "tcp.srcport", "_ws.malformed", "tcp.checksum.status",
              "ip.checksum.status"] + [f"tcp.analysis.{f}" for f in SERVER_FLAGS]
    argv = ["tshark", "-r", path, "-n", "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
            "-o", "tcp.analyze_sequence_numbers:TRUE",
            "-Y", "_ws.malformed || tcp.analysis.flags || tcp.checksum.status == 2 || ip.checksum.status == 2",
            "-T", "fields", "-E", "occurrence=f"]
    for f in fields:
        argv += ["-e", f]
    p = subprocess.run(argv, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    W.check(p.returncode == 0, f"tshark failed on {path}: {p.stderr[-500:]}")
    sent_before = first_copies(path, target)
    problems, seen = [], {}
    for line in p.stdout.splitlines():
        v = line.split("\t")
        v += [""] * (len(fields) - len(v))
        num, src = v[0], v[1]
        if v[3]:
            problems.append(f"frame {num} from {src}: malformed (tshark _ws.malformed)")
        if v[4] == "2" or v[5] == "2":
            problems.append(f"frame {num} from {src}: bad {'TCP' if v[4] == '2' else 'IPv4'} checksum")
        if src != target:
            continue
        for name, val in zip(SERVER_FLAGS, v[6:]):
            if val:
                if name in RETRANSMISSION_FLAGS and not sent_before.get(int(num), True):
                    # First copy of these bytes in the recording: the replay
                    # client read it (and ACKed it) before dumpcap's socket got
                    # it, an ordering of two AF_PACKET sockets, not a resend.
                    name = "capture_order_" + name
                    seen[name] = seen.get(name, 0) + 1
                    continue
                seen[name] = seen.get(name, 0) + 1
                if name not in allowed:
                    problems.append(f"frame {num} from wsgate: tcp.analysis.{name}")
    return problems, seen


def first_copies(path, target):
    """frame number -> whether an earlier frame from `target` in the same TCP
    stream carried any of the same sequence space (a true retransmission)."""
    argv = ["tshark", "-r", path, "-n", "-Y", f"ip.src == {target} && tcp", "-T", "fields",
            "-e", "frame.number", "-e", "tcp.stream", "-e", "tcp.seq_raw", "-e", "tcp.len",
            "-e", "tcp.flags.syn", "-e", "tcp.flags.fin"]
    p = subprocess.run(argv, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    W.check(p.returncode == 0, f"tshark failed on {path}: {p.stderr[-500:]}")
    ranges, out = {}, {}
    for line in p.stdout.splitlines():
        num, stream, seq, ln, syn, fin = (line.split("\t") + [""] * 6)[:6]
        space = int(ln or 0) + (syn in ("1", "True")) + (fin in ("1", "True"))
        if space == 0:
            continue
        lo = int(seq)
        hi = (lo + space) & 0xFFFFFFFF
        seen = ranges.setdefault(stream, [])
        out[int(num)] = any(((lo - a) & 0xFFFFFFFF) < ((b - a) & 0xFFFFFFFF) or
                            ((a - lo) & 0xFFFFFFFF) < ((hi - lo) & 0xFFFFFFFF) for a, b in seen)
        seen.append((lo, hi))
    return out


def run_replay(env, capture, client_addr, port_map=None):
    argv = ["/usr/bin/python3", TOOL, capture, "--iface", env.tap, "--target", W.APPLIANCE_ADDR,
            "--client-addr", client_addr, "--json", "--timeout", "20", "--response-timeout", "5"]
    if port_map:
        argv += ["--port-map", port_map]
    p = subprocess.run(env.ns.cmd(argv), text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    W.check(p.returncode in (0, 1), f"tools/replay exited {p.returncode}: {p.stderr[-2000:]}")
    try:
        return json.loads(p.stdout), p.returncode
    except ValueError:
        raise W.TestFailure(f"tools/replay printed no JSON: {p.stdout[-500:]} {p.stderr[-1000:]}")


def compare(golden, result):
    """Golden flows vs the tool's flows -> list of mismatches."""
    bad = []
    gf, rf = golden["flows"], result["flows"]
    if len(gf) != len(rf):
        return [f"{len(rf)} flows replayed, golden has {len(gf)}"]
    for i, (g, r) in enumerate(zip(gf, rf), 1):
        def m(what, got, want):
            if got != want:
                bad.append(f"flow {i}: {what} {got!r}, golden {want!r}")
        if r["status"] not in g["status"]:
            bad.append(f"flow {i}: status {r['status']}, golden {g['status']}")
        m("client messages", r["client"]["messages"], g["client_messages"])
        m("server messages", r["server"]["messages"], g["server_messages"])
        m("close codes", r["close_codes"], g["close_codes"])
        m("resets", {k: r["resets"][k] for k in ("client", "server")}, g["resets"])
        m("server FIN", r["fins"]["server"], g["server_fin"])
        for d in r["differences"]:
            bad.append(f"flow {i}: tools/replay: {d}")
    return bad


def print_summary(result):
    for r in result["flows"]:
        print(f"    flow {r['flow']} {r['replayed']}: status {r['status']}; "
              f"client {r['client']['messages']} -> server {r['server']['messages']}; "
              f"resets {r['resets']}; FIN {r['fins']}; tcp {r['tcp']}"
              + (f"; notes {r['notes']}" if r["notes"] else ""), flush=True)


def run_set(env, items):
    """items: (name, capture path, golden dict). Returns failures."""
    failures = []
    outdir = os.path.join(env.wsgate.logdir, "replay-out")
    os.makedirs(outdir, exist_ok=True)
    for k, (name, path, golden) in enumerate(items):
        client_addr = f"198.18.0.{100 + 4 * k}"
        W.log(f"== {name} (from {client_addr})")
        out = os.path.join(outdir, name.replace(".pcap", "") + ".out.pcap")
        dc = Dumpcap(env, out)
        try:
            result, rc = run_replay(env, path, client_addr, golden.get("port_map"))
        finally:
            dc.stop()
        print_summary(result)
        problems = compare(golden, result)
        tp, seen = tshark_problems(out, W.APPLIANCE_ADDR, set(golden.get("allowed_server_flags", [])))
        problems += tp
        if seen:
            print(f"    tshark flags on wsgate's segments: {seen}")
        if rc != 0 and not problems:
            problems.append(f"tools/replay exited {rc}")
        with env.ns.entered():
            try:
                W.wait_no_live_connections(timeout=10)
            except W.TestFailure as e:
                problems.append(str(e))
        if problems:
            print(f"  FAIL {name} (recording kept: {out})")
            for p in problems:
                print(f"    - {p}")
            failures.append(name)
        else:
            print(f"  PASS {name}", flush=True)
    return failures


def local_items():
    items = []
    for fn in sorted(os.listdir(CAPTURES)):
        if not fn.endswith(".pcap"):
            continue
        gpath = os.path.join(EXPECTED, fn[:-5] + ".json")
        W.check(os.path.isfile(gpath), f"captures/{fn} has no golden file expected/{fn[:-5]}.json")
        with open(gpath) as f:
            items.append((fn, os.path.join(CAPTURES, fn), json.load(f)))
    W.check(items, "no captures in tests/replay/captures")
    return items


def shared_items(d):
    with open(os.path.join(EXPECTED, "shared-captures.json")) as f:
        spec = json.load(f)
    items = []
    for fn in sorted(os.listdir(d)):
        if not fn.endswith((".pcap", ".pcapng")):
            continue
        if fn in spec["skip"]:
            print(f"  SKIP {fn}: {spec['skip'][fn]}")
            continue
        g = spec["captures"].get(fn)
        if g is None:
            # a capture added after the golden file: the tool's own echo check still applies
            print(f"  note: {fn} has no entry in expected/shared-captures.json; checking echo answers only")
            g = {"flows": None}
        items.append((fn, os.path.join(d, fn), g))
    return items


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in ("local", "shared"):
        print(f"usage: {sys.argv[0]} WSGATE local|shared", file=sys.stderr)
        sys.exit(2)
    mode = sys.argv[2]
    if mode == "shared":
        d = shared_dir()
        if d is None:
            print("SKIP: no shared captures (../shared/captures next to the checkout, or WSGATE_CAPTURES)")
            sys.exit(SKIP)
        print(f"shared captures from {d}")
        items = shared_items(d)
    else:
        items = local_items()

    def test(env):
        nonlocal items
        fixed = []
        for name, path, g in items:
            if g.get("flows") is None:
                # golden = "every flow as the tool expects": build it from the tool's count
                g = dict(g, flows=None)
            fixed.append((name, path, g))
        failures = run_set(env, [(n, p, g) for n, p, g in fixed if g["flows"] is not None])
        for name, path, g in fixed:
            if g["flows"] is None:
                result, rc = run_replay(env, path, "198.18.0.240", g.get("port_map"))
                print_summary(result)
                if rc != 0:
                    failures.append(name)
        W.check(not failures, f"{len(failures)} of {len(items)} captures failed: {', '.join(failures)}")
        print(f"{len(items)} captures replayed, all as expected")

    W.main(test, "rpl" + mode[:2], extra=["--handshake-timeout", str(HANDSHAKE_TIMEOUT_MS)])


if __name__ == "__main__":
    main()
