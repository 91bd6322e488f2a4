import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { after } from 'node:test';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

type Responder = (req: Received, res: ServerResponse) => void | Promise<void>;

/**
 * A webhook receiver: a real HTTP server on 127.0.0.1 that records every request (headers and
 * raw body) and answers as `respond` says (200 by default). Closed when the test file ends.
 */
export async function startReceiver(respond: Responder = (_r, res) => void res.end('ok')) {
  const received: Received[] = [];
  let responder = respond;
  const waiters: (() => void)[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const entry = { headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
      received.push(entry);
      waiters.splice(0).forEach((w) => w());
      try {
        await responder(entry, res);
      } catch {
        if (!res.headersSent) res.writeHead(500);
      }
      if (!res.writableEnded) res.end();
    });
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const sockets = new Set<import('node:net').Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  after(() => {
    sockets.forEach((s) => s.destroy());
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    url: (path = '/hook') => `http://127.0.0.1:${port}${path}`,
    received,
    respond(next: Responder) {
      responder = next;
    },
    /** Resolves once `count` requests have arrived (or rejects after `ms`). */
    async waitFor(count: number, ms = 10_000) {
      const deadline = Date.now() + ms;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`receiver got ${received.length} of ${count} requests`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 50);
        });
      }
      return received;
    },
  };
}
export type Receiver = Awaited<ReturnType<typeof startReceiver>>;
