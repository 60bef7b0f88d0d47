#!/usr/bin/python3
"""Record the real-client captures in captures/ (real-*.pcap): wsgate on a
TAP in a namespace of its own (../integration/wsgate_env.py), dumpcap on the
TAP, and real kernel clients -- python3-websockets, curl, the node `ws`
client (npm ci --prefix tests/integration/ws) -- talking to it.

    /usr/bin/python3 tests/replay/record_captures.py build-replay/app/wsgate

Re-recording changes the files (ISNs, masks, timings) but not what they
exercise; the golden files in expected/ describe the clients' behaviour and
stay valid.
"""

import os
import shutil
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))

import wsgate_env as W  # noqa: E402

OUT = os.path.join(HERE, "captures")
WS_DIR = os.path.join(ROOT, "tests", "integration", "ws")
URL = f"ws://{W.APPLIANCE_ADDR}:{W.HTTP_PORT}"

PY_CLIENT = r"""
import asyncio, sys
import websockets
async def main():
    async with websockets.connect(sys.argv[1], open_timeout=10, close_timeout=5, ping_interval=None) as ws:
        await ws.send("hello from python3-websockets")
        assert await asyncio.wait_for(ws.recv(), 10) == "hello from python3-websockets"
        data = bytes(range(256)) * 8
        await ws.send(data)
        assert await asyncio.wait_for(ws.recv(), 10) == data
        pong = await ws.ping(b"py-ping")
        await asyncio.wait_for(pong, 10)
        await ws.send(["frag", "mented ", "text"])
        assert await asyncio.wait_for(ws.recv(), 10) == "fragmented text"
        await ws.close(1000, "done")
asyncio.run(asyncio.wait_for(main(), 30))
print("python client: ok")
"""

NODE_CLIENT = r"""
import { createRequire } from 'node:module';
const require = createRequire(process.argv[2] + '/package.json');
const WebSocket = require('ws');
const ws = new WebSocket(process.argv[3], { perMessageDeflate: false, handshakeTimeout: 10000 });
const timer = setTimeout(() => { console.log('node client: timeout'); process.exit(1); }, 20000);
const got = [];
ws.on('open', () => {
  ws.send('hello from node ws');
  ws.send(Buffer.alloc(5000, 0x5a));
  ws.ping(Buffer.from('node-ping'));
});
ws.on('message', (data, isBinary) => {
  got.push([isBinary, data.length]);
  if (got.length === 2) ws.close(4001, 'node done');
});
ws.on('close', (code) => { clearTimeout(timer); console.log('node client: closed', code, JSON.stringify(got)); process.exit(code === 4001 ? 0 : 1); });
ws.on('error', (e) => { console.log('node client: error', e.message); process.exit(1); });
"""


def record(env, name, argv, timeout=40):
    ns = env.ns
    tmp = os.path.join(env.wsgate.logdir, name)
    dump = subprocess.Popen(ns.cmd(["dumpcap", "-q", "-i", env.tap, "-f", f"tcp port {W.HTTP_PORT}",
                                    "-P", "-w", tmp]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    W.add_cleanup(lambda: dump.poll() is None and dump.kill())
    W.wait_for(lambda: os.path.exists(tmp) and os.path.getsize(tmp) > 0, 10, what="dumpcap to start")
    time.sleep(0.5)
    W.log("client: " + " ".join(argv))
    p = subprocess.run(ns.cmd(argv), timeout=timeout, text=True, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    print(p.stdout, end="")
    W.check(p.returncode == 0, f"{name}: client failed ({p.returncode})")
    time.sleep(1.0)  # the last ACKs / TIME_WAIT segments
    dump.send_signal(signal.SIGTERM)
    dump.wait(timeout=10)
    shutil.copy(tmp, os.path.join(OUT, name))
    W.log(f"wrote {os.path.join(OUT, name)}")


def run(env):
    os.makedirs(OUT, exist_ok=True)
    pyfile = os.path.join(env.wsgate.logdir, "py_client.py")
    with open(pyfile, "w") as f:
        f.write(PY_CLIENT)
    record(env, "real-python-websockets.pcap", ["/usr/bin/python3", pyfile, URL + "/python"])
    record(env, "real-curl-healthz.pcap",
           ["curl", "-sS", "-m", "10", "-o", "/dev/null", "-w", "curl: %{http_code}\\n",
            f"http://{W.APPLIANCE_ADDR}:{W.HTTP_PORT}/healthz"])
    if os.path.isfile(os.path.join(WS_DIR, "node_modules", "ws", "package.json")):
        nodefile = os.path.join(env.wsgate.logdir, "node_client.mjs")
        with open(nodefile, "w") as f:
            f.write(NODE_CLIENT)
        record(env, "real-node-ws.pcap", ["node", nodefile, WS_DIR, URL + "/node"])
    else:
        print("node_modules missing: npm ci --prefix tests/integration/ws; real-node-ws.pcap not recorded")


if __name__ == "__main__":
    W.main(run, "rplrec")
