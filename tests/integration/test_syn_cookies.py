#!/usr/bin/python3
"""SYN cookies with the Linux kernel as the client: with --syn-backlog 0
every SYN is answered with a cookie and no record is kept until the client's
ACK brings it back. Connections made that way must carry data like any other
(1 MiB echoed byte-identical each way), and keep what the cookie encodes:
with timestamps the client's window scale survives (TCP_INFO shows both
options on); with the client's timestamps turned off, the SYN-ACK offers no
window scaling, so neither side scales, and the connection still works.
/metrics must count every connection as made from a cookie."""
import socket
import struct
import wsgate_env as W

CONNS = 4
SIZE = 1 << 20
TCPI_OPT_TIMESTAMPS = 1
TCPI_OPT_WSCALE = 4


def tcp_options(s):
    """(options bitmask, snd_wscale, rcv_wscale) of a connected socket."""
    info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    options, wscales = struct.unpack_from("BB", info, 5)
    return options, wscales & 0x0f, wscales >> 4


def cookie_counters():
    """(sent, accepted, rejected) from one /metrics snapshot."""
    m = W.metrics()
    return tuple(int(m.get((f"wsgate_tcp_syn_cookies_{k}_total", ""), -1)) for k in ("sent", "accepted", "rejected"))


def round_of_echoes(label, want_ts):
    for i in range(CONNS):
        s = socket.create_connection((W.APPLIANCE_ADDR, W.ECHO_PORT), timeout=10)
        try:
            options, snd_ws, rcv_ws = tcp_options(s)
        finally:
            s.close()
        has_ts = bool(options & TCPI_OPT_TIMESTAMPS)
        has_ws = bool(options & TCPI_OPT_WSCALE)
        print(f"{label} #{i}: timestamps={has_ts} window_scale={has_ws} (snd_wscale={snd_ws}, rcv_wscale={rcv_ws})")
        W.check(has_ts == want_ts, f"{label} #{i}: timestamps {has_ts}, want {want_ts}")
        # Window scaling rides on the timestamp: with TS the client's shift
        # must come back from the cookie; without, none may be negotiated.
        W.check(has_ws == want_ts, f"{label} #{i}: window scaling {has_ws}, want {want_ts}")
        if want_ts:
            W.check(snd_ws > 0, f"{label} #{i}: wsgate's window shift is {snd_ws}; the cookie SYN-ACK should offer one")
        data = W.random_bytes(SIZE, seed=i)
        got = W.echo_roundtrip(data, timeout=60)
        W.check(got == data, f"{label} #{i}: echo differs at byte {W.first_difference(got, data)}")
    print(f"{label}: {CONNS} cookie connections echoed {SIZE} bytes each, byte-identical")


def test(env):
    with env.client_ns.entered():
        before_sent, before_ok, _ = cookie_counters()
        W.check(before_sent >= 1 and before_ok >= 1,
                f"/metrics itself should have come in by a cookie: sent={before_sent} accepted={before_ok}")
        round_of_echoes("with timestamps", want_ts=True)
        env.client_ns.run(["sysctl", "-q", "-w", "net.ipv4.tcp_timestamps=0"])
        round_of_echoes("without timestamps", want_ts=False)
        sent, accepted, rejected = cookie_counters()
        # 2 x CONNS option probes + 2 x CONNS echoes + this /metrics request.
        made = 4 * CONNS + 1
        print(f"metrics: syn_cookies_sent={sent} accepted={accepted} rejected={rejected}")
        W.check(accepted - before_ok >= made, f"syn_cookies_accepted grew by {accepted - before_ok}, want >= {made}")
        W.check(rejected == 0, f"{rejected} cookie ACKs rejected on a clean link")
        states = W.conn_states(W.metrics())
        W.check(states.get("syn_received", 0) == 0, f"half-open records kept although every SYN got a cookie: {states}")
        W.wait_no_live_connections()


if __name__ == "__main__":
    W.main(test, "cookies", extra=["--syn-backlog", "0"])
