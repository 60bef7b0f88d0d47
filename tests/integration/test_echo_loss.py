#!/usr/bin/python3
"""Echo stays byte-identical with 5 % random loss in both directions.

This kernel has no sch_netem (`tc qdisc ... netem` fails with "Specified
qdisc kind is unknown"), so loss is emulated with iptables' statistic match
inside the test's namespace: every packet leaving to and arriving from the TAP
is dropped with probability 0.05. The rules live only in the namespace, which
the harness deletes afterwards.
"""
import re
import time
import wsgate_env as W

SIZE = 4 * 1024 * 1024
LOSS = "0.05"


def drop_counts(env):
    out = env.ns.run(["iptables", "-L", "-v", "-n", "-x"], check_rc=False).stdout or ""
    return [int(m.group(1)) for m in re.finditer(r"^\s*(\d+)\s+\d+\s+DROP", out, re.M)], out


def test(env):
    for chain, flag in (("OUTPUT", "-o"), ("INPUT", "-i")):
        env.ns.run(["iptables", "-A", chain, flag, env.tap, "-m", "statistic", "--mode", "random",
                    "--probability", LOSS, "-j", "DROP"])
    data = W.random_bytes(SIZE)
    with env.client_ns.entered():
        t0 = time.monotonic()
        got = W.echo_roundtrip(data, timeout=240)
        dt = time.monotonic() - t0
    counts, table = drop_counts(env)
    print(table)
    W.check(got == data, f"echo differs at byte {W.first_difference(got, data)}")
    W.check(len(counts) == 2 and all(c > 0 for c in counts),
            f"loss emulation dropped nothing in some direction: {counts}")
    print(f"{SIZE} bytes echoed byte-identical in {dt:.1f}s with drops (in, out) = {counts}")
    env.ns.run(["iptables", "-F"])
    with env.client_ns.entered():
        m = W.metrics()
    found = [v for (name, _), v in m.items() if name == "wsgate_tcp_retransmits_total"]
    rtx = sum(found) if found else None
    print(f"wsgate_tcp_retransmits_total = {rtx}")
    W.check(rtx is None or rtx > 0, "segments were dropped on the way out but wsgate counted no retransmit")


if __name__ == "__main__":
    W.main(test, "loss")
