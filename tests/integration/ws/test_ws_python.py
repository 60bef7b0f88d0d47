#!/usr/bin/python3
"""python3-websockets (Debian) against wsgate's WebSocket echo: messages of
0, 125, 126, 65535, 65536 bytes and 1 MiB, text and binary, each echoed
identical and of the same type; fragmented sends; ping/pong; close with code
and reason (the server echoes the code and then ends the TCP connection)."""
import asyncio
import os
import time

import ws_common as C
from ws_common import W

import websockets

SIZES = [0, 125, 126, 65535, 65536, 1 << 20]
URI = f"ws://{W.APPLIANCE_ADDR}:{W.HTTP_PORT}/echo"
CLOSE_TIMEOUT = 8.0


def text_of(n, seed):
    # multi-byte UTF-8 included, cut to exactly n bytes on a character boundary
    alphabet = "abcdefghij KLMNOP 0123456789 \u00e9\u20ac\U0001F600"
    rnd = W.random.Random(seed)
    out = []
    size = 0
    while size < n:
        ch = rnd.choice(alphabet)
        b = len(ch.encode())
        if size + b > n:
            ch, b = "x", 1
        out.append(ch)
        size += b
    s = "".join(out)
    assert len(s.encode()) == n
    return s


async def connect():
    return await websockets.connect(URI, max_size=4 << 20, max_queue=64, open_timeout=15,
                                    close_timeout=CLOSE_TIMEOUT, ping_interval=None)


async def run(results):
    def ok(name, cond, detail=""):
        results.append((name, bool(cond), detail))
        print(f"  {'PASS' if cond else 'FAIL'} {name} {detail if not cond else ''}", flush=True)

    ws = await connect()
    # websockets offers permessage-deflate by default: wsgate must decline it.
    ext = ws.response_headers.get("Sec-WebSocket-Extensions")
    ok("permessage-deflate declined", ext is None, f"Sec-WebSocket-Extensions: {ext!r}")

    for n in SIZES:
        for kind in ("text", "binary"):
            msg = text_of(n, n) if kind == "text" else W.random_bytes(n, seed=n)
            name = f"echo {kind} {n} bytes"
            try:
                await asyncio.wait_for(ws.send(msg), 60)
                got = await asyncio.wait_for(ws.recv(), 60)
                same_type = isinstance(got, type(msg))
                ok(name, same_type and got == msg,
                   f"type {type(got).__name__} (sent {type(msg).__name__}), len {len(got)} vs {n}"
                   + ("" if not same_type or got == msg else
                      f", first difference at {W.first_difference(got.encode() if isinstance(got, str) else got, msg.encode() if isinstance(msg, str) else msg)}"))
            except Exception as e:
                ok(name, False, repr(e))
                ws = await connect()

    # Fragmented sends: a list (iterable) and an async iterator of fragments.
    frags_t = ["Hel", "", "lo, ", "w\u00f6rld ", "\u20ac" * 40]
    frags_b = [os.urandom(7), b"", os.urandom(200), os.urandom(70000)]
    for name, frags, whole in (("fragmented text (list)", frags_t, "".join(frags_t)),
                               ("fragmented binary (list)", frags_b, b"".join(frags_b))):
        try:
            await asyncio.wait_for(ws.send(frags), 30)
            got = await asyncio.wait_for(ws.recv(), 30)
            ok(name, type(got) is type(whole) and got == whole, f"got {type(got).__name__} len {len(got)}")
        except Exception as e:
            ok(name, False, repr(e))
            ws = await connect()

    async def agen():
        for f in frags_t:
            yield f
            await asyncio.sleep(0.01)
    try:
        await asyncio.wait_for(ws.send(agen()), 30)
        got = await asyncio.wait_for(ws.recv(), 30)
        ok("fragmented text (async iterator)", got == "".join(frags_t), f"got {got!r:.80}")
    except Exception as e:
        ok("fragmented text (async iterator)", False, repr(e))
        ws = await connect()

    # Ping/pong: websockets resolves a ping's waiter only on a pong whose
    # payload equals the ping's, so the await proves the payload came back.
    for payload in (b"", b"ping-123", os.urandom(125)):
        name = f"ping {len(payload)} bytes -> pong with the same payload"
        try:
            waiter = await ws.ping(payload)
            await asyncio.wait_for(waiter, 10)
            ok(name, True)
        except Exception as e:
            ok(name, False, repr(e))
            ws = await connect()
    # still echoing after the pings
    await ws.send("after ping")
    ok("echo after ping", await asyncio.wait_for(ws.recv(), 10) == "after ping")

    # Close with code and reason: the server echoes the code; then the TCP
    # connection ends (by the server, well before our close_timeout).
    t0 = time.monotonic()
    try:
        await asyncio.wait_for(ws.close(code=4321, reason="bye \u00e9"), CLOSE_TIMEOUT + 5)
        await asyncio.wait_for(ws.wait_closed(), CLOSE_TIMEOUT + 5)
        took = time.monotonic() - t0
        ok("close: server echoes code 4321", ws.close_code == 4321,
           f"close_code={ws.close_code} reason={ws.close_reason!r}")
        ok("close: TCP ends promptly after the close handshake", took < CLOSE_TIMEOUT - 2,
           f"took {took:.1f}s (client's close_timeout is {CLOSE_TIMEOUT}s)")
        ok("close: transport closed", ws.transport.is_closing())
    except Exception as e:
        ok("close with code and reason", False, repr(e))

    # A second connection closed with plain 1000 and no reason.
    ws2 = await connect()
    await ws2.send(b"x")
    await asyncio.wait_for(ws2.recv(), 10)
    await asyncio.wait_for(ws2.close(), CLOSE_TIMEOUT + 5)
    ok("close 1000: server echoes 1000", ws2.close_code == 1000, f"close_code={ws2.close_code}")


def test(env):
    results = []
    with env.client_ns.entered():
        asyncio.run(asyncio.wait_for(run(results), 600))
        # The appliance is still healthy and holds no leftover connections.
        states = W.wait_no_live_connections(15)
        print(f"connection states after the test: {states}")
    failed = [r for r in results if not r[1]]
    print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    W.check(not failed, "failed: " + "; ".join(f"{n} ({d})" for n, _, d in failed))


if __name__ == "__main__":
    W.main(test, "wspython")
