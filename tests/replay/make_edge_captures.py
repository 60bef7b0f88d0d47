#!/usr/bin/python3
"""Write the hand-built edge captures in captures/ (run from anywhere; the
output is deterministic: fixed ISNs, masks, timestamps).

Each capture holds both sides of one session between a client (10.0.0.1) and
an ideal RFC 6455 echo server (10.0.0.2:8080); tools/replay keeps only the
client side and uses the server side to see which client segments answered
server data.  The golden expectations in expected/ were written by hand from
RFC 6455 / RFC 9293, not recorded from wsgate.

    /usr/bin/python3 tests/replay/make_edge_captures.py
"""

import base64
import hashlib
import os
import struct
import sys

from scapy.layers.inet import IP, TCP
from scapy.layers.l2 import Ether
from scapy.utils import PcapWriter

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "captures")
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
CMAC, SMAC = "02:00:00:00:00:01", "02:00:00:00:00:02"
CIP, SIP = "10.0.0.1", "10.0.0.2"
T0 = 1700000000.0


def frame(op, payload, fin=True, mask=b"\x11\x22\x33\x44"):
    """A masked client frame (mask=None: an unmasked server frame)."""
    n = len(payload)
    b0 = (0x80 if fin else 0) | op
    m = 0x80 if mask else 0
    head = bytes([b0, m | n]) if n <= 125 else bytes([b0, m | 126]) + struct.pack("!H", n)
    if not mask:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def sframe(op, payload, fin=True):
    return frame(op, payload, fin, mask=None)


KEY = base64.b64encode(hashlib.md5(b"wsgate-edge").digest()).decode()
REQUEST = (f"GET /edge HTTP/1.1\r\nHost: 10.0.0.2:8080\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
           f"Sec-WebSocket-Key: {KEY}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode()
RESPONSE = ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Accept: " + base64.b64encode(hashlib.sha1(KEY.encode() + GUID).digest()).decode()
            + "\r\n\r\n").encode()


class Conv:
    """Both sides of one TCP connection; sequence numbers tracked for each."""

    def __init__(self, cport, cisn=1000, sisn=5000):
        self.cport = cport
        self.c_nxt = cisn      # next client seq
        self.s_nxt = sisn
        self.c_isn, self.s_isn = cisn, sisn
        self.t = T0
        self.pkts = []
        self.cwin = 502        # client window (scale 7: 64256 bytes)

    def _emit(self, client, flags, seq, ack, data, win, opts=None, dt=0.001):
        self.t += dt
        if client:
            p = Ether(src=CMAC, dst=SMAC) / IP(src=CIP, dst=SIP, id=len(self.pkts)) / \
                TCP(sport=self.cport, dport=8080, flags=flags, seq=seq, ack=ack, window=win, options=opts or [])
        else:
            p = Ether(src=SMAC, dst=CMAC) / IP(src=SIP, dst=CIP, id=len(self.pkts)) / \
                TCP(sport=8080, dport=self.cport, flags=flags, seq=seq, ack=ack, window=win, options=opts or [])
        if data:
            p = p / data
        p.time = self.t
        self.pkts.append(p)

    def handshake(self):
        self._emit(True, "S", self.c_nxt, 0, b"", 64240, [("MSS", 1460), ("NOP", None), ("WScale", 7)])
        self._emit(False, "SA", self.s_nxt, self.c_nxt + 1, b"", 65535,
                   [("MSS", 1460), ("NOP", None), ("WScale", 7)])
        self.c_nxt += 1
        self.s_nxt += 1
        self._emit(True, "A", self.c_nxt, self.s_nxt, b"", self.cwin)

    def c(self, data=b"", flags="PA", seq=None, dt=0.001, win=None, advance=True):
        """A client segment; seq=None sends at the next sequence number."""
        s = self.c_nxt if seq is None else seq
        self._emit(True, flags, s, self.s_nxt, data, self.cwin if win is None else win, dt=dt)
        if advance:
            end = s + len(data) + (1 if "F" in flags else 0)
            self.c_nxt = max(self.c_nxt, end)

    def s(self, data=b"", flags="PA", dt=0.001):
        self._emit(False, flags, self.s_nxt, self.c_nxt, data, 502, dt=dt)
        self.s_nxt += len(data) + (1 if "F" in flags else 0)

    def c_ack(self, dt=0.0005, win=None):
        self.c(b"", "A", dt=dt, win=win)

    def upgrade(self):
        self.c(REQUEST)
        self.s(RESPONSE, dt=0.0005)
        self.c_ack()

    def ws_close(self, code=1000):
        """Client close, server's close and FIN first, then the client's FIN."""
        self.c(frame(8, struct.pack("!H", code)), dt=0.01)
        self.s(sframe(8, struct.pack("!H", code)), dt=0.0005)
        self.s(b"", "FA", dt=0.0002)
        self.c(b"", "FA", dt=0.0005)
        self.s(b"", "A", dt=0.0002)

    def write(self, name):
        path = os.path.join(OUT, name)
        w = PcapWriter(path, linktype=1, sync=True)
        for p in self.pkts:
            w.write(p)
        w.close()
        print(f"wrote {path} ({len(self.pkts)} packets)")


