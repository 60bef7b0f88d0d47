#!/usr/bin/python3
"""A client that resets mid-stream (sends part of its data, then closes with
SO_LINGER 0, which sends RST) leaves no connection behind in wsgate."""
import socket
import struct
import time
import wsgate_env as W


def test(env):
    with env.client_ns.entered():
        m0 = W.metrics()
        before = W.conn_states(m0)
        print(f"before: {before}")
        s = socket.create_connection((W.APPLIANCE_ADDR, W.ECHO_PORT), timeout=10)
        try:
            # Part of a larger stream; read nothing so data is in flight both ways.
            s.sendall(W.random_bytes(256 * 1024))
            time.sleep(0.3)
            during = W.conn_states(W.metrics())
            print(f"during: {during}")
            W.check(during.get("established", 0) >= 2,
                    f"the open echo connection is not counted as established: {during}")
        finally:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            s.close()  # RST
        after = W.wait_no_live_connections(timeout=10)
        print(f"after RST: {after}")
        key = ("wsgate_tcp_rst_in_total", "")
        m1 = W.metrics()
        if key in m0 and key in m1:
            print(f"wsgate_tcp_rst_in_total: {m0[key]} -> {m1[key]}")
            W.check(m1[key] > m0[key], "wsgate counted no valid RST although the client reset")


if __name__ == "__main__":
    W.main(test, "reset")
