/**
 * A tolerant vCard 2.1 / 3.0 / 4.0 reader for contact import (no npm parser handles 2.1
 * QUOTED-PRINTABLE together with 3.0 and 4.0; see STACK.md). Pure: Node built-ins only.
 *
 * It works one physical line at a time and keeps only the properties it reads, so a PHOTO of any
 * size, a million folded lines or one endless line pass through in linear time and flat memory.
 * BEGIN:VCARD / END:VCARD are recognised on their own physical line, before any unfolding, so a
 * broken card cannot swallow the cards after it.
 */
import { TextDecoder } from 'node:util';

export interface ParsedCard {
  name: string | null;
  phones: string[];
  email: string | null;
  company: string | null;
  position: string | null;
  note: string | null;
}
export interface CardError { index: number; name: string | null; reason: string }
export type CardResult = { index: number; card?: ParsedCard; error?: CardError };

export const MAX_LINE_CHARS = 10_000;
/** Counted over the card's whole text, PHOTO included, though PHOTO is never held. */
export const MAX_CARD_CHARS = 1_048_576;
export const CARD_ERRORS = {
  missingEnd: 'missing END:VCARD',
  noNameNoPhone: 'no name and no phone',
  noPhone: 'no phone number',
  tooLarge: 'too large',
} as const;

/** Properties whose values are read; every other line (PHOTO, ADR, X-…) is dropped as it streams by. */
const KEPT = new Set(['VERSION', 'FN', 'N', 'X-WA-BIZ-NAME', 'ORG', 'TEL', 'EMAIL', 'TITLE', 'NOTE', 'X-ABLABEL']);
const STRUCTURE = /^\s*(BEGIN|END)\s*:\s*VCARD\s*$/i;
const MOBILE = /cell|mobile|iphone|whatsapp/i;
const MAILTO = /^\s*mailto:/i;
const TEL_URI = /^\s*tel:([^;]*).*$/is;
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL = /[\u0000-\u001F\u007F]/;

interface Params { mobile: boolean; encoding: 'qp' | 'b' | null; charset: string | null; pref: number; waid: string | null }
interface Tel { value: string; rank: number; pref: number; group: string; order: number }
interface Card {
  index: number; size: number; failed: string | null; v21: boolean;
  fn: string | null; n: string | null; biz: string | null; org: string | null; title: string | null; note: string | null;
  tels: Tel[]; emails: { value: string; pref: number }[]; labels: Map<string, string> | null;
}

/** Streaming parser: push chunks of text, get each card as its END:VCARD arrives. */
export class VCardStream {
  private out: CardResult[] = [];
  private card: Card | null = null;
  private next = 0;
  // Physical lines across chunks.
  private pending = '';
  private discarding = false; // the rest of an over-long physical line is dropped
  private skipLF = false; // a chunk ended in CR: a leading LF of the next chunk belongs to it
  private lastChar = '';
  // The property (logical line) being unfolded; `rest` is only used when it is folded.
  private open: 'none' | 'keep' | 'skip' = 'none';
  private first = '';
  private rest: string[] | null = null;
  private length = 0;
  private qp = false;
  private softBreak = false;
  private name = '';
  private dot = -1;
  private semi = -1;
  private colon = -1;

  push(chunk: string): CardResult[] {
    if (typeof chunk !== 'string' || chunk.length === 0) return this.take();
    const len = chunk.length;
    let pos = 0;
    if (this.skipLF) {
      this.skipLF = false;
      if (chunk.charCodeAt(0) === 10) pos = 1;
    }
    let nl = chunk.indexOf('\n', pos);
    let cr = chunk.indexOf('\r', pos);
    while (pos < len) {
      if (nl !== -1 && nl < pos) nl = chunk.indexOf('\n', pos);
      if (cr !== -1 && cr < pos) cr = chunk.indexOf('\r', pos);
      const end = nl === -1 ? cr : cr === -1 ? nl : nl < cr ? nl : cr;
      if (end === -1) {
        this.partial(chunk.slice(pos));
        break;
      }
      this.lineEnd(chunk.slice(pos, end));
      pos = end + 1;
      if (end === cr) {
        if (pos === len) this.skipLF = true;
        else if (chunk.charCodeAt(pos) === 10) pos++;
      }
    }
    return this.take();
  }

