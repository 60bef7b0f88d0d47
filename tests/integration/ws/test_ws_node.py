#!/usr/bin/python3
"""The node `ws` client (npm, pinned in package-lock.json here) against
wsgate's WebSocket echo; the checks live in ws_node_client.mjs."""
import ws_common as C
from ws_common import W


def test(env):
    W.check(C.node_modules_ok("ws"), C.NODE_SETUP_HINT)
    url = f"ws://{W.APPLIANCE_ADDR}:{W.HTTP_PORT}/echo"
    rc, out = C.run_node(env.client_ns, "ws_node_client.mjs", [url], timeout=300)
    W.check(rc == 0, f"node ws client: exit {rc}; failures: "
            + "; ".join(l.strip() for l in out.splitlines() if "FAIL" in l)[:2000])
    with env.client_ns.entered():
        print(f"connection states after the test: {W.wait_no_live_connections(15)}")


if __name__ == "__main__":
    W.main(test, "wsnode")