def handshake_1byte():
    """The upgrade request in 1-byte segments (RFC 9293: a receiver must
    reassemble however the sender segments); then one echo and a close."""
    c = Conv(40001)
    c.handshake()
    for i in range(len(REQUEST)):
        c.c(REQUEST[i:i + 1], dt=0.001)
    c.s(RESPONSE)
    c.c_ack()
    c.c(frame(1, b"hello"), dt=0.01)
    c.s(sframe(1, b"hello"), dt=0.0005)
    c.c_ack()
    c.ws_close(1000)
    c.write("edge-handshake-1byte.pcap")


def out_of_order_dup():
    """Request in three segments sent 1,3,2 plus duplicates of 2 and 1; then a
    binary message in three segments sent 3,1,2 with segment 1 duplicated."""
    c = Conv(40002)
    c.handshake()
    base = c.c_nxt
    a, b = 60, 130
    parts = [(base, REQUEST[:a]), (base + a, REQUEST[a:b]), (base + b, REQUEST[b:])]
    for i in (0, 2, 1, 1, 0):
        c.c(parts[i][1], seq=parts[i][0], dt=0.002)
    c.s(RESPONSE)
    c.c_ack()
    msg = bytes(range(256)) * 4
    fr = frame(2, msg)
    base = c.c_nxt
    cuts = [(0, 300), (300, 700), (700, len(fr))]
    for i in (2, 0, 0, 1):
        lo, hi = cuts[i]
        c.c(fr[lo:hi], seq=base + lo, dt=0.002)
    c.s(sframe(2, msg), dt=0.0005)
    c.c_ack()
    c.ws_close(1000)
    c.write("edge-out-of-order.pcap")


def retransmission():
    """A text message sent, then retransmitted whole 200 ms later (the ACK
    was lost), then a retransmission that overlaps old and new bytes."""
    c = Conv(40003)
    c.handshake()
    c.upgrade()
    f1 = frame(1, b"first message")
    start = c.c_nxt
    c.c(f1, dt=0.01)
    c.c(f1, seq=start, dt=0.2)                       # full retransmission
    c.s(sframe(1, b"first message"), dt=0.0005)
    c.c_ack()
    f2 = frame(1, b"second message, partly resent")
    start2 = c.c_nxt
    c.c(f2[:10], dt=0.01)
    c.c(f1[-5:] + f2[:20], seq=start2 - 5, dt=0.2)   # overlaps 5 old + 10 resent + 10 new bytes
    c.c(f2[20:], seq=start2 + 20, dt=0.002)
    c.s(sframe(1, b"second message, partly resent"), dt=0.0005)
    c.c_ack()
    c.ws_close(1000)
    c.write("edge-retransmission.pcap")


def rst_mid_message():
    """One echo, then half of a second frame, then the client resets (RFC
    9293 3.10.7.4: the server aborts the connection, sends nothing more)."""
    c = Conv(40004)
    c.handshake()
    c.upgrade()
    c.c(frame(2, b"whole"), dt=0.01)
    c.s(sframe(2, b"whole"), dt=0.0005)
    c.c_ack()
    half = frame(2, b"x" * 100)[:50]
    c.c(half, dt=0.01)
    c.c(b"", "R", dt=0.05)
    c.write("edge-rst-mid-message.pcap")


