"""Replay client flows live against wsgate, one user-space TCP client per flow.

Frames go out and come in on an AF_PACKET socket bound to the host side of
wsgate's TAP.  Each flow gets a client address the kernel does not own (so the
kernel drops wsgate's answers silently instead of resetting them) and the tool
answers ARP for those addresses itself.

Per flow the captured client segments become actions, kept in capture order
with their relative sequence numbers (so out-of-order, duplicate and
retransmitted segments are replayed as they were), their flags and
advertised windows.  Acknowledgement numbers are the tool's own, following
wsgate's byte stream.  A client segment that, in the capture, acknowledged
server data it had not acknowledged before was an answer to that data: it waits
until wsgate has given every answer an echo server owes for what the client
has sent so far (or until --response-timeout).  Pacing keeps the captured gaps
(the client's think time), scaled by --speed.
"""

import os
import random
import select
import socket
import struct
import time

from . import wsmodel
from .flows import ACK, FIN, PSH, RST, SYN, reassemble

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
PACKET_OUTGOING = 4

SYN_RETRIES = 4
RTO_INITIAL = 1.0
RTO_RETRIES = 6
SETTLE = 0.4           # quiet time before a flow with nothing outstanding counts as done


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    for _ in range(4):
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def mac_bytes(s):
    return bytes(int(x, 16) for x in s.split(":"))


def mac_str(b):
    return ":".join(f"{x:02x}" for x in b)


class Link:
    """AF_PACKET on one interface: Ethernet frames out and in."""

    def __init__(self, iface):
        self.iface = iface
        self.sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        try:
            self.sock.bind((iface, 0))
        except OSError as e:
            raise SystemExit(f"replay: cannot open interface {iface!r}: {e.strerror} "
                             "(run inside wsgate's namespace as root; --iface names the TAP's host side)")
        self.sock.setblocking(False)
        self.mac = bytes([0x02, 0x72, 0x70] + [random.randrange(256) for _ in range(3)])
        self.sent = 0

    def send(self, frame):
        self.sock.send(frame)
        self.sent += 1

    def recv_all(self, limit=2000):
        out = []
        for _ in range(limit):
            try:
                data, addr = self.sock.recvfrom(65536)
            except BlockingIOError:
                break
            if addr[2] == PACKET_OUTGOING:
                continue
            out.append(data)
        return out

    def wait(self, timeout):
        if timeout > 0:
            select.select([self.sock], [], [], timeout)

    def close(self):
        self.sock.close()


def arp_frame(src_mac, dst_mac, op, sha, spa, tha, tpa):
    eth = (dst_mac or b"\xff" * 6) + src_mac + struct.pack("!H", ETH_P_ARP)
    return eth + struct.pack("!HHBBH", 1, ETH_P_IP, 6, 4, op) + sha + socket.inet_aton(spa) + \
        (tha or b"\0" * 6) + socket.inet_aton(tpa)


class Action:
    __slots__ = ("kind", "rel_seq", "payload", "flags", "win", "needs_response", "wait_fin",
                 "think", "index", "ts")

    def __init__(self, kind, seg, think):
        self.kind = kind
        self.rel_seq = seg.rel_seq if seg is not None else 0
        self.payload = seg.payload if seg is not None else b""
        self.flags = seg.flags if seg is not None else SYN
        self.win = seg.win if seg is not None else 65535
        self.needs_response = False
        self.wait_fin = False
        self.think = think
        self.index = seg.index if seg is not None else None
        self.ts = seg.ts if seg is not None else None


