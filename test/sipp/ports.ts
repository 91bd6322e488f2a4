import dgram from 'node:dgram';
import { createServer } from 'node:net';

/** A port on 127.0.0.1 free right now (`port` 0: any), or null when it is taken (e.g. once sipp holds it). */
export async function freePort(kind: 'udp' | 'tcp', port = 0): Promise<number | null> {
  if (kind === 'tcp') {
    const server = createServer();
    return new Promise((resolve) => {
      server.once('error', () => resolve(null));
      server.listen(port, '127.0.0.1', () => {
        const got = (server.address() as { port: number }).port;
        server.close(() => resolve(got));
      });
    });
  }
  const socket = dgram.createSocket('udp4');
  return new Promise((resolve) => {
    socket.once('error', () => socket.close(() => resolve(null)));
    socket.bind(port, '127.0.0.1', () => {
      const got = socket.address().port;
      socket.close(() => resolve(got));
    });
  });
}

/**
 * A base for sipp's media ports: it binds audio and video, the base and the base + 2, both free;
 * above the trunk's own RTP range (20000–40000), which its calls may take meanwhile.
 */
export async function freeMediaPort(): Promise<number> {
  for (;;) {
    const base = 41000 + 2 * Math.floor(Math.random() * 5000);
    if ((await freePort('udp', base)) && (await freePort('udp', base + 2))) return base;
  }
}
