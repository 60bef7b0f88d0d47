"""What an RFC 6455 echo server must answer, and what wsgate did answer.

Both byte streams of a flow are parsed here: the client's (an HTTP request,
then masked frames) into the answers an echo server owes it, the server's (an
HTTP response, then unmasked frames) into the answers it gave.  Answers are
compared message by message, not frame by frame: RFC 6455 lets a server
fragment a message as it likes, but each data message must come back with the
same type and payload, each ping as a pong with the same payload, and a close
as a close with the same code (RFC 6455 5.5.1).
"""

import base64
import hashlib
import re
import struct

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OPNAMES = {0: "cont", 1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong"}
HTTP_ONLY_PATHS = ("/healthz", "/metrics")
VALID_CLOSE = set(range(1000, 1004)) | set(range(1007, 1012)) | set(range(3000, 5000))


def opname(op):
    return OPNAMES.get(op, f"op{op}")


def accept_for(key):
    return base64.b64encode(hashlib.sha1(key.encode() + WS_GUID).digest()).decode()


def parse_head(data, limit=65536):
    """(head_text, rest) when the head is complete, else (None, data)."""
    i = data.find(b"\r\n\r\n")
    if i < 0:
        return None, data
    return data[:i].decode("latin-1"), data[i + 4:]


def header_map(lines):
    h = {}
    for line in lines:
        k, sep, v = line.partition(":")
        if not sep:
            continue
        k = k.strip().lower()
        h[k] = (h[k] + ", " + v.strip()) if k in h else v.strip()
    return h


def tokens(v):
    return [t.strip().lower() for t in (v or "").split(",") if t.strip()]


def xor_mask(payload, key):
    if not payload:
        return b""
    n = len(payload)
    k = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(k, "big")).to_bytes(n, "big")


def parse_frames(data, from_client):
    """Frames in data -> (frames, rest, error). A frame is a dict with fin,
    rsv, op, masked, len, payload (unmasked). error names the first protocol
    problem that stops parsing (for the RFC's close code)."""
    frames = []
    i = 0
    for _ in range(1 << 20):
        if len(data) - i < 2:
            break
        b0, b1 = data[i], data[i + 1]
        fin, rsv, op = bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0xF
        masked, n = bool(b1 & 0x80), b1 & 0x7F
        j = i + 2
        if n == 126:
            if len(data) - j < 2:
                break
            n = struct.unpack_from("!H", data, j)[0]
            j += 2
        elif n == 127:
            if len(data) - j < 8:
                break
            n = struct.unpack_from("!Q", data, j)[0]
            j += 8
        key = b""
        if masked:
            if len(data) - j < 4:
                break
            key = data[j:j + 4]
            j += 4
        if n > (256 << 20):
            return frames, data[i:], f"{opname(op)} frame claims {n} bytes"
        if len(data) - j < n:
            break
        payload = data[j:j + n]
        if masked:
            payload = xor_mask(payload, key)
        frames.append({"fin": fin, "rsv": rsv, "op": op, "masked": masked, "len": n, "payload": payload})
        i = j + n
    return frames, data[i:], None


def utf8_ok(b):
    try:
        b.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def close_code_of(payload):
    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else None


