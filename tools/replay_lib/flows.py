"""Extract TCP flows from a capture and tell client from server.

A flow is one TCP connection (a 4-tuple; a new SYN after the flow closed
starts a new one).  The client is the side that sent the SYN (without ACK);
with no SYN in the capture, the side whose first payload is an HTTP request;
failing that, the side with the higher port.

Sequence and acknowledgement numbers are kept relative: the client's to its
ISN (the SYN is rel 0, the first data byte rel 1) and the client's ACK field
to the original server's ISN, so the replay can tell which client segments
were sent after (in answer to) server data.
"""

import os
import struct

HTTP_METHODS = (b"GET ", b"POST ", b"PUT ", b"HEAD ", b"DELETE ", b"OPTIONS ", b"PATCH ", b"CONNECT ")

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10


class CaptureError(Exception):
    """A capture we cannot use; the message says why, for the user."""


class Seg:
    __slots__ = ("ts", "flags", "seq", "ack", "win", "payload", "opts", "rel_seq", "rel_ack", "index")

    def __init__(self, ts, flags, seq, ack, win, payload, opts, index):
        self.ts, self.flags, self.seq, self.ack, self.win = ts, flags, seq, ack, win
        self.payload, self.opts, self.index = payload, opts, index
        self.rel_seq = None
        self.rel_ack = None

    def flag_str(self):
        return "".join(c for c, b in (("S", SYN), ("F", FIN), ("R", RST), ("P", PSH), ("A", ACK))
                       if self.flags & b) or "."


class Flow:
    def __init__(self, a, b):
        self.a, self.b = a, b            # (ip, port) of each side, a = first seen
        self.segs = {a: [], b: []}
        self.order = []                  # (side, Seg) in capture order
        self.closed = False              # saw FIN or RST (a later SYN starts a new flow)
        self.client = None
        self.server = None
        self.how_client = ""
        self.client_isn = None
        self.server_isn = None
        self.syn_opts = {}
        self.has_server_side = False

    def add(self, side, seg):
        self.segs[side].append(seg)
        self.order.append((side, seg))
        if seg.flags & (FIN | RST):
            self.closed = True

    # --- classification -------------------------------------------------
    def classify(self):
        for side, s in self.order:
            if s.flags & SYN and not s.flags & ACK:
                self._set_client(side, "sent the SYN")
                return
        for side, s in self.order:
            if s.payload:
                if s.payload.startswith(HTTP_METHODS):
                    self._set_client(side, "sent the HTTP request")
                    return
                break
        hi = self.a if self.a[1] > self.b[1] else self.b
        self._set_client(hi, "has the higher port (no SYN, no HTTP request seen)")

    def _set_client(self, side, how):
        self.client = side
        self.server = self.b if side == self.a else self.a
        self.how_client = how
        cs, ss = self.segs[self.client], self.segs[self.server]
        self.has_server_side = bool(ss)
        syn = next((s for s in cs if s.flags & SYN), None)
        if syn is not None:
            self.client_isn = syn.seq
            self.syn_opts = syn.opts
        elif cs:
            data = [s for s in cs if s.payload or s.flags & FIN]
            self.client_isn = ((min(s.seq for s in data) if data else cs[0].seq) - 1) & 0xFFFFFFFF
        synack = next((s for s in ss if s.flags & SYN), None)
        if synack is not None:
            self.server_isn = synack.seq
        else:
            # client-only capture: the first ACK the client sent points just
            # past the server's SYN (or at the first server byte it expects)
            acks = [s.ack for s in cs if s.flags & ACK]
            if acks:
                self.server_isn = (acks[0] - 1) & 0xFFFFFFFF
            elif ss:
                self.server_isn = (ss[0].seq - 1) & 0xFFFFFFFF
        for s in cs:
            s.rel_seq = (s.seq - self.client_isn) & 0xFFFFFFFF if self.client_isn is not None else None
            s.rel_ack = ((s.ack - self.server_isn) & 0xFFFFFFFF
                         if (s.flags & ACK and self.server_isn is not None) else None)
        if self.server_isn is not None:
            for s in ss:
                s.rel_seq = (s.seq - self.server_isn) & 0xFFFFFFFF
                s.rel_ack = ((s.ack - self.client_isn) & 0xFFFFFFFF
                             if (s.flags & ACK and self.client_isn is not None) else None)

    def client_segs(self):
        return self.segs[self.client]

    def server_segs(self):
        return self.segs[self.server]

    def server_fin_rel(self):
        """rel seq just past the original server's FIN, if it sent one."""
        for s in self.server_segs():
            if s.flags & FIN and s.rel_seq is not None:
                return (s.rel_seq + len(s.payload) + 1) & 0xFFFFFFFF
        return None

    def describe(self):
        return f"{self.client[0]}:{self.client[1]} -> {self.server[0]}:{self.server[1]}"

    def client_bytes(self):
        """The client's byte stream, reassembled by sequence number."""
        return reassemble([(s.rel_seq, s.payload) for s in self.client_segs() if s.payload])

    def server_bytes(self):
        if self.server_isn is None:
            return b""
        return reassemble([(s.rel_seq, s.payload) for s in self.server_segs() if s.payload])


