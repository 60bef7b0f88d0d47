#!/usr/bin/python3
"""ICMP echo through the TAP: the kernel pings the appliance's address."""
import re
import wsgate_env as W


def test(env):
    p = env.client_ns.run(["ping", "-c", "3", "-W", "2", W.APPLIANCE_ADDR], timeout=30, check_rc=False)
    print(p.stdout)
    m = re.search(r"(\d+) packets transmitted, (\d+) received", p.stdout or "")
    W.check(m and int(m.group(2)) == 3, f"ping: expected 3 replies: {m.group(0) if m else p.stdout}")


if __name__ == "__main__":
    W.main(test, "ping")