  end(): CardResult[] {
    if (this.discarding || this.pending) this.lineEnd('');
    this.closeProperty();
    if (this.card) this.finish(CARD_ERRORS.missingEnd);
    return this.take();
  }

  private take(): CardResult[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  private partial(text: string): void {
    if (this.card) this.grow(text.length);
    if (this.discarding) {
      this.lastChar = text[text.length - 1]!;
      return;
    }
    this.pending += text;
    if (this.pending.length > MAX_LINE_CHARS) {
      const line = this.pending;
      this.pending = '';
      this.physical(line, false);
      this.discarding = true;
      this.lastChar = line[line.length - 1]!;
    }
  }

  private lineEnd(text: string): void {
    if (this.card) this.grow(text.length + 1);
    if (this.discarding) {
      this.discarding = false;
      if (text) this.lastChar = text[text.length - 1]!;
      this.softBreak = this.qp && this.lastChar === '=';
      return;
    }
    const line = this.pending ? this.pending + text : text;
    this.pending = '';
    this.physical(line, true);
  }

  private grow(chars: number): void {
    const card = this.card!;
    card.size += chars;
    if (card.size > MAX_CARD_CHARS && !card.failed) card.failed = CARD_ERRORS.tooLarge;
  }

  /** One physical line; `complete` is false for the head of a line longer than the limit. */
  private physical(line: string, complete: boolean): void {
    const c0 = line.charCodeAt(0);
    const lower = c0 | 32;
    if (complete && line.length < 40 && (lower === 98 || lower === 101 || c0 === 32 || c0 === 9 || c0 === 0xfeff) && STRUCTURE.test(line)) {
      this.closeProperty();
      if (/^\s*b/i.test(line)) {
        if (this.card) this.finish(CARD_ERRORS.missingEnd);
        this.card = newCard(this.next++, line.length + 1);
      } else if (this.card) this.finish(null);
      return;
    }
    if (this.open !== 'none' && (this.softBreak || c0 === 32 || c0 === 9)) {
      if (this.open === 'keep') this.unfold(line);
      this.softBreak = this.qp && complete && line.endsWith('=');
      return;
    }
    this.closeProperty();
    if (!this.card || this.card.failed) return; // junk between cards, or a card already lost
    // The name (after any group and its dot), the first ';' and the ':' ending the header, in one pass.
    let colon = -1;
    let semi = -1;
    let dot = -1;
    let quoted = false;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      if (c === 34 && semi !== -1) quoted = !quoted;
      else if (quoted) continue;
      else if (c === 58) {
        colon = i;
        break;
      } else if (c === 59) {
        if (semi === -1) semi = i;
      } else if (c === 46 && semi === -1) dot = i;
    }
    const nameEnd = semi !== -1 ? semi : colon !== -1 ? colon : line.length;
    let name = nameEnd - dot <= 16 ? line.slice(dot + 1, nameEnd) : '';
    if (!KEPT.has(name)) name = name.trim().toUpperCase();
    this.qp = semi !== -1 && /QUOTED-PRINTABLE/i.test(colon === -1 ? line.slice(semi) : line.slice(semi, colon));
    this.softBreak = this.qp && complete && line.endsWith('=');
    if (!KEPT.has(name)) {
      this.open = 'skip';
      return;
    }
    this.open = 'keep';
    this.first = line;
    this.length = line.length;
    this.name = name;
    this.dot = dot;
    this.semi = semi;
    this.colon = colon;
    if (line.length > MAX_LINE_CHARS || !complete) this.overflow();
  }

