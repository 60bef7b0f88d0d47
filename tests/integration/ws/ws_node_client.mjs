// The node `ws` client against wsgate's echo: sizes, text and binary,
// fragmented sends, ping/pong, close with code and reason. Prints one line per
// check and "N passed, N failed"; exits 0 only when all passed.
// usage: node ws_node_client.mjs ws://HOST:PORT/path
import WebSocket from 'ws';
import crypto from 'node:crypto';

const url = process.argv[2];
const SIZES = [0, 125, 126, 65535, 65536, 1 << 20];
const results = [];
const ok = (name, cond, detail = '') => {
  results.push([name, !!cond, detail]);
  console.log(`  ${cond ? 'PASS' : 'FAIL'} ${name}${cond ? '' : ' ' + detail}`);
};

// Every wait is bounded.
const withTimeout = (p, ms, what) => Promise.race([
  p, new Promise((_, rej) => setTimeout(() => rej(new Error(`timeout ${ms}ms: ${what}`)), ms).unref())]);

function open() {
  return withTimeout(new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: 4 << 20, perMessageDeflate: true, handshakeTimeout: 15000 });
    ws.once('upgrade', (res) => { ws._upgradeHeaders = res.headers; });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  }), 20000, 'open');
}

function nextMessage(ws, ms = 60000) {
  return withTimeout(new Promise((resolve, reject) => {
    const onMsg = (data, isBinary) => { cleanup(); resolve({ data, isBinary }); };
    const onClose = (code) => { cleanup(); reject(new Error(`closed ${code}`)); };
    const cleanup = () => { ws.off('message', onMsg); ws.off('close', onClose); };
    ws.on('message', onMsg);
    ws.on('close', onClose);
  }), ms, 'message');
}

function textOf(n) {
  const alphabet = ['a', 'b', 'c', ' ', 'Z', '0', '\u00e9', '\u20ac', '\u{1F600}'];
  let s = '';
  let size = 0;
  let i = n;
  while (size < n) {
    let ch = alphabet[(i = (i * 1103515245 + 12345) >>> 0) % alphabet.length];
    let b = Buffer.byteLength(ch);
    if (size + b > n) { ch = 'x'; b = 1; }
    s += ch;
    size += b;
  }
  return s;
}

async function main() {
  let ws = await open();
  ok('permessage-deflate declined (no extension negotiated)', ws.extensions === '' &&
     !('sec-websocket-extensions' in (ws._upgradeHeaders || {})),
     `extensions=${JSON.stringify(ws.extensions)}`);

  for (const n of SIZES) {
    for (const kind of ['text', 'binary']) {
      const name = `echo ${kind} ${n} bytes`;
      try {
        const msg = kind === 'text' ? textOf(n) : crypto.randomBytes(n);
        const p = nextMessage(ws);
        ws.send(msg, { binary: kind === 'binary' });
        const { data, isBinary } = await p;
        const sent = Buffer.isBuffer(msg) ? msg : Buffer.from(msg);
        ok(name, isBinary === (kind === 'binary') && Buffer.compare(data, sent) === 0,
           `isBinary=${isBinary} len=${data.length} vs ${sent.length}`);
      } catch (e) {
        ok(name, false, String(e));
        ws = await open();
      }
    }
  }

  // Fragmented sends: fin:false frames then a final one.
  for (const kind of ['text', 'binary']) {
    const name = `fragmented ${kind}`;
    try {
      const parts = kind === 'text'
        ? ['Hel', '', 'lo, w\u00f6rld ', '\u20ac'.repeat(50)].map((s) => Buffer.from(s))
        : [crypto.randomBytes(9), Buffer.alloc(0), crypto.randomBytes(300), crypto.randomBytes(70000)];
      const p = nextMessage(ws);
      parts.forEach((part, i) => ws.send(part, { binary: kind === 'binary', fin: i === parts.length - 1 }));
      const { data, isBinary } = await p;
      ok(name, isBinary === (kind === 'binary') && Buffer.compare(data, Buffer.concat(parts)) === 0,
         `isBinary=${isBinary} len=${data.length}`);
    } catch (e) {
      ok(name, false, String(e));
      ws = await open();
    }
  }
  // A text message split so a UTF-8 character straddles two fragments.
  try {
    const euro = Buffer.from('\u20ac');
    const p = nextMessage(ws);
    ws.send(euro.subarray(0, 2), { binary: false, fin: false });
    ws.send(euro.subarray(2), { binary: false, fin: true });
    const { data, isBinary } = await p;
    ok('fragmented text, character split across fragments', !isBinary && data.toString() === '\u20ac');
  } catch (e) {
    ok('fragmented text, character split across fragments', false, String(e));
    ws = await open();
  }

  // Ping/pong with payloads.
  for (const payload of [Buffer.alloc(0), Buffer.from('ping-123'), crypto.randomBytes(125)]) {
    const name = `ping ${payload.length} bytes -> pong with the same payload`;
    try {
      const p = withTimeout(new Promise((resolve) => ws.once('pong', resolve)), 10000, 'pong');
      ws.ping(payload);
      const got = await p;
      ok(name, Buffer.compare(got, payload) === 0, `pong payload ${got.toString('hex')}`);
    } catch (e) {
      ok(name, false, String(e));
      ws = await open();
    }
  }
  {
    const p = nextMessage(ws);
    ws.send('after ping');
    const { data } = await p;
    ok('echo after ping', data.toString() === 'after ping');
  }

  // Close with code and reason; ws emits 'close' once the TCP connection has
  // closed (its own fallback timer is 30 s, so "promptly" means the server did it).
  {
    const t0 = Date.now();
    try {
      const closed = withTimeout(new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason }))),
        20000, 'close');
      const tcpClosed = withTimeout(new Promise((resolve) => ws._socket.once('close', resolve)), 20000, 'tcp close');
      ws.close(4321, 'bye \u00e9');
      const { code, reason } = await closed;
      await tcpClosed;
      const took = Date.now() - t0;
      ok('close: server echoes code 4321', code === 4321, `code=${code} reason=${reason}`);
      ok('close: TCP ends promptly', took < 5000, `took ${took} ms`);
    } catch (e) {
      ok('close with code and reason', false, String(e));
    }
  }
  {
    const ws2 = await open();
    const closed = withTimeout(new Promise((resolve) => ws2.once('close', (code) => resolve(code))), 20000, 'close');
    ws2.close(1000);
    const code = await closed;
    ok('close 1000: server echoes 1000', code === 1000, `code=${code}`);
  }
}

try {
  await withTimeout(main(), 500000, 'whole test');
} catch (e) {
  ok('node ws client ran to the end', false, String(e && e.stack || e));
}
const failed = results.filter((r) => !r[1]).length;
console.log(`${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
