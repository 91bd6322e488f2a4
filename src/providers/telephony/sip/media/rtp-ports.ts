import dgram from 'node:dgram';
import { randomInt } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { networkInterfaces } from 'node:os';
import { ProviderError } from '../../../errors.js';

/**
 * UDP ports for one call's media: an even port for RTP and the odd one above it for RTCP (RFC 3550
 * §11), chosen at random within the range so concurrent calls and restarts rarely collide; a pair in
 * use is skipped (EADDRINUSE). `[0, 0]` lets the system pick the RTP port alone (tests).
 */

export const DEFAULT_PORT_RANGE: [number, number] = [20000, 40000];
const ATTEMPTS = 64;

function bindOne(type: 'udp4' | 'udp6', address: string, port: number): Promise<dgram.Socket> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket({ type });
    const failed = (error: Error) => {
      try {
        socket.close();
      } catch {}
      reject(error);
    };
    socket.once('error', failed);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', failed);
      resolve(socket);
    });
  });
}

const inUse = (error: unknown) => (error as NodeJS.ErrnoException).code === 'EADDRINUSE';

function bindFailure(error: unknown, address: string): ProviderError {
  return new ProviderError('telephony/sip', 'media_bind', `cannot open an RTP port on ${address}: ${(error as Error).message}`, 'never', undefined, { cause: error });
}

export async function bindRtpPorts(address: string, range: [number, number]): Promise<{ rtp: dgram.Socket; rtcp: dgram.Socket | null }> {
  const type = isIPv6(address) ? 'udp6' : 'udp4';
  if (range[0] === 0) {
    try {
      return { rtp: await bindOne(type, address, 0), rtcp: null };
    } catch (error) {
      throw bindFailure(error, address);
    }
  }
  const low = range[0] + (range[0] % 2);
  const pairs = Math.floor((range[1] - 1 - low) / 2) + 1;
  if (!(low >= 1024 && pairs >= 1 && range[1] <= 65535)) throw new RangeError(`RTP port range ${range.join('–')}: two ports or more within 1024–65535`);
  const first = randomInt(pairs);
  for (let i = 0; i < Math.min(pairs, ATTEMPTS); i++) {
    const port = low + 2 * ((first + i) % pairs);
    let rtp: dgram.Socket;
    try {
      rtp = await bindOne(type, address, port);
    } catch (error) {
      if (inUse(error)) continue;
      throw bindFailure(error, address);
    }
    try {
      return { rtp, rtcp: await bindOne(type, address, port + 1) };
    } catch (error) {
      rtp.close();
      if (inUse(error)) continue;
      throw bindFailure(error, address);
    }
  }
  throw new ProviderError('telephony/sip', 'media_ports', `no free RTP port pair in ${range.join('–')} after ${ATTEMPTS} tries`, 'later');
}

/** The address to put in SDP: the bound one, or for a wildcard bind the first external IPv4 of the host. */
export function advertisedAddress(bound: string): string {
  if (bound !== '0.0.0.0' && bound !== '::') return bound;
  for (const list of Object.values(networkInterfaces())) {
    for (const i of list ?? []) if (i.family === 'IPv4' && !i.internal) return i.address;
  }
  return '127.0.0.1';
}
