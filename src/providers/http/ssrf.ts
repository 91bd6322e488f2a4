import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { OutboundRefusedError } from './errors.js';

export { OutboundRefusedError } from './errors.js';

/** Every address a host name has, both families, in resolver order. Injected by tests. */
export type LookupFn = (hostname: string) => Promise<string[]>;

export const defaultLookup: LookupFn = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((entry) => entry.address);

export type AddressVerdict = { allowed: true } | { allowed: false; reason: string };

interface Rule {
  kind: string;
  range: string;
  list: BlockList;
}

/** One BlockList per range, because a BlockList says whether an address matches but not which rule. */
function rules(family: 'ipv4' | 'ipv6', table: Array<[cidr: string, kind: string]>): Rule[] {
  return table.map(([range, kind]) => {
    const [network = '', bits = ''] = range.split('/');
    const list = new BlockList();
    list.addSubnet(network, Number(bits), family);
    return { kind, range, list };
  });
}

// Narrowest first, so the reason names the most telling range (metadata before link-local).
const IPV4 = rules('ipv4', [
  ['169.254.169.254/32', 'cloud metadata'],
  ['255.255.255.255/32', 'broadcast'],
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'carrier-grade NAT'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'IETF protocol assignment'],
  ['192.0.2.0/24', 'documentation'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
]);

// NAT64 and Teredo are refused whole: the IPv4 behind them is decided by a gateway we cannot see.
const IPV6 = rules('ipv6', [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fd00:ec2::254/128', 'cloud metadata'],
  ['64:ff9b::/96', 'NAT64'],
  ['64:ff9b:1::/48', 'NAT64'],
  ['2001::/32', 'Teredo'],
  ['2001:db8::/32', 'documentation'],
  ['fc00::/7', 'unique local'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'site-local'],
  ['ff00::/8', 'multicast'],
]);

interface Refusal {
  reason: string; // "loopback (127.0.0.0/8)"
  description: string; // "a loopback address (127.0.0.0/8)", for messages
}

const article = (word: string) => (/^[aeio]|^u(?!ni)/i.test(word) ? 'an' : 'a');

function refusal(kind: string, range: string, via?: string): Refusal {
  const tail = via ? `, via ${via}` : '';
  return { reason: `${kind} (${range})${tail}`, description: `${article(kind)} ${kind} address (${range})${tail}` };
}

/** The eight 16-bit groups of an IPv6 literal already validated by isIP (a dotted-quad tail allowed). */
function hextets(ip: string): number[] {
  let text = ip;
  const tail = text.slice(text.lastIndexOf(':') + 1);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, text.length - tail.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = rest ? rest.split(':') : [];
  const fill = rest === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...fill, ...right].map((group) => parseInt(group, 16));
}

const dotted = (high: number, low: number) => `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;

/** IPv6 forms that carry an IPv4 address a dual-stack host (or relay) would actually reach. */
function embeddedIPv4(h: number[]): { ipv4: string; via: string } | null {
  const zeros = (from: number, to: number) => h.slice(from, to).every((group) => group === 0);
  const [h1 = 0, h2 = 0, h4 = 0, h5 = 0, h6 = 0, h7 = 0] = [h[1], h[2], h[4], h[5], h[6], h[7]];
  if (zeros(0, 5) && h5 === 0xffff) return { ipv4: dotted(h6, h7), via: 'IPv4-mapped IPv6 (::ffff:0:0/96)' };
  if (zeros(0, 4) && h4 === 0xffff && h5 === 0) return { ipv4: dotted(h6, h7), via: 'IPv4-translated IPv6 (::ffff:0:0:0/96)' };
  // :: and ::1 are IPv6's own unspecified and loopback; every other ::a.b.c.d is IPv4-compatible.
  if (zeros(0, 6) && (h6 !== 0 || h7 > 1)) return { ipv4: dotted(h6, h7), via: 'IPv4-compatible IPv6 (::/96)' };
  if (h[0] === 0x2002) return { ipv4: dotted(h1, h2), via: '6to4 (2002::/16)' };
  return null;
}

function match(table: Rule[], ip: string, family: 'ipv4' | 'ipv6', via?: string): Refusal | null {
  const rule = table.find((candidate) => candidate.list.check(ip, family));
  return rule ? refusal(rule.kind, rule.range, via) : null;
}

function judge(address: string): Refusal | null {
  const ip = address.replace(/%.*$/, ''); // a zone id (fe80::1%eth0) does not change the range
  const family = isIP(ip);
  if (family === 4) return match(IPV4, ip, 'ipv4');
  if (family !== 6) return { reason: 'not an IP address', description: 'not an IP address' };
  // An embedded IPv4 decides alone: none of these prefixes is in the IPv6 table.
  const embedded = embeddedIPv4(hextets(ip));
  return embedded ? match(IPV4, embedded.ipv4, 'ipv4', embedded.via) : match(IPV6, ip, 'ipv6');
}

/** Whether an outbound request may connect to this IP literal; the reason names the range. */
export function classifyAddress(ip: string): AddressVerdict {
  const refused = judge(ip);
  return refused ? { allowed: false, reason: refused.reason } : { allowed: true };
}

/** Throws OutboundRefusedError naming the host, the address and its range when `ip` is forbidden. */
export function assertAllowedAddress(ip: string, target: { label: string; host: string }): void {
  const refused = judge(ip);
  if (!refused) return;
  const subject = target.host === ip ? `${target.label} host ${ip} is` : `${target.label} host ${target.host} resolves to ${ip},`;
  throw new OutboundRefusedError(refused.reason, `${subject} ${refused.description}.`);
}

/**
 * The URL checks that need no network: http(s) only, no user:pass@, a host. `host` comes back
 * without IPv6 brackets. Messages never echo the URL, which may carry a token in its path.
 */
export function parseTarget(raw: string, label: string): { url: URL; host: string } {
  let url: URL;
  try {
    // WHATWG parsing already turns 2130706433, 0x7f000001, 017700000001 and 127.1 into 127.0.0.1.
    url = new URL(raw);
  } catch {
    throw new OutboundRefusedError('invalid URL', `${label} is not a valid absolute URL.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new OutboundRefusedError(`scheme ${url.protocol}`, `${label} must use http: or https:, not ${url.protocol}`);
  }
  if (url.username || url.password) {
    throw new OutboundRefusedError('credentials in URL', `${label} must not carry credentials (user:pass@); send them in a header.`);
  }
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw new OutboundRefusedError('no host', `${label} has no host.`);
  return { url, host };
}

/**
 * Registration-time check: the URL's form, then every address its host resolves to. One
 * forbidden address refuses the URL, since the connection could go to any of them.
 * `label` starts the messages ("webhook URL host … resolves to …").
 */
export async function checkUrl(
  raw: string,
  opts: { allowPrivate: boolean; lookup?: LookupFn; label?: string },
): Promise<{ url: URL; addresses: string[] }> {
  const label = opts.label ?? 'URL';
  const { url, host } = parseTarget(raw, label);
  let addresses = [host];
  if (!isIP(host)) {
    try {
      addresses = await (opts.lookup ?? defaultLookup)(host);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'lookup failed';
      throw new OutboundRefusedError(`host not found (${code})`, `${label} host ${host} does not resolve (${code}).`);
    }
    if (!addresses.length) throw new OutboundRefusedError('host has no addresses', `${label} host ${host} has no addresses.`);
  }
  if (!opts.allowPrivate) for (const address of addresses) assertAllowedAddress(address, { label, host });
  return { url, addresses };
}