def zero_window():
    """The client closes its window to 0 before sending a 3000-byte message,
    reopens it 1.5 s later; the echo must arrive complete only after the
    update (RFC 9293 3.8.6.1: the sender probes a zero window)."""
    c = Conv(40005)
    c.handshake()
    c.upgrade()
    c.c_ack(dt=0.01, win=0)                          # window closed
    c.cwin = 0
    msg = bytes((i * 7) & 0xFF for i in range(3000))
    fr = frame(2, msg)
    c.c(fr[:1400], dt=0.005)
    c.c(fr[1400:2800], dt=0.001)
    c.c(fr[2800:], dt=0.001)
    c.cwin = 502
    c.c_ack(dt=1.5)                                  # window update
    c.s(sframe(2, msg), dt=0.001)
    c.c_ack()
    c.ws_close(1000)
    c.write("edge-zero-window.pcap")


def handshake_timeout():
    """The client sends part of the request head and never finishes it: the
    server answers 408 (RFC 9110 15.5.9) when its handshake deadline passes
    (wsgate --handshake-timeout; the test runs 1500 ms) and closes."""
    c = Conv(40006)
    c.handshake()
    c.c(b"GET /slow HTTP/1.1\r\nHost: 10.0.0.2:8080\r\n", dt=0.01)
    c.s(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", dt=1.5)
    c.s(b"", "FA", dt=0.0002)
    c.c(b"", "FA", dt=0.0005)
    c.s(b"", "A", dt=0.0002)
    c.write("edge-handshake-timeout.pcap")


def fragmented_ping():
    """A text message in three fragments with a ping between them (RFC 6455
    5.4: control frames may be injected in the middle of a fragmented
    message), then close 1001 with a reason."""
    c = Conv(40007)
    c.handshake()
    c.upgrade()
    c.c(frame(1, b"frag-", fin=False), dt=0.01)
    c.c(frame(9, b"are you there"), dt=0.002)
    c.s(sframe(10, b"are you there"), dt=0.0005)
    c.c_ack()
    c.c(frame(0, b"ment", fin=False), dt=0.002)
    c.c(frame(0, b"ed \xc3\xa9"), dt=0.002)
    c.s(sframe(1, "frag-mented \u00e9".encode()), dt=0.0005)
    c.c_ack()
    c.c(frame(8, struct.pack("!H", 1001) + b"going away"), dt=0.01)
    c.s(sframe(8, struct.pack("!H", 1001)), dt=0.0005)
    c.s(b"", "FA", dt=0.0002)
    c.c(b"", "FA", dt=0.0005)
    c.s(b"", "A", dt=0.0002)
    c.write("edge-fragmented-ping.pcap")


def bad_utf8_and_version():
    """Two flows: an upgrade with Sec-WebSocket-Version 8 (RFC 6455 4.2.2:
    an HTTP error such as 426 and no upgrade), and a valid upgrade followed
    by a text message that is not UTF-8 (RFC 6455 8.1: close 1007)."""
    c = Conv(40008)
    c.handshake()
    c.c(REQUEST.replace(b"Version: 13", b"Version: 8"))
    c.s(b"HTTP/1.1 426 Upgrade Required\r\nSec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n")
    c.s(b"", "FA", dt=0.0002)
    c.c(b"", "FA", dt=0.0005)
    c.s(b"", "A", dt=0.0002)
    d = Conv(40009, cisn=9000, sisn=19000)
    d.t = c.t + 0.05
    d.handshake()
    d.upgrade()
    d.c(frame(1, b"bad \xff\xfe utf-8"), dt=0.01)
    d.s(sframe(8, struct.pack("!H", 1007)), dt=0.0005)
    d.s(b"", "FA", dt=0.0002)
    d.c(frame(8, struct.pack("!H", 1007)), dt=0.0005)
    d.c(b"", "FA", dt=0.0005)
    d.s(b"", "R", dt=0.0002)
    c.pkts += d.pkts
    c.pkts.sort(key=lambda p: p.time)
    c.write("edge-bad-version-and-utf8.pcap")


def main():
    os.makedirs(OUT, exist_ok=True)
    handshake_1byte()
    out_of_order_dup()
    retransmission()
    rst_mid_message()
    zero_window()
    handshake_timeout()
    fragmented_ping()
    bad_utf8_and_version()
    return 0


if __name__ == "__main__":
    sys.exit(main())
