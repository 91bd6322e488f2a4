import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP, connect as tcpConnect, type Socket } from 'node:net';
import { parseSipMessage, serializeSipMessage, SipParseError, takeSipFrame, type SipMessage } from './message.js';

/**
 * One call's SIP transport (RFC 3261 §18): a UDP socket bound to 0.0.0.0 on an ephemeral port, or
 * one TCP connection to the server. Each call has its own, so a datagram's call is its socket's and
 * nothing outlives the call. `local` is what Via and Contact advertise: the address the OS uses to
 * reach the server (learnt by connecting a UDP socket to it), so it is right for loopback and LAN
 * alike; a NAT in between needs the server's help (rport) and is not handled further.
 */

export interface Endpoint {
  address: string;
  port: number;
}

export interface SipTransport {
  readonly protocol: 'UDP' | 'TCP';
  /** TCP: no retransmissions (RFC 3261 §17.1.1.2). */
  readonly reliable: boolean;
  readonly local: Endpoint;
  /** The SIP server, resolved. */
  readonly server: Endpoint;
  /** Sends to `to` (UDP; TCP always uses its one connection), by default the server. */
  send(message: SipMessage, to?: Endpoint): void;
  onMessage(listener: (message: SipMessage, from: Endpoint) => void): void;
  /** The transport broke (TCP closed or reset, a socket error): the call cannot go on. */
  onFailure(listener: (err: Error) => void): void;
  /** Resolves a URI's host (an IP literal or a name) in the server's address family. */
  resolve(host: string, port: number): Promise<Endpoint>;
  close(): void;
}

export class SipTransportError extends Error {
  override readonly name = 'SipTransportError';
}

/** The server's address: an IP literal as is, else a lookup preferring IPv4 (a trunk's usual family). */
async function resolveHost(host: string, family?: 4 | 6): Promise<string> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare)) return bare;
  try {
    const all = await lookup(bare, { all: true, ...(family && { family }) });
    const chosen = all.find((a) => a.family === 4) ?? all[0];
    if (!chosen) throw new Error('no address');
    return chosen.address;
  } catch (err) {
    throw new SipTransportError(`Cannot resolve ${bare}: ${(err as Error).message}`, { cause: err });
  }
}

/** The local address the OS routes to `server` from: connect a throw-away UDP socket and read its address. */
async function localAddressFor(server: Endpoint): Promise<string> {
  const probe = dgram.createSocket(isIP(server.address) === 6 ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.connect(server.port, server.address, () => resolve());
    });
    return probe.address().address;
  } catch (err) {
    throw new SipTransportError(`No route to ${server.address}:${server.port}: ${(err as Error).message}`, { cause: err });
  } finally {
    probe.close();
  }
}

export async function openSipTransport(options: { host: string; port: number; transport: 'udp' | 'tcp' }): Promise<SipTransport> {
  const server: Endpoint = { address: await resolveHost(options.host), port: options.port };
  const family = isIP(server.address) === 6 ? 6 : 4;
  const resolve = async (host: string, port: number): Promise<Endpoint> => ({ address: await resolveHost(host, family), port });
  return options.transport === 'tcp' ? openTcp(server, resolve) : openUdp(server, family, resolve);
}

async function openUdp(server: Endpoint, family: 4 | 6, resolve: SipTransport['resolve']): Promise<SipTransport> {
  const advertised = await localAddressFor(server);
  const socket = dgram.createSocket(family === 6 ? 'udp6' : 'udp4');
  await new Promise<void>((ok, fail) => {
    socket.once('error', fail);
    socket.bind(0, family === 6 ? '::' : '0.0.0.0', () => (socket.off('error', fail), ok()));
  });
  const listeners: ((m: SipMessage, from: Endpoint) => void)[] = [];
  const failures: ((err: Error) => void)[] = [];
  let closed = false;
  let inflight = 0;
  // Closing waits for sends in flight: a final ACK or 200 must leave before the socket goes.
  const closeWhenIdle = () => {
    if (closed && inflight === 0) socket.close();
  };
  socket.on('message', (buf, rinfo) => {
    let message: SipMessage;
    try {
      message = parseSipMessage(buf);
    } catch (err) {
      if (err instanceof SipParseError) return; // junk and keep-alives are dropped (§18.3 allows it)
      throw err;
    }
    for (const l of listeners) l(message, { address: rinfo.address, port: rinfo.port });
  });
  socket.on('error', (err) => failures.forEach((l) => l(err)));
  return {
    protocol: 'UDP',
    reliable: false,
    local: { address: advertised, port: socket.address().port },
    server,
    send(message, to = server) {
      if (closed) return;
      inflight++;
      socket.send(serializeSipMessage(message), to.port, to.address, (err) => {
        inflight--;
        if (err && !closed) failures.forEach((l) => l(err));
        closeWhenIdle();
      });
    },
    onMessage: (l) => void listeners.push(l),
    onFailure: (l) => void failures.push(l),
    resolve,
    close() {
      if (closed) return;
      closed = true;
      closeWhenIdle();
    },
  };
}

async function openTcp(server: Endpoint, resolve: SipTransport['resolve']): Promise<SipTransport> {
  const socket: Socket = await new Promise((ok, fail) => {
    const s = tcpConnect({ host: server.address, port: server.port, noDelay: true });
    s.once('error', (err) => fail(new SipTransportError(`Cannot connect to ${server.address}:${server.port}: ${err.message}`, { cause: err })));
    s.once('connect', () => (s.removeAllListeners('error'), ok(s)));
  });
  const listeners: ((m: SipMessage, from: Endpoint) => void)[] = [];
  const failures: ((err: Error) => void)[] = [];
  let pending: Buffer = Buffer.alloc(0);
  let closed = false;
  const fail = (err: Error) => {
    if (closed) return;
    closed = true;
    socket.destroy();
    failures.forEach((l) => l(err));
  };
  socket.on('data', (chunk) => {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    try {
      for (let frame = takeSipFrame(pending); frame; frame = takeSipFrame(pending)) {
        pending = frame.rest;
        for (const l of listeners) l(frame.message, server);
      }
    } catch (err) {
      // A stream that lost its framing cannot be resynchronised (§18.3): the connection is closed.
      fail(new SipTransportError(`Bad SIP framing from ${server.address}: ${(err as Error).message}`));
    }
  });
  socket.on('error', (err) => fail(err));
  socket.on('close', () => fail(new SipTransportError('The SIP server closed the TCP connection')));
  return {
    protocol: 'TCP',
    reliable: true,
    local: { address: socket.localAddress!, port: socket.localPort! },
    server,
    send(message) {
      if (!closed) socket.write(serializeSipMessage(message));
    },
    onMessage: (l) => void listeners.push(l),
    onFailure: (l) => void failures.push(l),
    resolve,
    close() {
      if (closed) return;
      closed = true;
      socket.destroySoon();
    },
  };
}
