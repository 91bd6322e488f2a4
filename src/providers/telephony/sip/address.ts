import { SipParseError } from './message.js';

/**
 * The structured header values a user agent reads (RFC 3261 §20, §25.1): SIP URIs, name-addr
 * (From, To, Contact, Route), Via and CSeq. Parameter names are lower-cased; a flag parameter
 * (`;lr`, `;rport`) has the value `null`.
 */

export type Params = Record<string, string | null>;

export interface SipUri {
  scheme: 'sip' | 'sips';
  user?: string;
  host: string;
  port?: number;
  params: Params;
}

export interface NameAddr {
  display?: string;
  uri: string;
  params: Params;
}

export interface Via {
  transport: string;
  host: string;
  port?: number;
  params: Params;
}

/** `;a=b;lr;c="x y"` → `{a: 'b', lr: null, c: 'x y'}`. */
export function parseParams(text: string): Params {
  const params: Params = {};
  for (const part of text.split(';')) {
    const trimmed = part.trim();
    if (!trimmed) continue;
    const eq = trimmed.indexOf('=');
    if (eq < 0) params[trimmed.toLowerCase()] = null;
    else params[trimmed.slice(0, eq).trim().toLowerCase()] = trimmed.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return params;
}

export function formatParams(params: Params): string {
  return Object.entries(params)
    .map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`))
    .join('');
}

/** Splits `host`, `host:port`, `[v6]` or `[v6]:port`. */
function hostPort(text: string): { host: string; port?: number } {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(text.trim());
  if (!match) throw new SipParseError(`Bad host: ${text}`);
  return match[2] ? { host: match[1]!, port: Number(match[2]) } : { host: match[1]! };
}

/** `sip:user@host:port;params` (URI headers after `?` are dropped: nothing here uses them). */
export function parseUri(text: string): SipUri {
  const match = /^(sips?):(?:([^@]*)@)?([^;?]+)((?:;[^?]*)?)/i.exec(text.trim());
  if (!match) throw new SipParseError(`Not a SIP URI: ${text.slice(0, 80)}`);
  const { host, port } = hostPort(match[3]!);
  return {
    scheme: match[1]!.toLowerCase() as 'sip' | 'sips',
    ...(match[2] !== undefined && { user: match[2] }),
    host,
    ...(port !== undefined && { port }),
    params: parseParams(match[4] ?? ''),
  };
}

export function formatUri(uri: SipUri): string {
  const user = uri.user !== undefined ? `${uri.user}@` : '';
  const port = uri.port !== undefined ? `:${uri.port}` : '';
  return `${uri.scheme}:${user}${uri.host}${port}${formatParams(uri.params)}`;
}

/** `"Bob" <sip:bob@h>;tag=x`, `<sip:bob@h>;tag=x` or `sip:bob@h;tag=x` (then the params are the header's). */
export function parseNameAddr(value: string): NameAddr {
  const text = value.trim();
  const open = text.indexOf('<');
  if (open >= 0) {
    const close = text.indexOf('>', open);
    if (close < 0) throw new SipParseError(`Unclosed < in ${text.slice(0, 80)}`);
    const display = text.slice(0, open).trim().replace(/^"(.*)"$/, '$1');
    return { ...(display && { display }), uri: text.slice(open + 1, close).trim(), params: parseParams(text.slice(close + 1)) };
  }
  const semi = text.indexOf(';');
  return semi < 0 ? { uri: text, params: {} } : { uri: text.slice(0, semi).trim(), params: parseParams(text.slice(semi)) };
}

export function formatNameAddr(addr: NameAddr): string {
  const display = addr.display ? `"${addr.display.replace(/["\\]/g, '')}" ` : '';
  return `${display}<${addr.uri}>${formatParams(addr.params)}`;
}

/** `SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK…;rport`. */
export function parseVia(value: string): Via {
  const match = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+([^;]+)(.*)$/i.exec(value.trim());
  if (!match) throw new SipParseError(`Bad Via: ${value.slice(0, 80)}`);
  return { transport: match[1]!.toUpperCase(), ...hostPort(match[2]!), params: parseParams(match[3] ?? '') };
}

export function formatVia(via: Via): string {
  return `SIP/2.0/${via.transport} ${via.host}${via.port !== undefined ? `:${via.port}` : ''}${formatParams(via.params)}`;
}

/** `314159 INVITE`. */
export function parseCSeq(value: string): { seq: number; method: string } {
  const match = /^(\d+)\s+([A-Za-z]+)$/.exec(value.trim());
  if (!match) throw new SipParseError(`Bad CSeq: ${value}`);
  return { seq: Number(match[1]), method: match[2]!.toUpperCase() };
}

/** A host for a URI or Via: IPv6 literals go in brackets. */
export const uriHost = (address: string) => (address.includes(':') && !address.startsWith('[') ? `[${address}]` : address);
