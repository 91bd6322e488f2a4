/**
 * SIP messages (RFC 3261 §7): parsing datagrams and stream frames, serialising, and header lookup
 * by canonical name. Headers keep their order; list headers (Via, Route, Contact …) are split into
 * one entry per value at parse time, so `headerAll(m, 'Via')` is the Via stack whatever the sender
 * folded onto one line. Bodies are text (SDP, dtmf-relay); Content-Length counts their bytes.
 */

export interface SipRequest {
  kind: 'request';
  method: string;
  uri: string;
  headers: [name: string, value: string][];
  body: string;
}

export interface SipResponse {
  kind: 'response';
  status: number;
  reason: string;
  headers: [name: string, value: string][];
  body: string;
}

export type SipMessage = SipRequest | SipResponse;

export class SipParseError extends Error {
  override readonly name = 'SipParseError';
}

/** RFC 3261 §7.3.3 compact forms, and the few RFC extensions' ones a trunk may send. */
const COMPACT: Record<string, string> = {
  i: 'Call-ID', m: 'Contact', e: 'Content-Encoding', l: 'Content-Length', c: 'Content-Type', f: 'From',
  s: 'Subject', k: 'Supported', t: 'To', v: 'Via', o: 'Event', r: 'Refer-To', b: 'Referred-By',
  u: 'Allow-Events', x: 'Session-Expires', a: 'Accept-Contact', j: 'Reject-Contact', d: 'Request-Disposition',
  y: 'Identity', n: 'Identity-Info',
};

/** Canonical spellings, so lookups and what we send agree on one name. */
const CANONICAL = new Map(
  ['Via', 'From', 'To', 'Call-ID', 'CSeq', 'Contact', 'Max-Forwards', 'Content-Length', 'Content-Type', 'Route',
    'Record-Route', 'WWW-Authenticate', 'Proxy-Authenticate', 'Authorization', 'Proxy-Authorization', 'Allow',
    'Supported', 'Require', 'User-Agent', 'Server', 'Reason', 'Expires', 'Event', 'Session-Expires', 'RSeq', 'RAck',
    'P-Asserted-Identity', 'Accept', 'Unsupported', 'Retry-After', 'Warning'].map((n) => [n.toLowerCase(), n]),
);

/** Headers whose comma-separated values are separate entries (RFC 3261 §7.3.1). */
const LIST_HEADERS = new Set(['via', 'route', 'record-route', 'contact', 'allow', 'supported', 'require', 'proxy-require', 'unsupported', 'accept', 'path']);

export function canonicalName(name: string): string {
  const lower = name.trim().toLowerCase();
  const full = COMPACT[lower] ?? name.trim();
  return CANONICAL.get(full.toLowerCase()) ?? full;
}

/** Splits on commas outside quotes and angle brackets (a display name or a URI may hold commas). */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let angle = 0;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (ch === '\\' && quoted) i++;
    else if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '<') angle++;
    else if (!quoted && ch === '>') angle = Math.max(0, angle - 1);
    else if (!quoted && angle === 0 && ch === ',') {
      out.push(value.slice(start, i).trim());
      start = i + 1;
    }
  }
  out.push(value.slice(start).trim());
  return out.filter((v) => v !== '');
}

function headerEnd(buf: Buffer): { at: number; skip: number } | null {
  const crlf = buf.indexOf('\r\n\r\n');
  const lf = buf.indexOf('\n\n');
  if (crlf >= 0 && (lf < 0 || crlf < lf)) return { at: crlf, skip: 4 };
  return lf >= 0 ? { at: lf, skip: 2 } : null;
}

