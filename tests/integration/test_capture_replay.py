#!/usr/bin/python3
"""--capture records what the appliance receives and sends; --replay on that
capture (net_pcap, time from the capture, same --seed) is deterministic and
reproduces every TCP segment wsgate sent live.

Live: wsgate on TAP with --seed and --capture; curl /healthz, a WebSocket
echo (python3-websockets) and raw TCP echo. Then two offline replays of the
live capture must write byte-identical captures, and the segments the replay
sends (seq, ack, flags, length, payload) must equal the live ones. tshark
must find no bad checksum and no malformed WebSocket frame in the live file."""
import hashlib
import os
import re
import subprocess
import tempfile

import wsgate_env as W

SEED = "4242"
WORK = tempfile.mkdtemp(prefix="wsgate-capture-")
LIVE = os.path.join(WORK, "live.pcap")

WS_CLIENT = r'''
import asyncio, websockets
async def main():
    async with websockets.connect("ws://198.18.0.2:8080/chat", max_size=None) as ws:
        for msg in ["hello", "x" * 3000, b"\x00\x01binary"]:
            await ws.send(msg)
            assert await ws.recv() == msg
        await ws.close(1000, "done")
asyncio.run(asyncio.wait_for(main(), 30))
'''


def tshark(args, timeout=120):
    """tshark's stdout only (it warns on stderr when run as root)."""
    p = subprocess.run(["tshark"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=timeout)
    W.check(p.returncode == 0, f"tshark {' '.join(args)} failed: {p.stderr[-500:]}")
    return p.stdout


def tcp_segments_from(pcap, src_filter):
    """(sport, dport, seq, ack, flags, payload hex) of every TCP segment matching src_filter."""
    out = tshark(["-r", pcap, "-Y", f"{src_filter} && tcp", "-T", "fields",
                  "-e", "tcp.srcport", "-e", "tcp.dstport", "-e", "tcp.seq_raw", "-e", "tcp.ack_raw",
                  "-e", "tcp.flags", "-e", "tcp.payload"])
    return [tuple(l.split("\t")) for l in out.splitlines() if l.strip()]


def replay(out):
    argv = [os.path.abspath(W.sys.argv[1])] + ["--no-huge", "--no-shconf", "-m", "256", "-l", "0", "--no-pci",
            "--vdev", f"net_pcap0,rx_pcap={LIVE},tx_pcap=/dev/null", "--",
            "--addr", W.APPLIANCE_CIDR, "--replay", "--seed", SEED, "--capture", out, "--stats-interval", "0"]
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120)
    print(p.stdout[-600:])
    W.check(p.returncode == 0, f"replay exited {p.returncode}")
    mac = re.search(r"port 0 up: .* mac ([0-9a-f:]{17})", p.stdout)
    W.check(mac is not None, "replay did not log its port's MAC")
    with open(out, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest(), mac.group(1)


def test(env):
    W.check(env.client_ns.run(["curl", "-sS", "--max-time", "10", "-o", "/dev/null", "-w", "%{http_code}",
                               f"http://{W.APPLIANCE_ADDR}:{W.HTTP_PORT}/healthz"], timeout=30).stdout == "200",
            "healthz did not answer 200")
    env.client_ns.run(["/usr/bin/python3", "-c", WS_CLIENT], timeout=60)
    with env.client_ns.entered():
        W.echo_roundtrip(W.random_bytes(200_000, seed=1))
    env.down()  # wsgate flushes the capture on exit

    W.check(os.path.getsize(LIVE) > 24, "live capture is empty")
    bad = tshark(["-r", LIVE, "-o", "tcp.check_checksum:TRUE", "-o", "ip.check_checksum:TRUE",
                  "-Y", "tcp.checksum.status==2 || ip.checksum.status==2 || _ws.malformed"])
    W.check(bad.strip() == "", f"tshark flags frames in the live capture:\n{bad[:2000]}")

    live_tx = tcp_segments_from(LIVE, f"ip.src=={W.APPLIANCE_ADDR}")
    W.check(len(live_tx) > 20, f"only {len(live_tx)} segments from wsgate in the live capture")
    h1, mac = replay(os.path.join(WORK, "replay1.pcap"))
    h2, _ = replay(os.path.join(WORK, "replay2.pcap"))
    print(f"replay sha256: {h1} {h2}")
    W.check(h1 == h2, "two replays of the same capture differ")
    # In the replay's capture, wsgate's own frames carry net_pcap's MAC; the
    # input frames it saw (including the live wsgate's) carry others.
    replay_tx = tcp_segments_from(os.path.join(WORK, "replay1.pcap"), f"eth.src=={mac}")
    print(f"live segments {len(live_tx)}, replayed segments {len(replay_tx)}")
    for i, (a, b) in enumerate(zip(live_tx, replay_tx)):
        W.check(a == b, f"segment {i} differs: live {a[:5]} replay {b[:5]}")
    W.check(len(live_tx) == len(replay_tx), "replay sent a different number of segments")


if __name__ == "__main__":
    W.main(test, "capture", extra=["--seed", SEED, "--capture", LIVE])
