#!/usr/bin/python3
"""wsgate's WebSocket options through a raw socket (issue 3: optional
subprotocol selection, Origin allow-list, server ping for idle connections).

wsgate runs with
  --ws-subprotocol chat,superchat  (ours, in that order)
  --ws-origin http://allowed.example,https://also.example
  --ws-path /ws,/chat
  --ws-idle-ping 500
and the test checks:
  - Sec-WebSocket-Protocol in the 101 is the FIRST client-offered value we
    support (client order wins), and absent when there is no overlap or no offer;
  - a disallowed Origin gets 403, an allowed one (any case) a 101, no Origin a 101;
  - a path not in --ws-path gets 404;
  - an idle connection receives an empty Ping after 500..1000 ms (plus slack);
    answering it keeps the connection open and echoing; a connection that
    never answers is closed with 1001 within another period, then FIN.
"""
import socket
import struct
import time
import traceback

import ws_common as C
from ws_common import W, frame, OP_TEXT, OP_PING, OP_PONG, OP_CLOSE

PING_MS = 500
EXTRA = ["--ws-subprotocol", "chat,superchat",
         "--ws-origin", "http://allowed.example,https://also.example",
         "--ws-path", "/ws,/chat",
         "--ws-idle-ping", str(PING_MS)]
SLACK = 1.0  # seconds: scheduling, TAP latency


def upgrade(path="/ws", extra=()):
    """Send an upgrade; returns (conn, status, headers, raw, key)."""
    c = C.Conn()
    req, key = C.upgrade_request(path, extra=extra)
    c.send(req)
    status, headers, raw = c.read_head(10)
    return c, status, headers, raw, key


def expect_protocol(offer, expected):
    extra = () if offer is None else (("Sec-WebSocket-Protocol", offer),)
    c, status, headers, raw, key = upgrade(extra=extra)
    with c:
        C.check_101(status, headers, raw, key)
        got = headers.get("sec-websocket-protocol")
        W.check(got == expected, f"offer {offer!r}: Sec-WebSocket-Protocol {got!r}, expected {expected!r}: {raw!r}")
        # Still a working WebSocket.
        c.send(frame(OP_TEXT, "hi"))
        op, payload, _ = c.read_message(10)
        W.check((op, payload) == (OP_TEXT, b"hi"), f"echo after subprotocol {expected!r}: {(op, payload)!r}")


def expect_status(path, extra, status_expected, what):
    c, status, headers, raw, key = upgrade(path, extra)
    with c:
        W.check(status == status_expected, f"{what}: status {status}, expected {status_expected}: {raw[:300]!r}")
        if status == 101:
            C.check_101(status, headers, raw, key)
        else:
            n = int(headers.get("content-length", "0") or 0)
            if n:
                c.read_exact(n, 5)  # the error body
            W.check(c.wait_eof(5), f"{what}: connection not closed after {status}")


def case_subprotocols():
    expect_protocol("superchat, chat", "superchat")  # client order wins
    expect_protocol("chat, superchat", "chat")
    expect_protocol("foo, superchat", "superchat")
    expect_protocol("foo, bar", None)
    expect_protocol(None, None)


def case_origins():
    expect_status("/ws", (("Origin", "http://evil.example"),), 403, "disallowed Origin")
    expect_status("/ws", (("Origin", "http://allowed.example.evil"),), 403, "Origin with allowed prefix")
    expect_status("/ws", (("Origin", "http://allowed.example"),), 101, "allowed Origin")
    expect_status("/chat", (("Origin", "HTTPS://ALSO.EXAMPLE"),), 101, "allowed Origin, other case")
    expect_status("/ws", (), 101, "no Origin (not a browser)")


def case_paths():
    expect_status("/other", (), 404, "path not in --ws-path")


