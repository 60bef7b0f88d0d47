#!/usr/bin/python3
"""--max-conns: with the table full, new kernel clients are refused at once
(RST: connect() fails with ECONNREFUSED, no minutes of SYN retries), every
refusal is counted in /metrics, and the connections already open keep
echoing. After one closes, a new connection gets in."""
import socket
import time
import wsgate_env as W

MAX = 16          # the smallest --max-conns wsgate takes
REFUSED = 10


def echo(s, msg, i):
    s.sendall(msg)
    got = b""
    deadline = time.monotonic() + 10
    while len(got) < len(msg) and time.monotonic() < deadline:
        chunk = s.recv(4096)
        W.check(chunk, f"connection #{i} closed before its echo came back")
        got += chunk
    W.check(got == msg, f"connection #{i}: echo {got[:60]!r}, want {msg[:60]!r}")


def close_cleanly(s, i):
    s.shutdown(socket.SHUT_WR)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        chunk = s.recv(4096)
        if not chunk:
            break
        W.check(False, f"connection #{i}: unexpected {chunk[:40]!r} after our FIN")
    s.close()


def metric(m, name):
    return int(m.get((name, ""), -1))


def test(env):
    with env.client_ns.entered():
        socks = []
        try:
            for i in range(MAX):
                s = socket.create_connection((W.APPLIANCE_ADDR, W.ECHO_PORT), timeout=10)
                socks.append(s)
                echo(s, f"open #{i}".encode(), i)
            print(f"{MAX} connections open and echoing")

            for j in range(REFUSED):
                t0 = time.monotonic()
                try:
                    extra = socket.create_connection((W.APPLIANCE_ADDR, W.ECHO_PORT), timeout=5)
                except ConnectionRefusedError:
                    print(f"extra #{j}: refused after {1000 * (time.monotonic() - t0):.1f} ms")
                    continue
                except socket.timeout:
                    W.check(False, f"extra #{j}: connect timed out: the SYN was dropped, not refused")
                extra.close()
                W.check(False, f"extra #{j}: connected although {MAX} connections fill the table")

            for i, s in enumerate(socks):
                echo(s, f"still here #{i} ".encode() * 20, i)
            print(f"all {MAX} existing connections still echo")

            close_cleanly(socks.pop(), MAX - 1)
            # The record is free once our ACK of wsgate's FIN arrives; /metrics
            # itself needs one.
            m = W.wait_for(_metrics_or_none, 10, what="/metrics once a record is free")
            refused = metric(m, "wsgate_tcp_conns_refused_full_total")
            states = W.conn_states(m)
            print(f"metrics: conns_refused_full_total={refused} states={states}")
            W.check(refused == REFUSED, f"wsgate_tcp_conns_refused_full_total = {refused}, want {REFUSED}")
            W.check(states.get("established", 0) == MAX, f"established {states.get('established')}, want {MAX - 1} + /metrics")

            for i, s in enumerate(socks):
                close_cleanly(s, i)
            socks = []
        finally:
            for s in socks:
                s.close()
        states = W.wait_no_live_connections(timeout=20)
        print(f"after close: {states}")


def _metrics_or_none():
    try:
        return W.metrics()
    except (ConnectionRefusedError, ConnectionResetError, W.TestFailure):
        return None


if __name__ == "__main__":
    W.main(test, "maxconn", extra=["--max-conns", str(MAX)])
