#!/usr/bin/python3
"""GET /healthz with curl (a real HTTP/1.1 client) answers 200; /metrics and the
periodic stats line are there too."""
import wsgate_env as W


def test(env):
    url = f"http://{W.APPLIANCE_ADDR}:{W.HTTP_PORT}/healthz"
    p = env.client_ns.run(["curl", "-sS", "--max-time", "10", "-o", "/dev/null",
                           "-w", "%{http_code}", url], timeout=30, check_rc=False)
    print(f"curl {url} -> rc={p.returncode} out={p.stdout!r}")
    W.check(p.returncode == 0 and p.stdout.strip() == "200", f"curl {url}: expected 200, got {p.stdout!r}")
    # /metrics is what the other tests read: make sure it speaks Prometheus.
    with env.client_ns.entered():
        states = W.conn_states(W.metrics())
    print(f"connection states: {states}")
    # The periodic stats line (--stats-interval 1 in the harness).
    line = W.wait_for(lambda: next((l for l in env.wsgate.log_text().splitlines()
                                    if l.startswith("stats:") and "conns=" in l), None),
                      5, what="a 'stats: ... conns=N' line on stdout")
    print(f"stats line: {line}")


if __name__ == "__main__":
    W.main(test, "healthz")
