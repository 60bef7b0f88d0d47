#!/usr/bin/python3
"""20,000 WebSocket connections stay established through full TCP keepalive
cycles, and all still echo afterwards.

wsgate runs with --keepalive 2: a connection idle for 2 s gets a keepalive
probe, which the kernel client's socket answers by itself. wsload (built next
to wsgate: <build>/tools/wsload/wsload) opens 20,000 WebSockets from four
source addresses over two worker processes (a process may hold at most 20,000
files here), holds them idle for HOLD_S seconds, then every connection sends
one message that must come back (--check). While they are held, /metrics must
show every connection established, keepalive probes sent for at least every
connection, and no connection given up.

No assertion on speed: only counts. Every phase is bounded (wsload's own
bounds, and the communicate() timeout here)."""
import json
import os
import re
import subprocess
import sys
import time

import wsgate_env as W

N = 20000
KEEPALIVE_S = 2
HOLD_S = 10          # several keepalive idle periods
SOURCES = "198.18.0.64+4"   # on the TAP's /24, added to its kernel side below
WSLOAD_BOUND_S = 240


def wsload_path():
    exe = os.path.abspath(sys.argv[1])
    build = os.path.dirname(os.path.dirname(exe))  # <build>/app/wsgate -> <build>
    return os.path.join(build, "tools", "wsload", "wsload")


def counter(m, name):
    return int(sum(v for (n, _), v in m.items() if n == name))


def test(env):
    wsload = wsload_path()
    W.check(os.access(wsload, os.X_OK), f"wsload not built at {wsload}")
    for i in range(4):
        env.ns.run(["ip", "addr", "add", f"198.18.0.{64 + i}/32", "dev", env.tap])
    with env.client_ns.entered():
        probes_before = counter(W.metrics(), "wsgate_tcp_keepalive_probes_total")
        argv = [wsload, "--target", f"{W.APPLIANCE_ADDR}:{W.HTTP_PORT}", "--n", str(N), "--rate", "4000",
                "--src", SOURCES, "--per-worker", "10000", "--connect-timeout", "30", "--hold", str(HOLD_S),
                "--check", "--check-spread", "4", "--echo-timeout", "30", "--close", "fin", "--json"]
        W.log("running: " + " ".join(argv))
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        W.add_cleanup(lambda: p.poll() is None and p.kill())
        connected_at = None
        held = []
        try:
            # stderr: "wsload: connected ..." marks the start of the hold.
            for line in p.stderr:
                print("  " + line.rstrip(), flush=True)
                if line.startswith("wsload: connected"):
                    connected_at = time.monotonic()
                    m = re.search(r"established=(\d+)", line)
                    W.check(m and int(m.group(1)) == N, f"not every connection was established: {line.strip()}")
                    break
                if time.monotonic() - t0 > WSLOAD_BOUND_S:
                    break
            W.check(connected_at is not None, "wsload never reported its connections established")
            # Sample /metrics through the hold (it is one more connection).
            for _ in range(HOLD_S * 2):
                if time.monotonic() - connected_at > HOLD_S - 1.5:
                    break
                time.sleep(1.0)
                m = W.metrics()
                st = W.conn_states(m)
                held.append((round(time.monotonic() - connected_at, 1), st.get("established", 0),
                             counter(m, "wsgate_tcp_keepalive_probes_total") - probes_before,
                             counter(m, "wsgate_tcp_timeouts_total")))
            out, err = p.communicate(timeout=max(10, WSLOAD_BOUND_S - (time.monotonic() - t0)))
        except subprocess.TimeoutExpired:
            p.kill()
            raise W.TestFailure(f"wsload overran {WSLOAD_BOUND_S}s")
        if err:
            print(err, flush=True)
        print("hold samples (s, established, keepalive probes, tcp timeouts):", held, flush=True)
        print("wsload:", out.strip(), flush=True)
        W.check(held, "no /metrics sample during the hold")
        for s, est, _, timeouts in held:
            W.check(est >= N, f"{s}s into the hold only {est} connections established, want {N} (+ /metrics)")
            W.check(timeouts == 0, f"{timeouts} connections given up during the hold")
        probes = held[-1][2]
        W.check(probes >= N, f"only {probes} keepalive probes during the hold: every connection should be probed "
                             f"(idle {KEEPALIVE_S}s, hold {HOLD_S}s)")
        r = json.loads(out.strip().splitlines()[-1])
        errs = {k: v for k, v in r["errors"].items() if v}
        W.check(r["established"] == N and not errs, f"wsload: established {r['established']}, errors {errs}")
        W.check(r["check_sent"] == N and r["check_echoed"] == N,
                f"after the keepalive cycles {r['check_echoed']} of {r['check_sent']} echoes came back (want {N})")
        W.check(p.returncode == 0, f"wsload exited {p.returncode}")
        # Every client connection ends with a FIN (retransmitted if lost; a burst of
        # 20,000 one-shot RSTs overflows the TAP and some are lost): nothing live stays.
        W.wait_no_live_connections(timeout=30)


if __name__ == "__main__":
    W.main(test, "keepalive20k", extra=["--keepalive", str(KEEPALIVE_S), "--max-conns", "32768"])
