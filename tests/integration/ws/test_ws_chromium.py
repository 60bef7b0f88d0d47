#!/usr/bin/python3
"""Headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
loads a page from an http:// origin inside the test's namespace; the page
opens ws://198.18.0.2:8080/, echoes a text and a binary message and reports
the result. Chromium offers permessage-deflate; wsgate must decline it."""
import os
import shutil
import tempfile

import ws_common as C
from ws_common import W

PAGE_PORT = 8765
PAGE_HOST = "127.0.0.1"   # loopback origin: the most trusted for local-network checks
CHROMIUM = "/usr/bin/chromium"


def test(env):
    W.check(os.path.exists(CHROMIUM), f"{CHROMIUM} missing: apt-get install chromium (tools/setup)")
    W.check(C.node_modules_ok("playwright-core"), C.NODE_SETUP_HINT)

    tmp = tempfile.mkdtemp(prefix="wsint-chromium-")
    W.add_cleanup(lambda: shutil.rmtree(tmp, ignore_errors=True))
    www = os.path.join(tmp, "www")
    os.makedirs(www)
    shutil.copy(os.path.join(C.HERE, "chromium_page.html"), os.path.join(www, "index.html"))
    profile = os.path.join(tmp, "profile")   # a fresh --user-data-dir each run
    os.makedirs(profile)

    C.start_in_ns(env.client_ns, ["/usr/bin/python3", "-m", "http.server", "--bind", PAGE_HOST,
                                  "--directory", www, str(PAGE_PORT)],
                  os.path.join(tmp, "http.log"))
    C.wait_tcp_listen(env.client_ns, PAGE_HOST, PAGE_PORT)

    ws_url = f"ws://{W.APPLIANCE_ADDR}:{W.HTTP_PORT}/"
    page_url = f"http://{PAGE_HOST}:{PAGE_PORT}/index.html?ws={ws_url}"
    extra_env = {"HOME": tmp, "XDG_CONFIG_HOME": os.path.join(tmp, "xdg"),
                 "XDG_CACHE_HOME": os.path.join(tmp, "cache")}
    rc, out = C.run_node(env.client_ns, "chromium_driver.mjs", [page_url, profile], timeout=180,
                         extra_env=extra_env)
    if rc != 0 and ("local network" in out.lower() or "private network" in out.lower()):
        W.log("Chromium blocked the request by its local-network checks; retrying with them disabled")
        shutil.rmtree(profile, ignore_errors=True)
        os.makedirs(profile)
        rc, out = C.run_node(env.client_ns, "chromium_driver.mjs",
                             [page_url, profile, "--disable-features=LocalNetworkAccessChecks"],
                             timeout=180, extra_env=extra_env)
    try:
        with open(os.path.join(tmp, "http.log"), errors="replace") as f:
            print("http.server log:\n" + f.read()[-2000:])
    except OSError:
        pass
    W.check(rc == 0, "chromium: " + "; ".join(l.strip() for l in out.splitlines() if "FAIL" in l)[:2000])
    with env.client_ns.entered():
        print(f"connection states after the test: {W.wait_no_live_connections(15)}")


if __name__ == "__main__":
    W.main(test, "wschrome")