def read_control(c, timeout):
    """Next frame within timeout -> (op, payload), or None on timeout."""
    try:
        fin, rsv, op, payload = c.read_frame(timeout)
    except socket.timeout:
        return None
    W.check(fin and not rsv, f"frame fin={fin} rsv={rsv}")
    return op, payload


def case_idle_ping_answered():
    c = C.open_ws("/ws")
    with c:
        t0 = time.monotonic()
        got = read_control(c, 2 * PING_MS / 1000 + SLACK)
        dt = time.monotonic() - t0
        W.check(got is not None, f"no ping within {2 * PING_MS / 1000 + SLACK:.1f}s on an idle connection")
        W.check(got[0] == OP_PING, f"idle connection got opcode {got[0]:#x} {got[1]!r}, expected a ping")
        W.check(dt >= PING_MS / 1000 * 0.9, f"ping after {dt:.3f}s, before the {PING_MS} ms idle time")
        W.log(f"idle ping after {dt:.3f}s, payload {got[1]!r}")
        c.send(frame(OP_PONG, got[1]))
        # Answered: the connection stays open (pinged again later, never closed).
        t1 = time.monotonic()
        while time.monotonic() - t1 < 3 * PING_MS / 1000:
            nxt = read_control(c, 0.2)
            if nxt is None:
                continue
            W.check(nxt[0] == OP_PING, f"after our pong: opcode {nxt[0]:#x} {nxt[1]!r} (expected only pings)")
            c.send(frame(OP_PONG, nxt[1]))
        c.send(frame(OP_TEXT, "still here"))
        op, payload, controls = c.read_message(10)
        W.check((op, payload) == (OP_TEXT, b"still here"), f"echo after pongs: {(op, payload)!r}")


def case_idle_ping_unanswered():
    c = C.open_ws("/ws")
    with c:
        t0 = time.monotonic()
        got = read_control(c, 2 * PING_MS / 1000 + SLACK)
        W.check(got is not None and got[0] == OP_PING, f"expected an idle ping, got {got!r}")
        # Say nothing: a close 1001 must follow within about one more period.
        got = read_control(c, PING_MS / 1000 + SLACK)
        dt = time.monotonic() - t0
        W.check(got is not None, "unanswered ping: no close within a period")
        W.check(got[0] == OP_CLOSE and got[1][:2] == struct.pack("!H", 1001),
                f"unanswered ping: got opcode {got[0]:#x} {got[1]!r}, expected close 1001")
        W.check(c.wait_eof(5), "unanswered ping: no FIN after the close")
        W.log(f"close 1001 {dt:.3f}s after the connection went idle")


CASES = [
    ("subprotocol: first client-offered one we support; none without overlap", case_subprotocols),
    ("origin: allow-list 403/101", case_origins),
    ("path: --ws-path restricts upgrades", case_paths),
    ("idle ping: arrives on an idle connection; a pong keeps it open", case_idle_ping_answered),
    ("idle ping: unanswered -> close 1001 and FIN", case_idle_ping_unanswered),
]


def test(env):
    failed = []
    with env.client_ns.entered():
        for name, fn in CASES:
            t0 = time.monotonic()
            try:
                fn()
                print(f"PASS {name} ({time.monotonic() - t0:.2f}s)", flush=True)
            except Exception as e:
                detail = str(e) if isinstance(e, W.TestFailure) else traceback.format_exc(limit=3)
                failed.append(name)
                print(f"FAIL {name}: {detail}", flush=True)
        _, _, body = W.http_get("/metrics")
        lines = [l for l in body.decode("utf-8", "replace").splitlines()
                 if l.startswith(("wsgate_ws_idle", "wsgate_ws_close_sent_1001", "wsgate_ws_http_403",
                                  "wsgate_ws_http_404", "wsgate_ws_handshakes_ok"))]
        print("/metrics:\n  " + "\n  ".join(lines))
    W.check(not failed, f"{len(failed)} option case(s) failed: {failed}")


if __name__ == "__main__":
    W.main(test, "wsoptions", extra=EXTRA)