  /** A QP soft break drops its '='; a fold drops one blank, except in 2.1 (RFC 822 unfolding keeps it). */
  private unfold(line: string): void {
    const rest = (this.rest ??= []);
    if (this.softBreak) {
      if (rest.length === 0) this.first = this.first.slice(0, -1);
      else {
        const last = rest.pop()!;
        if (last.length > 1) rest.push(last.slice(0, -1));
      }
      this.length--;
    }
    const piece = this.softBreak || this.card?.v21 ? line : line.slice(1);
    if (piece) rest.push(piece);
    this.length += piece.length;
    if (this.length > MAX_LINE_CHARS) this.overflow();
  }

  private overflow(): void {
    if (this.card && !this.card.failed) this.card.failed = CARD_ERRORS.tooLarge;
    this.open = 'skip';
    this.first = '';
    this.rest = null;
  }

  private closeProperty(): void {
    if (this.open === 'keep' && this.card && !this.card.failed) {
      const line = this.rest ? this.first + this.rest.join('') : this.first;
      property(this.card, line, this.name, this.dot, this.semi, this.colon);
    }
    this.open = 'none';
    this.first = '';
    this.rest = null;
    this.qp = false;
    this.softBreak = false;
  }

  private finish(reason: string | null): void {
    const card = this.card!;
    this.card = null;
    const parsed = assemble(card);
    const why = reason ?? card.failed ?? (parsed.phones.length ? null : parsed.name ? CARD_ERRORS.noPhone : CARD_ERRORS.noNameNoPhone);
    if (why) this.out.push({ index: card.index, error: { index: card.index, name: parsed.name, reason: why } });
    else this.out.push({ index: card.index, card: parsed });
  }
}

/** Splits text holding any number of cards (BEGIN:VCARD…END:VCARD) and parses each. */
export function parseVCards(text: string): { cards: { index: number; card: ParsedCard }[]; errors: CardError[] } {
  const stream = new VCardStream();
  const cards: { index: number; card: ParsedCard }[] = [];
  const errors: CardError[] = [];
  for (const results of [stream.push(text), stream.end()]) {
    for (const r of results) {
      if (r.card) cards.push(r as { index: number; card: ParsedCard }); // finish() made it with exactly these keys
      else if (r.error) errors.push(r.error);
    }
  }
  return { cards, errors };
}

function newCard(index: number, size: number): Card {
  return {
    index, size, failed: null, v21: false,
    fn: null, n: null, biz: null, org: null, title: null, note: null,
    tels: [], emails: [], labels: null,
  };
}

/** Reads one unfolded property line into the card. */
function property(card: Card, line: string, name: string, dot: number, semi: number, colon: number): void {
  if (colon === -1) {
    // The header itself was folded: find its end in the whole line.
    colon = headerEnd(line);
    if (colon === -1) return;
  }
  const raw = line.slice(colon + 1);
  if (name === 'VERSION') {
    card.v21 = raw.trim() === '2.1';
    return;
  }
  const params = semi !== -1 && semi < colon ? parseParams(line, semi + 1, colon) : NO_PARAMS;
  switch (name) {
    case 'FN': card.fn ??= clean(text(raw, params)); break;
    case 'TITLE': card.title ??= clean(text(raw, params)); break;
    case 'X-WA-BIZ-NAME': card.biz ??= clean(text(raw, params)); break;
    case 'NOTE': card.note ??= clean(text(raw, params), true); break;
    case 'ORG':
      for (const part of card.org === null ? components(raw) : []) if ((card.org = clean(text(part, params)))) break;
      break;
    case 'N': {
      if (card.n !== null) break;
      const [family = '', given = '', middle = ''] = components(raw);
      let n = '';
      for (const part of [given, middle, family]) {
        const value = part && clean(text(part, params));
        if (value) n = n ? `${n} ${value}` : value;
      }
      card.n = n || null;
      break;
    }
    case 'EMAIL': {
      const value = clean(text(raw, params).replace(MAILTO, ''));
      if (value) card.emails.push({ value, pref: params.pref });
      break;
    }
    case 'X-ABLABEL':
      if (dot !== -1) (card.labels ??= new Map()).set(line.slice(0, dot).toLowerCase(), text(raw, params));
      break;
    case 'TEL': {
      // 4.0 writes tel: URIs; their parameters (;ext=…) are not part of a number WhatsApp can reach.
      const value = params.waid ? `+${params.waid}` : clean(text(raw, params).replace(TEL_URI, '$1'));
      const group = dot === -1 ? '' : line.slice(0, dot).toLowerCase();
      const rank = params.waid ? 0 : params.mobile ? 1 : 2;
      if (value) card.tels.push({ value, rank, pref: params.pref, group, order: card.tels.length });
      break;
    }
  }
}

