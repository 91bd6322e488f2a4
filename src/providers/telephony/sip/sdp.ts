/**
 * The SDP of an audio call (RFC 4566, offer/answer RFC 3264): our offer is G.711 µ-law (0) and
 * A-law (8) in the channel's order, plus RFC 4733 telephone-event (101, events 0-16), 20-ms
 * packets, sendrecv. From an answer we take the codec (the first of its formats that we offered),
 * its telephone-event payload type if any, and where to send RTP.
 */

export type G711 = 'PCMU' | 'PCMA';

export const STATIC_PT: Record<G711, number> = { PCMU: 0, PCMA: 8 };
export const TELEPHONE_EVENT_PT = 101;

export interface SdpOffer {
  address: string;
  port: number;
  codecs: G711[];
  /** o= session id and version (the version goes up when the offer changes; a re-answer keeps it). */
  sessionId: string;
  version: number;
}

const ipVersion = (address: string) => (address.includes(':') ? 'IP6' : 'IP4');

export function buildOffer(offer: SdpOffer): string {
  const codecs = offer.codecs.length ? [...new Set(offer.codecs)] : (['PCMU', 'PCMA'] as G711[]);
  const ip = `IN ${ipVersion(offer.address)} ${offer.address}`;
  const lines = [
    'v=0',
    `o=wasl ${offer.sessionId} ${offer.version} ${ip}`,
    's=Wasl',
    `c=${ip}`,
    't=0 0',
    `m=audio ${offer.port} RTP/AVP ${[...codecs.map((c) => STATIC_PT[c]), TELEPHONE_EVENT_PT].join(' ')}`,
    ...codecs.map((c) => `a=rtpmap:${STATIC_PT[c]} ${c}/8000`),
    `a=rtpmap:${TELEPHONE_EVENT_PT} telephone-event/8000`,
    `a=fmtp:${TELEPHONE_EVENT_PT} 0-16`,
    'a=ptime:20',
    'a=sendrecv',
  ];
  return `${lines.join('\r\n')}\r\n`;
}

export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface SdpAnswer {
  /** Where to send RTP. */
  address: string;
  port: number;
  codec: { name: G711; payloadType: number };
  /** The answer's telephone-event payload type, or null when it takes none (then keys come in-band only). */
  telephoneEvent: number | null;
  direction: Direction;
  ptime: number | null;
}

export class SdpError extends Error {
  override readonly name = 'SdpError';
}

interface Media {
  port: number;
  formats: number[];
  connection?: string;
  rtpmap: Map<number, { name: string; rate: number }>;
  direction?: Direction;
  ptime?: number;
}

/** What an answer (or an early-media 183's SDP) agrees to, given what we offered; throws SdpError if nothing fits. */
export function parseAnswer(sdp: string, offered: G711[]): SdpAnswer {
  let sessionConnection: string | undefined;
  let sessionDirection: Direction | undefined;
  const media: Media[] = [];
  let current: Media | null = null;
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    const eq = line.indexOf('=');
    if (eq !== 1) continue;
    const type = line[0];
    const value = line.slice(2).trim();
    if (type === 'm') {
      const m = /^audio\s+(\d+)(?:\/\d+)?\s+RTP\/S?AVPF?\s+([\d\s]+)$/i.exec(value);
      // Other media (video, an audio line we cannot read) are kept as inactive, so their attributes stay theirs.
      current = m ? { port: Number(m[1]), formats: m[2]!.trim().split(/\s+/).map(Number), rtpmap: new Map() } : { port: 0, formats: [], rtpmap: new Map() };
      media.push(current);
    } else if (type === 'c') {
      const c = /^IN\s+IP[46]\s+([^\s/]+)/i.exec(value);
      if (c) {
        if (current) current.connection = c[1]!;
        else sessionConnection = c[1]!;
      }
    } else if (type === 'a') {
      const rtpmap = /^rtpmap:(\d+)\s+([^/\s]+)\/(\d+)/i.exec(value);
      if (rtpmap && current) current.rtpmap.set(Number(rtpmap[1]), { name: rtpmap[2]!, rate: Number(rtpmap[3]) });
      const ptime = /^ptime:(\d+)/i.exec(value);
      if (ptime && current) current.ptime = Number(ptime[1]);
      if (/^(sendrecv|sendonly|recvonly|inactive)$/i.test(value)) {
        const direction = value.toLowerCase() as Direction;
        if (current) current.direction = direction;
        else sessionDirection = direction;
      }
    }
  }
  const audio = media.find((m) => m.port > 0 && m.formats.length > 0);
  if (!audio) throw new SdpError('The answer has no active audio stream');
  const address = audio.connection ?? sessionConnection;
  if (!address) throw new SdpError('The answer has no connection address (c=)');
  let codec: SdpAnswer['codec'] | null = null;
  for (const pt of audio.formats) {
    const name = codecName(pt, audio.rtpmap.get(pt));
    if (name && offered.includes(name)) {
      codec = { name, payloadType: pt };
      break;
    }
  }
  if (!codec) throw new SdpError(`No codec in common: the answer takes ${audio.formats.join(' ')}, we offered ${offered.join(', ')}`);
  const event = audio.formats.find((pt) => {
    const map = audio.rtpmap.get(pt);
    return map && map.name.toLowerCase() === 'telephone-event' && map.rate === 8000;
  });
  return {
    address,
    port: audio.port,
    codec,
    telephoneEvent: event ?? null,
    direction: audio.direction ?? sessionDirection ?? 'sendrecv',
    ptime: audio.ptime ?? null,
  };
}

/** A format's G.711 name: by its rtpmap when given (static types may still carry one), else by the static number. */
function codecName(pt: number, map: { name: string; rate: number } | undefined): G711 | null {
  if (map) {
    const name = map.name.toUpperCase();
    return (name === 'PCMU' || name === 'PCMA') && map.rate === 8000 ? name : null;
  }
  if (pt === 0) return 'PCMU';
  if (pt === 8) return 'PCMA';
  return null;
}
