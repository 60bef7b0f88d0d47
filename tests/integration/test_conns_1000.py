#!/usr/bin/python3
"""1,000 concurrent kernel connections: open all, then each exchanges a
message through the echo port, then each closes cleanly (FIN both ways).
Afterwards /metrics must show no live connection but the one asking
(TIME_WAIT entries are allowed)."""
import selectors
import socket
import time
import wsgate_env as W

N = 1000


def test(env):
    with env.client_ns.entered():
        socks = []
        try:
            t0 = time.monotonic()
            deadline = t0 + 120
            # Open all (non-blocking connects, so they are in flight together).
            sel = selectors.DefaultSelector()
            pending = {}
            for i in range(N):
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                rc = s.connect_ex((W.APPLIANCE_ADDR, W.ECHO_PORT))
                W.check(rc in (0, 115), f"connect #{i}: errno {rc}")  # 115 = EINPROGRESS
                socks.append(s)
                pending[s.fileno()] = i
                sel.register(s, selectors.EVENT_WRITE, i)
            failed = []
            while pending and time.monotonic() < deadline:
                for key, _ in sel.select(timeout=1.0):
                    s, i = key.fileobj, key.data
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        failed.append((i, err))
                    sel.unregister(s)
                    pending.pop(s.fileno(), None)
            W.check(not pending, f"{len(pending)} of {N} connects still pending after 120s")
            W.check(not failed, f"{len(failed)} connects failed, e.g. {failed[:5]}")
            print(f"{N} connections open in {time.monotonic() - t0:.1f}s")
            states = W.conn_states(W.metrics())
            print(f"while open: {states}")
            W.check(states.get("established", 0) >= N, f"wsgate reports {states.get('established')} established, want >= {N}")

            # Each sends a distinct message and reads it back.
            msgs = [f"hello from connection {i:04d} ".encode() * 4 for i in range(N)]
            got = [bytearray() for _ in range(N)]
            for i, s in enumerate(socks):
                n = s.send(msgs[i])
                W.check(n == len(msgs[i]), f"short send on #{i}")
                sel.register(s, selectors.EVENT_READ, i)
            left = N
            while left and time.monotonic() < deadline:
                for key, _ in sel.select(timeout=1.0):
                    s, i = key.fileobj, key.data
                    chunk = s.recv(4096)
                    W.check(chunk, f"connection #{i} closed before its echo came back")
                    got[i] += chunk
                    if len(got[i]) >= len(msgs[i]):
                        W.check(bytes(got[i]) == msgs[i], f"connection #{i} got {bytes(got[i])[:80]!r}")
                        sel.unregister(s)
                        left -= 1
            W.check(left == 0, f"{left} of {N} echoes missing after 120s")
            print(f"{N} echoes back at {time.monotonic() - t0:.1f}s")

            # Close cleanly: our FIN, then wait for the server's FIN (EOF).
            for i, s in enumerate(socks):
                s.shutdown(socket.SHUT_WR)
                sel.register(s, selectors.EVENT_READ, i)
            left = N
            while left and time.monotonic() < deadline:
                for key, _ in sel.select(timeout=1.0):
                    s, i = key.fileobj, key.data
                    chunk = s.recv(4096)
                    W.check(not chunk, f"connection #{i}: unexpected {chunk[:40]!r} after FIN")
                    sel.unregister(s)
                    left -= 1
            W.check(left == 0, f"{left} of {N} connections got no FIN from wsgate")
            print(f"{N} connections closed cleanly at {time.monotonic() - t0:.1f}s")
        finally:
            for s in socks:
                s.close()
        states = W.wait_no_live_connections(timeout=20)
        print(f"after close: {states}")


if __name__ == "__main__":
    W.main(test, "conns")