/** Index of the ':' that ends name and parameters (quoted parameter values may hold ':'), or -1. */
function headerEnd(line: string): number {
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    else if (c === 58 && !quoted) return i;
  }
  return -1;
}

/** The parts of a structured value (N, ORG), split on ';' not escaped by a backslash. */
function components(value: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 92) i++;
    else if (c === 59) {
      parts.push(value.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(value.slice(start));
  return parts;
}

const NO_PARAMS: Params = Object.freeze({ mobile: false, encoding: null, charset: null, pref: Infinity, waid: null });

/**
 * Parameters between `from` and `to`, in every style: `TYPE=CELL;TYPE=VOICE`, `type="cell,voice"`,
 * 2.1 bare `CELL;PREF;QUOTED-PRINTABLE`, `PREF=1`, `waid=…`, `CHARSET=…`, `ENCODING=b`.
 */
function parseParams(line: string, from: number, to: number): Params {
  const p: Params = { mobile: false, encoding: null, charset: null, pref: Infinity, waid: null };
  let start = from;
  let quoted = false;
  for (let i = from; i <= to; i++) {
    const c = i === to ? 59 : line.charCodeAt(i);
    if (c === 34) quoted = !quoted;
    if (c !== 59 || (quoted && i !== to)) continue;
    const piece = line.slice(start, i);
    start = i + 1;
    const eq = piece.indexOf('=');
    const key = eq === -1 ? '' : piece.slice(0, eq).trim().toUpperCase();
    let value = (eq === -1 ? piece : piece.slice(eq + 1)).trim();
    if (value.length > 1 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    const upper = value.toUpperCase();
    if (key === 'ENCODING' || (!key && /^(QUOTED-PRINTABLE|BASE64|B|8BIT|7BIT)$/.test(upper))) {
      p.encoding = upper === 'QUOTED-PRINTABLE' || upper === 'QP' ? 'qp' : upper === 'B' || upper === 'BASE64' ? 'b' : null;
    } else if (key === 'CHARSET') p.charset = value;
    else if (key === 'WAID') p.waid = value.replace(/\D/g, '') || null;
    else if (key === 'PREF') p.pref = Math.min(p.pref, Number(value) || 1);
    else if (key === 'TYPE' || !key) {
      if (MOBILE.test(upper)) p.mobile = true;
      if (/(^|,)\s*PREF\s*(,|$)/.test(upper)) p.pref = Math.min(p.pref, 1);
    }
  }
  return p;
}

function assemble(card: Card): ParsedCard {
  const tels = card.tels;
  let phones: string[];
  if (tels.length <= 1) phones = tels.length ? [tels[0]!.value] : [];
  else {
    // Apple names some numbers only through a label on the same group (item2.X-ABLabel:_$!<Mobile>!$_).
    for (const tel of tels) if (tel.rank === 2 && tel.group && MOBILE.test(card.labels?.get(tel.group) ?? '')) tel.rank = 1;
    tels.sort((a, b) => a.rank - b.rank || a.pref - b.pref || a.order - b.order);
    const seen = new Set<string>();
    phones = [];
    for (const tel of tels) {
      const key = phoneKey(tel.value);
      if (!seen.has(key)) phones.push(tel.value);
      seen.add(key);
    }
  }
  let email = card.emails[0];
  for (const e of card.emails) if (e.pref < email!.pref) email = e;
  return {
    name: card.fn ?? card.n ?? card.biz ?? card.org,
    phones,
    email: email?.value ?? null,
    company: card.org ?? card.biz,
    position: card.title,
    note: card.note,
  };
}

/** Numbers written differently (spaces, dashes, Arabic-Indic digits) are one number. */
function phoneKey(value: string): string {
  const digits = value.replace(/[\u0660-\u0669\u06F0-\u06F9]/g, (d) => String((d.charCodeAt(0) & 0xf) % 10)).replace(/\D/g, '');
  return digits || value.toLowerCase();
}

/** Trims and drops control characters (line breaks survive only in notes); empty → null. */
function clean(value: string, multiline = false): string | null {
  if (!CONTROL.test(value)) return value.trim() || null;
  // eslint-disable-next-line no-control-regex -- control characters are what it removes
  let v = value.replace(/\r\n?/g, '\n').replace(/[\u0000-\u0008\u000B-\u001F\u007F]/g, '');
  if (!multiline) v = v.replace(/[\n\t]+/g, ' ');
  return v.trim() || null;
}

/** Decodes the transfer encoding, then the 3.0/4.0 escapes (\n \, \; \: \\). */
function text(value: string, params: Params): string {
  if (params.encoding === 'qp') value = decodeQP(value, params.charset);
  else if (params.encoding === 'b') value = decodeBytes(Buffer.from(value.replace(/\s+/g, ''), 'base64'), params.charset);
  if (!value.includes('\\')) return value;
  return value.replace(/\\([nN,;:\\])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

/** QUOTED-PRINTABLE: runs of =XX are bytes in the charset; other characters are literal. */
function decodeQP(value: string, charset: string | null): string {
  let out = '';
  let i = 0;
  while (i < value.length) {
    const eq = value.indexOf('=', i);
    if (eq === -1) return out + value.slice(i);
    out += value.slice(i, eq);
    const bytes: number[] = [];
    i = eq;
    let hi: number, lo: number;
    while (value.charCodeAt(i) === 61 && (hi = hex(value.charCodeAt(i + 1))) >= 0 && (lo = hex(value.charCodeAt(i + 2))) >= 0) {
      bytes.push(hi * 16 + lo);
      i += 3;
    }
    if (bytes.length) out += decodeBytes(Uint8Array.from(bytes), charset);
    else {
      if (i + 1 < value.length) out += '='; // a stray '=' is literal; a trailing one was a soft break
      i++;
    }
  }
  return out;
}

function hex(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

const decoders = new Map<string, TextDecoder>();
function decoder(label: string, fatal = false): TextDecoder | null {
  const key = `${label.toLowerCase()}|${fatal}`;
  let d = decoders.get(key);
  if (!d) {
    try {
      d = new TextDecoder(label, { fatal });
    } catch {
      return null;
    }
    if (decoders.size < 64) decoders.set(key, d);
  }
  return d;
}

/** Bytes in a named charset; unknown or absent means UTF-8, and bytes that are not UTF-8 read as windows-1252. */
function decodeBytes(bytes: Uint8Array, charset: string | null): string {
  const named = charset ? decoder(charset.trim()) : null;
  if (named && named.encoding !== 'utf-8') return named.decode(bytes);
  try {
    return decoder('utf-8', true)!.decode(bytes);
  } catch {
    return decoder('windows-1252')?.decode(bytes) ?? String.fromCharCode(...bytes);
  }
}