def build_actions(fl, speed, no_delay, t0):
    """Captured client segments -> actions (see module doc)."""
    cs = fl.client_segs()
    notes = []
    acts = []
    last_ts = None
    max_data_ack = 1
    last_win = None
    server_fin_rel = fl.server_fin_rel()
    server_ts = [(s.ts, s) for s in fl.server_segs() if s.payload or s.flags & (FIN | SYN)]
    client_bytes_so_far = bytearray()
    syn_seen = False
    pending_win_note = False

    def think_for(s, responding):
        if no_delay or last_ts is None:
            base = t0 if last_ts is None else last_ts
            return 0.0 if no_delay else max(0.0, (s.ts - base) / speed)
        base = last_ts
        if responding:
            before = [ts for ts, _ in server_ts if ts <= s.ts]
            if before:
                base = max(base, before[-1])
        return max(0.0, (s.ts - base) / speed)

    for s in cs:
        if s.flags & SYN:
            if syn_seen:
                continue      # a retransmitted SYN: the tool retransmits its own
            syn_seen = True
            a = Action("syn", s, think_for(s, False))
            acts.append(a)
            last_ts = s.ts
            continue
        if not syn_seen:
            syn_seen = True
            notes.append("capture has no SYN for this flow: the tool opens the connection itself")
            acts.append(Action("syn", None, 0.0 if no_delay else max(0.0, (s.ts - t0) / speed)))
            last_ts = s.ts
        responding = s.rel_ack is not None and s.rel_ack > max_data_ack
        if s.flags & RST:
            a = Action("rst", s, think_for(s, responding))
            a.needs_response = responding
        elif s.payload or s.flags & FIN:
            a = Action("data", s, think_for(s, responding))
            a.needs_response = responding
            if s.flags & FIN:
                if server_fin_rel is not None and s.rel_ack is not None:
                    a.wait_fin = s.rel_ack >= server_fin_rel
                elif not fl.has_server_side and responding:
                    an = wsmodel.Analysis(bytes(client_bytes_so_far), b"")
                    a.wait_fin = an.client_closed_ws() or not an.req["complete"]
            if s.rel_ack is not None:
                max_data_ack = max(max_data_ack, s.rel_ack)
            client_bytes_so_far[:] = reassemble([(x.rel_seq, x.payload) for x in cs
                                                 if x.payload and x.index <= s.index])
        else:
            # A pure ACK: the tool acknowledges wsgate's data itself; replay it
            # only when it changes the advertised window (zero window, update).
            if last_win is not None and s.win != last_win:
                # it may acknowledge server data too (a zero window right after
                # the 101): then it waits for that data like any answer would
                a = Action("win", s, think_for(s, responding))
                a.needs_response = responding
                if s.rel_ack is not None:
                    max_data_ack = max(max_data_ack, s.rel_ack)
                if s.win == 0 or last_win == 0:
                    pending_win_note = True
            else:
                last_win = s.win if last_win is None else last_win
                continue
        last_win = s.win
        acts.append(a)
        last_ts = s.ts
    if pending_win_note:
        notes.append("window changes replayed from pure ACKs (zero window / window update)")
    return acts, notes


