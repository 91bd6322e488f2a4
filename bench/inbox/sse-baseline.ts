import { createServer, type ServerResponse } from 'node:http';
import { createInterface } from 'node:readline';

/**
 * The fan-out benchmark's baseline (fanout.bench.ts): a bare `node:http` Server-Sent Events server
 * — no store, no auth, no framework — holding every client that connects and, for each line on
 * stdin (a base64 frame), writing that frame to every client. The floor for "write one frame to N
 * sockets" on this machine. Prints `{"port": …}` when listening, then `{"clients": n}` on demand.
 */
const clients = new Set<ServerResponse>();
const server = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' });
  res.socket?.setNoDelay(true);
  res.write('retry: 2500\n\n');
  clients.add(res);
  req.on('close', () => clients.delete(res));
});
server.keepAliveTimeout = 0;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: (server.address() as { port: number }).port })}\n`));

for await (const line of createInterface({ input: process.stdin })) {
  if (line === 'clients') {
    process.stdout.write(`${JSON.stringify({ clients: clients.size })}\n`);
    continue;
  }
  const frame = Buffer.from(line, 'base64').toString('utf8');
  for (const res of clients) res.write(frame);
}
server.closeAllConnections();
server.close();
