// Node.js `ws` echo server, a kernel-TCP peer of tools/bench/idle-connections.
//   node ws_echo.js PORT [WORKERS]
// A process may hold at most 20,000 open files here, so a cluster of WORKERS
// processes shares the port (the primary accepts and hands each connection to
// a worker, round robin). SIGTERM stops them all.
'use strict';
const cluster = require('node:cluster');
const http = require('node:http');

const port = Number(process.argv[2]);
const workers = Number(process.argv[3] || 1);
if (!Number.isInteger(port) || port < 1 || port > 65535 || !Number.isInteger(workers) || workers < 1 || workers > 256) {
  console.error('usage: node ws_echo.js PORT [WORKERS]');
  process.exit(2);
}

if (cluster.isPrimary && workers > 1) {
  cluster.schedulingPolicy = cluster.SCHED_RR;
  cluster.setupPrimary({ silent: false });
  let ready = 0;
  for (let i = 0; i < workers; i++) {
    cluster.fork().on('listening', () => {
      if (++ready === workers) console.log(`ws_echo: ${workers} workers on port ${port}`);
    });
  }
  const stop = () => { for (const id in cluster.workers) cluster.workers[id].kill('SIGTERM'); setTimeout(() => process.exit(0), 2000).unref(); };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} else {
  const { WebSocketServer } = require('ws');
  const server = http.createServer((req, res) => { res.writeHead(404); res.end(); });
  const wss = new WebSocketServer({ server, perMessageDeflate: false, clientTracking: false });
  wss.on('connection', (ws) => {
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    ws.on('error', () => {});
  });
  server.listen({ port, backlog: 65535 }, () => { if (workers === 1) console.log(`ws_echo: 1 process on port ${port}`); });
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
}