class LiveFlow:
    def __init__(self, n, fl, link, args, src_ip, dst_ip, dport, t_start):
        self.n = n
        self.fl = fl
        self.link = link
        self.args = args
        self.src_ip, self.dst_ip = src_ip, dst_ip
        self.sport = fl.client[1]
        self.dport = dport
        self.isn = random.randrange(1 << 32)
        self.actions, self.notes = build_actions(fl, args.speed, args.no_delay, t_start)
        syn = fl.syn_opts or {}
        self.mss_opt = syn.get("mss", 1460)
        self.wscale_opt = syn.get("wscale")
        self.syn_win = next((a.win for a in self.actions if a.kind == "syn"), 65535)
        first_win = next((a.win for a in self.actions if a.kind != "syn"), None)
        self.adv_raw = first_win if first_win is not None else 65535
        self.my_ws = 0
        self.peer_ws = 0
        self.peer_mss = 536
        self.state = "closed"
        self.i = 0
        self.irs = None
        self.rcv_nxt = None
        self.rcv_buf = bytearray()
        self.ooo = {}
        self.snd_una_rel = 0
        self.snd_max_rel = 0
        self.snd_wnd = 0
        self.sent_pieces = []      # (rel_seq, bytes) of everything sent
        self.fin_rel = None        # rel seq of our FIN
        self.fin_acked = False
        self.server_fin = False
        self.server_rst = False
        self.client_rst = False
        self.cleanup_rst = False
        self.syn_tries = 0
        self.syn_time = None
        self.last_send = None
        self.wait_since = None
        self.satisfied_at = None
        self.last_progress = None
        self.rto = RTO_INITIAL
        self.rto_tries = 0
        self.tool_retransmits = 0
        self.server_segments = 0
        self.server_dup_segments = 0
        self.server_bad_checksums = 0
        self.data_beyond_window = 0
        self.ack_pending = False
        self.last_activity = None
        self.done = False
        self.result = None
        self.start_delay = self.actions[0].think if self.actions else 0.0
        self.waited = []
        self.ip_id = random.randrange(1 << 16)
        self.deadline = None
        self.client_bytes_sent = b""

    # ------------------------------------------------------------------ output
    def seg(self, flags, rel_seq, payload=b"", win=None, opts=b""):
        seq = (self.isn + rel_seq) & 0xFFFFFFFF
        ack = self.rcv_nxt if (flags & ACK) and self.rcv_nxt is not None else 0
        if win is None:
            win = self.adv_raw
        if opts and len(opts) % 4:
            opts += b"\x01" * (4 - len(opts) % 4)
        off = (20 + len(opts)) // 4
        tcp = struct.pack("!HHIIBBHHH", self.sport, self.dport, seq, ack, off << 4, flags, win & 0xFFFF, 0, 0) + opts
        src, dst = socket.inet_aton(self.src_ip), socket.inet_aton(self.dst_ip)
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
        c = csum(pseudo + tcp + payload)
        tcp = tcp[:16] + struct.pack("!H", c) + tcp[18:]
        self.ip_id = (self.ip_id + 1) & 0xFFFF
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), self.ip_id, 0x4000, 64, 6, 0,
                         src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        eth = self.link.peer_mac + self.link.mac + struct.pack("!H", ETH_P_IP)
        self.link.send(eth + ip + tcp + payload)
        if flags & ACK:
            self.ack_pending = False
        end = rel_seq + len(payload) + (1 if flags & (SYN | FIN) else 0)
        if payload:
            self.sent_pieces.append((rel_seq, payload))
        if flags & (SYN | FIN) or payload:
            self.snd_max_rel = max(self.snd_max_rel, end)

    def send_syn(self, now):
        opts = struct.pack("!BBH", 2, 4, self.mss_opt)
        if self.wscale_opt is not None:
            opts += struct.pack("!BBBB", 1, 3, 3, self.wscale_opt)
        self.seg(SYN, 0, win=self.syn_win, opts=opts)
        self.syn_tries += 1
        self.syn_time = now
        self.state = "syn_sent"

    # ------------------------------------------------------------------ input
    def input(self, seq, ack, flags, win, payload, opts, now):
        self.server_segments += 1
        self.last_activity = now
        if flags & RST:
            if self.state == "syn_sent" and not (flags & ACK and ack == (self.isn + 1) & 0xFFFFFFFF):
                return
            self.server_rst = True
            self.state = "closed"
            return
        if self.state == "syn_sent":
            if flags & SYN and flags & ACK and ack == (self.isn + 1) & 0xFFFFFFFF:
                self.irs = seq
                self.rcv_nxt = (seq + 1) & 0xFFFFFFFF
                self.peer_mss = opts.get("mss", 536)
                if self.wscale_opt is not None and "wscale" in opts:
                    self.my_ws, self.peer_ws = self.wscale_opt, opts["wscale"]
                self.snd_una_rel = 1
                self.snd_wnd = win
                self.state = "established"
                self.last_progress = now
                self.seg(ACK, 1)
            return
        if self.irs is None:
            return
        if flags & SYN:
            # a retransmitted SYN-ACK: our ACK was lost or is in flight
            self.ack_pending = True
            return
        if flags & ACK:
            rel = (ack - self.isn) & 0xFFFFFFFF
            if self.snd_una_rel < rel <= self.snd_max_rel:
                self.snd_una_rel = rel
                self.last_progress = now
                self.rto = RTO_INITIAL
                self.rto_tries = 0
            if rel == self.snd_una_rel:
                self.snd_wnd = win << self.peer_ws
            if self.fin_rel is not None and rel >= self.fin_rel + 1:
                self.fin_acked = True
        if payload or flags & FIN:
            self._accept(seq, payload, bool(flags & FIN))

    def _accept(self, seq, payload, fin):
        off = (seq - self.rcv_nxt) & 0xFFFFFFFF
        if off >= 1 << 31:          # starts before rcv_nxt: trim the old part
            old = (1 << 32) - off
            if old >= len(payload) + (1 if fin else 0):
                self.server_dup_segments += 1
                self.ack_pending = True
                return
            payload = payload[old:] if old <= len(payload) else b""
            off = 0
        wnd = self.adv_raw << self.my_ws
        if off + len(payload) > wnd:
            # honour our own advertised window as a kernel would (zero-window
            # probes are dropped and answered with the window)
            self.data_beyond_window += 1
            keep = max(0, wnd - off)
            payload = payload[:keep]
            fin = False
        if off > 0:
            if payload or fin:
                self.ooo[seq] = (payload, fin)
            self.ack_pending = True
            return
        self._append(payload, fin)
        for _ in range(len(self.ooo) + 1):
            progressed = False
            for s, (p, f) in list(self.ooo.items()):
                o = (s - self.rcv_nxt) & 0xFFFFFFFF
                if o >= 1 << 31:
                    old = (1 << 32) - o
                    del self.ooo[s]
                    if old < len(p) or (old == len(p) and f):
                        self._append(p[old:], f)
                        progressed = True
                elif o == 0:
                    del self.ooo[s]
                    self._append(p, f)
                    progressed = True
            if not progressed:
                break
        self.ack_pending = True

    def _append(self, payload, fin):
        if payload:
            self.rcv_buf += payload
            self.rcv_nxt = (self.rcv_nxt + len(payload)) & 0xFFFFFFFF
        if fin and not self.server_fin:
            self.server_fin = True
            self.rcv_nxt = (self.rcv_nxt + 1) & 0xFFFFFFFF

    # ------------------------------------------------------------------ model
    def client_stream(self):
        return reassemble(self.sent_pieces)

    def analysis(self):
        return wsmodel.Analysis(self.client_stream(), bytes(self.rcv_buf), self.args.max_message)

    def answered(self, a):
        if self.server_rst or self.server_fin and not a.wait_fin:
            return True
        if a.wait_fin:
            return self.server_fin or self.server_rst
        return self.analysis().outstanding() == 0

    # ------------------------------------------------------------------ driving
    def step(self, now):
        if self.done:
            return None
        if now > self.deadline:
            self.notes.append(f"flow not finished after --timeout {self.args.timeout:g}s")
            return self.finish(now, cleanup=True)
        if self.state == "syn_sent":
            if now - self.syn_time > RTO_INITIAL * (2 ** (self.syn_tries - 1)):
                if self.syn_tries >= SYN_RETRIES:
                    self.notes.append(f"no SYN-ACK after {self.syn_tries} SYNs")
                    return self.finish(now)
                self.send_syn(now)
            return now + 0.05
        if self.state == "established" and not self.client_rst:
            self._retransmit(now)
        if self.server_rst and self.i < len(self.actions):
            skipped = len(self.actions) - self.i
            self.notes.append(f"server reset the connection; {skipped} captured client segments not sent")
            self.i = len(self.actions)
        if self.i < len(self.actions):
            return self._next_action(now)
        return self._linger(now)

    def _next_action(self, now):
        a = self.actions[self.i]
        if a.kind == "syn":
            due = (self.last_send or self.t_begin) + a.think
            if now < due:
                return due
            self.send_syn(now)
            self.last_send = now
            self.i += 1
            return now + 0.05
        if self.state != "established" and not self.server_fin:
            return now + 0.05
        base = self.last_send
        if a.needs_response or a.wait_fin:
            if self.wait_since is None:
                self.wait_since = now
            if self.answered(a):
                if self.satisfied_at is None:
                    self.satisfied_at = now
                base = max(base, self.satisfied_at)
            elif now - self.wait_since < self.args.response_timeout:
                return now + 0.02
            else:
                what = "wsgate's FIN" if a.wait_fin else "wsgate's answer"
                self.waited.append(f"segment {a.index}: waited {self.args.response_timeout:g}s for {what}, "
                                   "sent it anyway")
                base = now
        due = base + a.think
        if now < due:
            return due
        # stay inside wsgate's window (it may be smaller than the original server's)
        end = a.rel_seq + len(a.payload)
        if a.kind == "data" and a.payload and end - self.snd_una_rel > max(self.snd_wnd, 1) \
                and a.rel_seq >= self.snd_una_rel and now - due < 2.0:
            return now + 0.02
        self._execute(a, now)
        self.i += 1
        self.wait_since = None
        self.satisfied_at = None
        self.last_send = now
        return now

    def _execute(self, a, now):
        if a.kind == "rst":
            flags = RST | (a.flags & ACK)
            self.seg(flags, a.rel_seq, win=0)
            self.client_rst = True
            self.state = "closed"
            return
        self.adv_raw = a.win
        if a.kind == "win":
            self.seg(ACK, self.snd_max_rel)
            return
        was_idle = self.snd_una_rel >= self.snd_max_rel
        flags = a.flags & (ACK | PSH | FIN)
        if self.rcv_nxt is not None:
            flags |= ACK
        mss = max(1, min(self.peer_mss, 1460))
        data = a.payload
        if len(data) > mss:
            self.notes.append(f"segment {a.index} of {len(data)} bytes split at wsgate's MSS {mss}")
        pieces = [data[i:i + mss] for i in range(0, len(data), mss)] or [b""]
        for k, p in enumerate(pieces):
            last = k == len(pieces) - 1
            f = flags if last else (flags & ~(FIN | PSH))
            self.seg(f, a.rel_seq + k * mss, p)
        if flags & FIN:
            self.fin_rel = a.rel_seq + len(data)
        if was_idle or self.last_progress is None:
            self.last_progress = now     # the retransmission timer starts now

    def _retransmit(self, now):
        if self.snd_una_rel >= self.snd_max_rel or self.last_progress is None:
            return
        if now - self.last_progress < self.rto:
            return
        if self.rto_tries >= RTO_RETRIES:
            return
        self.rto_tries += 1
        self.rto = min(self.rto * 2, 8.0)
        self.last_progress = now
        stream = self.client_stream()
        start = self.snd_una_rel
        mss = max(1, min(self.peer_mss, 1460))
        chunk = stream[start - 1:start - 1 + mss]
        flags = ACK | PSH
        if self.fin_rel is not None and start + len(chunk) >= self.fin_rel:
            chunk = chunk[:max(0, self.fin_rel - start)]
            flags |= FIN
        if chunk or flags & FIN:
            self.seg(flags, start, chunk)
            self.tool_retransmits += 1

    def _linger(self, now):
        if self.client_rst or self.server_rst:
            if now - (self.last_activity or now) >= SETTLE and now - self.last_send >= SETTLE:
                return self.finish(now)
            return now + 0.05
        if self.fin_rel is not None and self.fin_acked and self.server_fin:
            return self.finish(now)
        quiet = now - max(self.last_activity or 0, self.last_send or 0)
        an = self.analysis()
        out = an.outstanding()
        # after a WebSocket close (or an HTTP error) the server ends TCP first
        expect_fin = (an.client_closed_ws() or an.server_closed_ws() or
                      (an.resp["complete"] and an.resp["status"] not in (101, 200)) or
                      (not an.req["complete"] and self.fin_rel is None))
        if out == 0 and (self.server_fin or not expect_fin) and quiet >= SETTLE:
            return self.finish(now, cleanup=True)
        if quiet >= self.args.response_timeout:
            return self.finish(now, cleanup=True)
        return now + 0.05

    def finish(self, now, cleanup=False):
        if cleanup and self.state == "established" and not self.client_rst and not self.server_rst \
                and not (self.fin_acked and self.server_fin):
            # the capture ends with the connection open: free wsgate's side
            self.seg(RST | ACK, self.snd_max_rel)
            self.cleanup_rst = True
            self.notes.append("capture ends with the connection open: the tool reset it afterwards")
        self.done = True
        self.result = self.report()
        return None

    # ------------------------------------------------------------------ report
    def report(self):
        an = self.analysis()
        diffs = []
        if self.irs is None:
            diffs.append("no TCP handshake with wsgate (no SYN-ACK)")
        else:
            diffs += an.differences(self.server_fin, self.server_rst, self.client_rst, self.fin_rel is not None)
        if self.server_bad_checksums:
            diffs.append(f"{self.server_bad_checksums} segments from wsgate with a bad checksum")
        if self.i < len(self.actions):
            diffs.append(f"only {self.i} of {len(self.actions)} client actions replayed")
        exp_msgs = [[k, (sorted(v, key=lambda x: (x is None, x)) if isinstance(v, set) else len(v))]
                    for k, v in an.expected()]
        return {
            "flow": self.n,
            "original": self.fl.describe(),
            "client_is": self.fl.how_client,
            "replayed": f"{self.src_ip}:{self.sport} -> {self.dst_ip}:{self.dport}",
            "status": an.resp["status"] if an.resp["complete"] else None,
            "request": {"complete": an.req["complete"], "method": an.req["method"], "path": an.req["path"],
                        "upgrade": an.req["upgrade"], "why": an.req["why"]},
            "client": an.summary("client"),
            "server": an.summary("server"),
            "expected": exp_msgs,
            "close_codes": {"client": an.summary("client")["close_code"],
                            "server": an.summary("server")["close_code"]},
            "resets": {"client": self.client_rst, "server": self.server_rst, "cleanup": self.cleanup_rst},
            "fins": {"client": self.fin_rel is not None, "server": self.server_fin},
            "tcp": {"client_actions": len(self.actions), "sent": self.i,
                    "client_bytes": len(self.client_stream()), "server_bytes": len(self.rcv_buf),
                    "server_segments": self.server_segments,
                    "server_duplicates": self.server_dup_segments,
                    "dropped_beyond_window": self.data_beyond_window,
                    "tool_retransmits": self.tool_retransmits},
            "waits": self.waited,
            "notes": self.notes,
            "differences": diffs,
            "ok": not diffs,
        }


