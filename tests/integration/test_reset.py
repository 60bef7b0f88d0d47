#!/usr/bin/python3
"""A client that resets mid-stream (sends part of its data, then closes with
SO_LINGER 0, which sends RST) leaves no connection behind in wsgate."""
import socket
import struct
import time
import wsgate_env as W


def test(env):
    with env.client_ns.entered():
        before = W.conn_states(W.metrics())
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


if __name__ == "__main__":
    W.main(test, "reset")