class Messages:
    """Frames -> messages (data messages reassembled, control frames as they
    come). Each event: {"kind": text|binary|ping|pong|close, "payload",
    "code" (close), "frames"}. Records the first protocol violation (the
    close code an endpoint must answer it with) in .violation."""

    def __init__(self, from_client, max_message):
        self.from_client = from_client
        self.max_message = max_message
        self.events = []
        self.violation = None       # (code, why)
        self.open_op = None
        self.parts = []
        self.open_frames = 0
        self.closed = False         # saw a close frame; later frames are ignored
        self.after_close = 0

    def feed(self, frames):
        for f in frames:
            if self.violation:
                return
            if self.closed:
                self.after_close += 1
                continue
            self._one(f)

    def _bad(self, code, why):
        if not self.violation:
            self.violation = (code, why)

    def _one(self, f):
        op = f["op"]
        if f["rsv"]:
            return self._bad(1002, f"RSV bits {f['rsv']:#x} without an extension")
        if self.from_client and not f["masked"]:
            return self._bad(1002, f"unmasked client {opname(op)} frame")
        if not self.from_client and f["masked"]:
            return self._bad(1002, f"masked server {opname(op)} frame")
        if op in (3, 4, 5, 6, 7, 11, 12, 13, 14, 15):
            return self._bad(1002, f"reserved opcode {op}")
        if op >= 8:
            if not f["fin"] or f["len"] > 125:
                return self._bad(1002, f"{opname(op)} frame fragmented or above 125 bytes")
            ev = {"kind": opname(op), "payload": f["payload"], "frames": 1}
            if op == 8:
                p = f["payload"]
                if len(p) == 1:
                    return self._bad(1002, "close frame with a 1-byte payload")
                code = close_code_of(p)
                if code is not None and code not in VALID_CLOSE:
                    return self._bad(1002, f"close code {code} is not allowed on the wire")
                if len(p) > 2 and not utf8_ok(p[2:]):
                    return self._bad(1007, "close reason is not UTF-8")
                ev["code"] = code
                ev["reason"] = p[2:].decode("utf-8", "replace")
                self.closed = True
            self.events.append(ev)
            return
        if op == 0:
            if self.open_op is None:
                return self._bad(1002, "continuation frame with no message open")
        else:
            if self.open_op is not None:
                return self._bad(1002, f"new {opname(op)} message inside a fragmented one")
            self.open_op = op
            self.parts = []
            self.open_frames = 0
        self.parts.append(f["payload"])
        self.open_frames += 1
        if sum(len(p) for p in self.parts) > self.max_message:
            return self._bad(1009, f"message above {self.max_message} bytes")
        if f["fin"]:
            payload = b"".join(self.parts)
            if self.open_op == 1 and not utf8_ok(payload):
                return self._bad(1007, "text message is not valid UTF-8")
            self.events.append({"kind": opname(self.open_op), "payload": payload, "frames": self.open_frames})
            self.open_op = None
            self.parts = []


def analyze_request(data):
    """The client's HTTP request. Returns dict: complete, method, path,
    upgrade (valid RFC 6455 upgrade), why (if not), key, protocols,
    extensions, expect (set of acceptable statuses; None = close without
    an answer is fine too), rest (bytes after the head)."""
    head, rest = parse_head(data)
    r = {"complete": head is not None, "rest": rest if head is not None else b"", "key": None,
         "path": None, "method": None, "upgrade": False, "why": "", "protocols": [], "extensions": []}
    if head is None:
        # RFC 9110 has no deadline; wsgate enforces --handshake-timeout with 408
        # (a server may also just close).
        r["expect"] = {408, None} if data else {None}
        r["why"] = "request head incomplete" if data else "no request"
        return r
    lines = head.split("\r\n")
    m = re.match(r"^([A-Z]+) (\S+) HTTP/(\d)\.(\d)$", lines[0])
    if not m:
        r["expect"] = {400}
        r["why"] = f"bad request line {lines[0][:60]!r}"
        return r
    r["method"], r["path"] = m.group(1), m.group(2)
    h = header_map(lines[1:])
    r["headers"] = h
    r["protocols"] = tokens(h.get("sec-websocket-protocol"))
    r["extensions"] = tokens(h.get("sec-websocket-extensions"))
    wants_upgrade = "websocket" in tokens(h.get("upgrade"))
    path_only = r["path"].split("?")[0]
    if not wants_upgrade:
        if r["method"] in ("GET", "HEAD") and path_only in HTTP_ONLY_PATHS:
            r["expect"] = {200}
        else:
            r["expect"] = {400, 404, 405, 426}
        r["why"] = "not an upgrade request"
        return r
    problems = []
    if r["method"] != "GET":
        problems.append(f"method {r['method']}")
    if (int(m.group(3)), int(m.group(4))) < (1, 1):
        problems.append("HTTP/1.0")
    if "host" not in h:
        problems.append("no Host")
    if "upgrade" not in tokens(h.get("connection")):
        problems.append("Connection without upgrade")
    key = h.get("sec-websocket-key", "")
    try:
        okkey = len(base64.b64decode(key, validate=True)) == 16
    except Exception:
        okkey = False
    if not okkey:
        problems.append(f"bad Sec-WebSocket-Key {key!r}")
    if h.get("sec-websocket-version", "").strip() != "13":
        problems.append(f"Sec-WebSocket-Version {h.get('sec-websocket-version')!r}")
    if problems:
        r["expect"] = {400, 426}
        r["why"] = "; ".join(problems)
        return r
    r["upgrade"] = True
    r["key"] = key.strip()
    r["expect"] = {101}
    return r