def parse_frame(frame):
    """Ethernet/IPv4/TCP -> (src, dst, sport, dport, seq, ack, flags, win, payload, opts, csum_ok) or None."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return None
    ip = frame[14:]
    ihl = (ip[0] & 0xF) * 4
    if ip[0] >> 4 != 4 or ihl < 20 or len(ip) < ihl or ip[9] != 6:
        return None
    tot = struct.unpack("!H", ip[2:4])[0]
    ip = ip[:tot]
    ok = csum(ip[:ihl]) == 0
    tcp = ip[ihl:]
    if len(tcp) < 20:
        return None
    sport, dport, seq, ack, off, flags, win = struct.unpack("!HHIIBBH", tcp[:16])
    hl = (off >> 4) * 4
    pseudo = ip[12:20] + struct.pack("!BBH", 0, 6, len(tcp))
    ok = ok and csum(pseudo + tcp) == 0
    from .flows import _tcp_opts
    return (socket.inet_ntoa(ip[12:16]), socket.inet_ntoa(ip[16:20]), sport, dport, seq, ack, flags, win,
            bytes(tcp[hl:]), _tcp_opts(tcp[20:hl]), ok)


def own_address(ip):
    """True when the kernel (this namespace) owns ip: the kernel would answer
    wsgate's packets to it with RSTs."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind((ip, 0))
        return True
    except OSError:
        return False
    finally:
        s.close()


