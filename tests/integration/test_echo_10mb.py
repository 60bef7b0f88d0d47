#!/usr/bin/python3
"""10 MB of random bytes through the raw TCP echo port come back identical."""
import hashlib
import time
import wsgate_env as W

SIZE = 10 * 1024 * 1024


def test(env):
    data = W.random_bytes(SIZE)
    with env.client_ns.entered():
        t0 = time.monotonic()
        got = W.echo_roundtrip(data, timeout=180)
        dt = time.monotonic() - t0
        W.check(got == data, f"echo differs from what was sent at byte {W.first_difference(got, data)}")
        print(f"10 MB echoed byte-identical in {dt:.1f}s, sha256 {hashlib.sha256(got).hexdigest()[:16]}")
        W.wait_no_live_connections()


if __name__ == "__main__":
    W.main(test, "echo10mb")