function parseHead(head: string): Omit<SipRequest, 'body'> | Omit<SipResponse, 'body'> {
  // Unfold continuation lines (§7.3.1) before splitting into headers.
  const lines = head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/);
  const first = lines.shift()?.trim() ?? '';
  const headers: [string, string][] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipParseError(`Malformed header line: ${line.slice(0, 80)}`);
    const name = canonicalName(line.slice(0, colon));
    const value = line.slice(colon + 1).trim();
    if (LIST_HEADERS.has(name.toLowerCase()) && value !== '*') for (const v of splitList(value)) headers.push([name, v]);
    else headers.push([name, value]);
  }
  const status = /^SIP\/2\.0\s+(\d{3})(?:\s+(.*))?$/i.exec(first);
  if (status) return { kind: 'response', status: Number(status[1]), reason: status[2] ?? '', headers };
  const request = /^([A-Za-z]+)\s+(\S+)\s+SIP\/2\.0$/i.exec(first);
  if (request) return { kind: 'request', method: request[1]!.toUpperCase(), uri: request[2]!, headers };
  throw new SipParseError(`Not a SIP start line: ${first.slice(0, 80)}`);
}

function contentLength(headers: [string, string][]): number | null {
  const value = headers.find(([n]) => n === 'Content-Length')?.[1];
  if (value === undefined) return null;
  if (!/^\d+$/.test(value)) throw new SipParseError(`Bad Content-Length: ${value}`);
  return Number(value);
}

/** One datagram (UDP): the body is Content-Length bytes, or the rest of the datagram when it is absent. */
export function parseSipMessage(input: Buffer | string): SipMessage {
  let buf = typeof input === 'string' ? Buffer.from(input) : input;
  // Leading CRLFs are keep-alives (RFC 5626), not part of the message.
  let start = 0;
  while (start < buf.length && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  buf = buf.subarray(start);
  const end = headerEnd(buf) ?? { at: buf.length, skip: 0 };
  const head = parseHead(buf.subarray(0, end.at).toString('utf8'));
  const rest = buf.subarray(Math.min(buf.length, end.at + end.skip));
  const length = contentLength(head.headers);
  if (length !== null && length > rest.length) throw new SipParseError(`Body shorter than Content-Length (${rest.length} < ${length})`);
  const body = (length === null ? rest : rest.subarray(0, length)).toString('utf8');
  return { ...head, body } as SipMessage;
}

/**
 * Stream framing (TCP, §18.3): the first whole message of `buf` and what follows it, or null when
 * more bytes are needed. Content-Length is mandatory on streams; leading CRLFs are keep-alives.
 */
export function takeSipFrame(buf: Buffer): { message: SipMessage; rest: Buffer } | null {
  let start = 0;
  while (start < buf.length && (buf[start] === 0x0d || buf[start] === 0x0a)) start++;
  const data = buf.subarray(start);
  const end = headerEnd(data);
  if (!end) return null;
  const head = parseHead(data.subarray(0, end.at).toString('utf8'));
  const length = contentLength(head.headers);
  if (length === null) throw new SipParseError('Content-Length is required on a stream transport');
  const bodyStart = end.at + end.skip;
  if (data.length < bodyStart + length) return null;
  const body = data.subarray(bodyStart, bodyStart + length).toString('utf8');
  return { message: { ...head, body } as SipMessage, rest: data.subarray(bodyStart + length) };
}

/** The wire form; Content-Length is always written from the body (any given one is replaced). */
export function serializeSipMessage(message: SipMessage): Buffer {
  const first = message.kind === 'request' ? `${message.method} ${message.uri} SIP/2.0` : `SIP/2.0 ${message.status} ${message.reason}`;
  const lines = [first];
  for (const [name, value] of message.headers) if (name !== 'Content-Length') lines.push(`${name}: ${value}`);
  lines.push(`Content-Length: ${Buffer.byteLength(message.body)}`);
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${message.body}`);
}

/** The first value of a header (any spelling or compact form of its name). */
export function header(message: SipMessage, name: string): string | undefined {
  const wanted = canonicalName(name).toLowerCase();
  return message.headers.find(([n]) => n.toLowerCase() === wanted)?.[1];
}

/** Every value of a header in order (for list headers, one per comma-separated value). */
export function headerAll(message: SipMessage, name: string): string[] {
  const wanted = canonicalName(name).toLowerCase();
  return message.headers.filter(([n]) => n.toLowerCase() === wanted).map(([, v]) => v);
}

export function requireHeader(message: SipMessage, name: string): string {
  const value = header(message, name);
  if (value === undefined) throw new SipParseError(`Missing ${canonicalName(name)} header`);
  return value;
}
