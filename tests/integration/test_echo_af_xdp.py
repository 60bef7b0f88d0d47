#!/usr/bin/python3
"""The echo test over AF_XDP (net_af_xdp): wsgate runs with --iface on one
end of a veth pair in its namespace; the other end, 198.18.0.1/24 and the
client live in a second namespace. No TAP is involved."""
import time
import wsgate_env as W

SIZE = 10 * 1024 * 1024


def test(env):
    p = env.client_ns.run(["ping", "-c", "3", "-W", "2", W.APPLIANCE_ADDR], timeout=30, check_rc=False)
    print(p.stdout)
    data = W.random_bytes(SIZE)
    with env.client_ns.entered():
        t0 = time.monotonic()
        got = W.echo_roundtrip(data, timeout=180)
        W.check(got == data, f"echo differs at byte {W.first_difference(got, data)}")
        print(f"10 MB echoed byte-identical over AF_XDP in {time.monotonic() - t0:.1f}s")
        W.wait_no_live_connections()


if __name__ == "__main__":
    W.main(test, "afxdp", env_cls=W.XdpEnv)