def reassemble(pieces, limit=64 << 20):
    """In-order bytes from (rel_seq, payload) pieces; rel 1 is the first byte.
    Stops at the first hole."""
    buf = bytearray()
    nxt = 1
    pending = sorted(pieces, key=lambda p: p[0])
    progress = True
    while progress and len(buf) < limit:
        progress = False
        for rel, data in pending:
            end = rel + len(data)
            if rel <= nxt < end:
                buf += data[nxt - rel:]
                nxt = end
                progress = True
    return bytes(buf)


def _tcp_opts(raw):
    """MSS, window scale, SACK-permitted, timestamps from raw option bytes."""
    out = {}
    i = 0
    for _ in range(40):
        if i >= len(raw):
            break
        kind = raw[i]
        if kind == 0:
            break
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(raw):
            break
        ln = raw[i + 1]
        if ln < 2 or i + ln > len(raw):
            break
        body = raw[i + 2:i + ln]
        if kind == 2 and ln == 4:
            out["mss"] = struct.unpack("!H", body)[0]
        elif kind == 3 and ln == 3:
            out["wscale"] = body[0]
        elif kind == 4:
            out["sack_perm"] = True
        elif kind == 8 and ln == 10:
            out["ts"] = struct.unpack("!II", body)
        i += ln
    return out


def _check_magic(path):
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise CaptureError(f"{path}: cannot read: {e.strerror}")
    if len(magic) < 4:
        raise CaptureError(f"{path}: not a pcap or pcapng file (only {len(magic)} bytes)")
    if magic not in (b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\x4d\x3c\xb2\xa1",
                     b"\xa1\xb2\x3c\x4d", b"\x0a\x0d\x0d\x0a"):
        raise CaptureError(f"{path}: not a pcap or pcapng file (magic {magic.hex()})")


def read_flows(path, max_packets=2_000_000):
    """All TCP flows in the capture, classified, in order of first packet."""
    _check_magic(path)
    # scapy is slow to import; only pay for it when the file looks right
    from scapy.error import Scapy_Exception
    from scapy.layers.inet import IP, TCP
    from scapy.utils import PcapReader
    try:
        reader = PcapReader(path)
    except (Scapy_Exception, OSError, ValueError, struct.error) as e:
        raise CaptureError(f"{path}: not a readable pcap/pcapng file: {e}")
    flows = []
    live = {}
    n = 0
    try:
        for pkt in reader:
            n += 1
            if n > max_packets:
                raise CaptureError(f"{path}: more than {max_packets} packets; cut it with editcap first")
            ip = pkt.getlayer(IP)
            if ip is None or ip.proto != 6 or (ip.flags.MF or ip.frag):
                continue
            tcp = ip.getlayer(TCP)
            if tcp is None:
                continue
            # payload bounded by the IP length (Ethernet padding is not data)
            ip_payload_len = ip.len - ip.ihl * 4 if ip.len else None
            hdr_len = tcp.dataofs * 4
            raw_tcp = bytes(tcp)
            payload = raw_tcp[hdr_len:]
            if ip_payload_len is not None and ip_payload_len >= hdr_len:
                payload = payload[:ip_payload_len - hdr_len]
            opts = _tcp_opts(raw_tcp[20:hdr_len])
            src, dst = (ip.src, tcp.sport), (ip.dst, tcp.dport)
            key = frozenset((src, dst)) if src != dst else (src, dst)
            seg = Seg(float(pkt.time), int(tcp.flags), tcp.seq, tcp.ack, tcp.window, payload, opts, n)
            fl = live.get(key)
            if fl is None or (fl.closed and seg.flags & SYN and not seg.flags & ACK):
                fl = Flow(src, dst)
                live[key] = fl
                flows.append(fl)
            fl.add(src, seg)
    except CaptureError:
        raise
    except (Scapy_Exception, struct.error, EOFError, ValueError) as e:
        if n == 0:
            raise CaptureError(f"{path}: not a readable pcap/pcapng file: {e}")
        # a capture cut short (tcpdump killed) still replays up to the cut
    finally:
        try:
            reader.close()
        except Exception:
            pass
    if not flows:
        raise CaptureError(f"{path}: no TCP flows in {n} packets")
    for fl in flows:
        fl.classify()
    return flows


def capture_start(flows):
    return min(s.ts for fl in flows for _, s in fl.order[:1])


def describe_file(path):
    return os.path.basename(path)