def resolve_peer(link, my_ip, target, timeout=3.0):
    for attempt in range(3):
        link.send(arp_frame(link.mac, None, 1, link.mac, my_ip, None, target))
        deadline = time.monotonic() + timeout / 3
        for _ in range(1000):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            link.wait(min(left, 0.05))
            for fr in link.recv_all():
                if fr[12:14] == b"\x08\x06" and len(fr) >= 42:
                    op = struct.unpack("!H", fr[20:22])[0]
                    if op == 2 and socket.inet_ntoa(fr[28:32]) == target:
                        return fr[22:28]
    return None


def replay(flows, args, log=print):
    """Replay the selected flows concurrently; returns their reports."""
    link = Link(args.iface)
    base = socket.inet_aton(args.client_addr)
    base_n = struct.unpack("!I", base)[0]
    addrs = {}
    lives = []
    t_start = min(fl.order[0][1].ts for _, fl in flows)
    for k, (n, fl) in enumerate(flows):
        ip = socket.inet_ntoa(struct.pack("!I", base_n + k))
        if own_address(ip):
            raise SystemExit(f"replay: {ip} belongs to this host's kernel; pick --client-addr outside its addresses")
        dport = args.port_map.get(fl.server[1], args.port)
        lf = LiveFlow(n, fl, link, args, ip, args.target, dport, t_start)
        addrs[socket.inet_aton(ip)] = lf
        lives.append(lf)
    try:
        mac = resolve_peer(link, lives[0].src_ip, args.target)
        if mac is None:
            raise SystemExit(f"replay: no ARP answer from {args.target} on {args.iface} "
                             "(is wsgate running on this TAP with that address?)")
        link.peer_mac = mac
        log(f"replay: {args.target} is at {mac_str(mac)} on {args.iface}; "
            f"{len(lives)} flow(s) from {lives[0].src_ip}")
        now = time.monotonic()
        for lf in lives:
            lf.t_begin = now
            lf.deadline = now + lf.start_delay + args.timeout
        by_tuple = {(lf.src_ip, lf.sport): lf for lf in lives}
        hard_stop = now + args.timeout + max(lf.start_delay for lf in lives) + 5
        for _ in range(10_000_000):
            now = time.monotonic()
            if now > hard_stop:
                for lf in lives:
                    if not lf.done:
                        lf.notes.append("stopped by the tool's overall time bound")
                        lf.finish(now, cleanup=True)
                break
            nxt = now + 0.05
            for lf in lives:
                t = lf.step(now)
                if t is not None:
                    nxt = min(nxt, t)
            if all(lf.done for lf in lives):
                break
            link.wait(max(0.0, min(nxt - time.monotonic(), 0.05)))
            for fr in link.recv_all():
                et = fr[12:14]
                if et == b"\x08\x06" and len(fr) >= 42:
                    op = struct.unpack("!H", fr[20:22])[0]
                    tpa = fr[38:42]
                    if op == 1 and tpa in addrs:
                        link.send(arp_frame(link.mac, fr[22:28], 2, link.mac, socket.inet_ntoa(tpa),
                                            fr[22:28], socket.inet_ntoa(fr[28:32])))
                    continue
                p = parse_frame(fr)
                if p is None:
                    continue
                src, dst, sport, dport, seq, ack, flags, win, payload, opts, ok = p
                lf = by_tuple.get((dst, dport))
                if lf is None or src != args.target or sport != lf.dport or lf.done:
                    continue
                if not ok:
                    lf.server_bad_checksums += 1
                    continue
                lf.input(seq, ack, flags, win, payload, opts, time.monotonic())
            for lf in lives:
                if lf.ack_pending and lf.state == "established" and not lf.client_rst:
                    lf.seg(ACK, lf.snd_max_rel)
    finally:
        link.close()
    return [lf.result for lf in lives]