def analyze_response(data):
    head, rest = parse_head(data)
    if head is None:
        return {"complete": False, "status": None, "rest": b"", "raw": data[:200]}
    lines = head.split("\r\n")
    m = re.match(r"^HTTP/1\.[01] (\d{3})", lines[0])
    status = int(m.group(1)) if m else -1
    h = header_map(lines[1:])
    n = int(h.get("content-length", "0") or 0) if status != 101 else 0
    return {"complete": True, "status": status, "headers": h, "rest": rest[n:] if status != 101 else rest,
            "body": rest[:n] if status != 101 else b"", "status_line": lines[0]}


class Analysis:
    """Both streams of one flow. client_done: the client stream will not
    grow any more (RST or FIN sent)."""

    def __init__(self, client_bytes, server_bytes, max_message=1 << 20):
        self.req = analyze_request(client_bytes)
        self.resp = analyze_response(server_bytes)
        self.client = Messages(True, max_message)
        self.server = Messages(False, 1 << 62)
        self.client_frames = []
        self.server_frames = []
        self.server_tail = b""
        if self.req["complete"] and self.req["upgrade"]:
            fr, _, err = parse_frames(self.req["rest"], True)
            self.client_frames = fr
            self.client.feed(fr)
            if err and not self.client.violation:
                self.client.violation = (1009, err)
        if self.resp["complete"] and self.resp["status"] == 101:
            fr, tail, err = parse_frames(self.resp["rest"], False)
            self.server_frames = fr
            self.server_tail = tail
            self.server.feed(fr)
            if err and not self.server.violation:
                self.server.violation = (1002, err)

    # ------------------------------------------------------------------
    def expected(self):
        """The answers an echo server owes, in order: ("http", statuses) then
        ("text"|"binary", payload), ("pong", payload), ("close", codes)."""
        out = [("http", self.req["expect"])]
        if not (self.req["complete"] and self.req["upgrade"]):
            return out
        for ev in self.client.events:
            k = ev["kind"]
            if k in ("text", "binary"):
                out.append((k, ev["payload"]))
            elif k == "ping":
                out.append(("pong", ev["payload"]))
            elif k == "close":
                # echo the code; a close without one is answered without one
                # (or 1000: RFC 6455 7.4.1 lets an endpoint say "normal")
                out.append(("close", {ev["code"]} if ev["code"] is not None else {None, 1000}))
        if self.client.violation:
            out.append(("close", {self.client.violation[0]}))
        return out

    def actual(self):
        out = []
        if self.resp["complete"]:
            out.append(("http", self.resp["status"]))
        for ev in self.server.events:
            k = ev["kind"]
            out.append((k, ev.get("code") if k == "close" else ev["payload"]))
        return out

    def outstanding(self):
        """How many expected answers have not arrived yet."""
        return max(0, len(self.expected()) - len(self.actual()))

    def client_closed_ws(self):
        return any(e["kind"] == "close" for e in self.client.events) or bool(self.client.violation)

    def server_closed_ws(self):
        return any(e["kind"] == "close" for e in self.server.events)

    def differences(self, server_fin, server_rst, client_rst, client_fin, request_sent_fully=True):
        """Differences between what an echo server owed and what came back."""
        diffs = []
        exp, act = self.expected(), self.actual()
        # the HTTP answer
        want = exp[0][1]
        got = act[0][1] if act else None
        if got is None:
            if None not in want and not client_rst:
                diffs.append(f"no HTTP response (expected {fmt_statuses(want)})")
        elif got not in want:
            diffs.append(f"HTTP status {got}, expected {fmt_statuses(want)} ({self.req['why'] or 'valid upgrade'})")
        if got == 101:
            diffs += self._check_101()
        if client_rst:
            # answers for what the client completed before its reset may or may
            # not have been sent; only check what did come back
            exp = exp[:len(act)]
        for i in range(1, max(len(exp), len(act))):
            e = exp[i] if i < len(exp) else None
            a = act[i] if i < len(act) else None
            if e is None:
                diffs.append(f"unexpected {describe_answer(a)} from the server")
                continue
            if a is None:
                diffs.append(f"missing answer: {describe_expect(e)}")
                continue
            if e[0] != a[0]:
                diffs.append(f"answer {i}: got {describe_answer(a)}, expected {describe_expect(e)}")
            elif e[0] == "close":
                if a[1] not in e[1]:
                    diffs.append(f"server close code {a[1]}, expected {fmt_statuses(e[1])}")
            elif e[1] != a[1]:
                diffs.append(f"answer {i}: {a[0]} payload differs ({len(a[1])} bytes, expected {len(e[1])})")
        if self.server.violation:
            diffs.append(f"server frames break RFC 6455: {self.server.violation[1]}")
        if self.server_tail and (server_fin or server_rst):
            diffs.append(f"server stream ends inside a frame ({len(self.server_tail)} bytes left)")
        if self.server.after_close:
            diffs.append(f"{self.server.after_close} server frames after its close frame")
        if server_rst and not client_rst:
            diffs.append("server reset the connection")
        if (self.server_closed_ws() or (act and act[0][1] not in (101, 200, None))) \
                and not server_fin and not server_rst and not client_rst:
            diffs.append("server did not end the TCP connection (no FIN) after its close/error answer")
        return diffs

    def _check_101(self):
        h = self.resp.get("headers", {})
        d = []
        if "websocket" not in tokens(h.get("upgrade")):
            d.append(f"101 without Upgrade: websocket ({h.get('upgrade')!r})")
        if "upgrade" not in tokens(h.get("connection")):
            d.append(f"101 without Connection: Upgrade ({h.get('connection')!r})")
        if self.req.get("key") and h.get("sec-websocket-accept") != accept_for(self.req["key"]):
            d.append(f"Sec-WebSocket-Accept {h.get('sec-websocket-accept')!r}, "
                     f"expected {accept_for(self.req['key'])!r}")
        proto = h.get("sec-websocket-protocol")
        if proto and proto.strip().lower() not in self.req["protocols"]:
            d.append(f"subprotocol {proto!r} was not offered")
        ext = tokens(h.get("sec-websocket-extensions"))
        offered = [e.split(";")[0].strip() for e in self.req["extensions"]]
        for e in ext:
            if e.split(";")[0].strip() not in offered:
                d.append(f"extension {e!r} was not offered")
        return d

    # ------------------------------------------------------------------
    def summary(self, side):
        m = self.client if side == "client" else self.server
        frames = self.client_frames if side == "client" else self.server_frames
        close = next((e for e in m.events if e["kind"] == "close"), None)
        return {
            "frames": [[opname(f["op"]), f["len"]] for f in frames],
            "messages": [[e["kind"], e["code"] if e["kind"] == "close" else len(e["payload"])]
                         for e in m.events],
            "close_code": close.get("code") if close else None,
            "close_reason": close.get("reason") if close else None,
            "violation": m.violation[1] if m.violation else None,
        }


def fmt_statuses(s):
    parts = sorted(str(x) for x in s if x is not None)
    if None in s:
        parts.append("none (close)")
    return " or ".join(parts)


def describe_answer(a):
    if a is None:
        return "nothing"
    k, v = a
    if k == "close":
        return f"close {v}"
    if k == "http":
        return f"HTTP {v}"
    return f"{k} ({len(v)} bytes)"


def describe_expect(e):
    k, v = e
    if k in ("close", "http"):
        return f"{k} {fmt_statuses(v)}"
    return f"{k} ({len(v)} bytes)"
