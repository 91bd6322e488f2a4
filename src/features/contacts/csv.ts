/**
 * RFC 4180 CSV for contact import, streaming and dependency-free, with the header mapper that
 * turns a header row (English or Arabic) into standard contact fields and custom properties.
 *
 * Tolerant where spreadsheets are sloppy (a quote inside an unquoted field is literal, text after
 * a closing quote is kept, rows keep their own lengths, blank lines are skipped); strict where
 * going on would silently import garbage (an oversized field, too many columns, a quote never
 * closed): those throw a CsvError with the line.
 */
export type Delimiter = ',' | ';' | '\t';
export interface CsvOptions {
  /** A field longer than this (UTF-8 bytes) is refused; default 100 KB. */
  maxFieldBytes?: number;
  /** A row with more fields than this is refused; default 1,000. */
  maxColumns?: number;
  /** Found from the first line (detectDelimiter) when not given. */
  delimiter?: Delimiter;
}

export class CsvError extends Error {
  /** 1-based line of the input where the offending field or row starts. */
  readonly line: number;
  constructor(message: string, line: number) {
    super(`${message} (line ${line})`);
    this.name = 'CsvError';
    this.line = line;
  }
}

const START = 0; // before a field
const UNQUOTED = 1;
const QUOTED = 2;
const QUOTE = 3; // a '"' seen inside a quoted field: the end, or the first of a doubled quote
const DETECT_WITHIN = 65_536;

/** Push chunks of text, get the rows they complete. After a CsvError the stream is spent. */
export class CsvStream {
  private readonly maxFieldBytes: number;
  private readonly maxColumns: number;
  private delimiter: number | null;
  private head = ''; // text held until the first line break, to detect the delimiter
  private started = false;
  private rows: string[][] = [];
  private row: string[] = [];
  private field = '';
  private fieldLength = 0;
  private fieldBytes = -1; // counted only once the field could be near the limit
  private fieldLine = 1;
  private line = 1;
  private state = START;
  private skipLF = false; // a row ended in CR at the end of a chunk
  private lastCR = false; // the previous chunk ended in CR (line counting inside quotes)

  constructor(opts: CsvOptions = {}) {
    this.maxFieldBytes = opts.maxFieldBytes ?? 100 * 1024;
    this.maxColumns = opts.maxColumns ?? 1_000;
    this.delimiter = opts.delimiter ? opts.delimiter.charCodeAt(0) : null;
  }

  push(chunk: string): string[][] {
    if (!chunk) return this.take();
    if (!this.started) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.delimiter === null) {
      this.head += chunk;
      if (!/[\r\n]/.test(chunk) && this.head.length < DETECT_WITHIN) return [];
      chunk = this.detect();
    }
    this.feed(chunk);
    return this.take();
  }

  end(): string[][] {
    if (this.delimiter === null) this.feed(this.detect());
    if (this.state === QUOTED) throw new CsvError('a quoted field is never closed', this.fieldLine);
    if (this.state !== START || this.row.length) this.endRow();
    this.state = START;
    return this.take();
  }

  private detect(): string {
    const text = this.head;
    this.head = '';
    this.delimiter = detectDelimiter(text.split(/[\r\n]/, 1)[0]!).charCodeAt(0);
    return text;
  }

  private take(): string[][] {
    const rows = this.rows;
    this.rows = [];
    return rows;
  }

  private feed(s: string): void {
    const d = this.delimiter!;
    const n = s.length;
    let i = 0;
    if (this.skipLF) {
      this.skipLF = false;
      if (s.charCodeAt(0) === 10) i = 1;
    }
    let seg = i; // start of the field text not yet added to `field`
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      switch (this.state) {
        case START:
          if (c === 34) {
            this.state = QUOTED;
            this.fieldLine = this.line;
            seg = i + 1;
          } else if (c === d) {
            this.fieldLine = this.line;
            this.endField();
          } else if (c === 13 || c === 10) {
            if (this.row.length) this.endRow(); // a trailing delimiter left an empty last field
            i = this.lineBreak(s, i);
          } else {
            this.state = UNQUOTED;
            this.fieldLine = this.line;
            seg = i;
          }
          break;
        case UNQUOTED:
          if (c === d) {
            this.append(s, seg, i);
            this.endField();
            this.state = START;
          } else if (c === 13 || c === 10) {
            this.append(s, seg, i);
            this.endRow();
            this.state = START;
            i = this.lineBreak(s, i);
          }
          break;
        case QUOTED:
          if (c === 34) {
            this.append(s, seg, i);
            this.state = QUOTE;
          } else if (c === 13 || (c === 10 && (i > 0 ? s.charCodeAt(i - 1) !== 13 : !this.lastCR))) this.line++;
          break;
        case QUOTE:
          if (c === 34) {
            this.append(s, i, i + 1); // a doubled quote is one quote
            this.state = QUOTED;
            seg = i + 1;
          } else if (c === d) {
            this.endField();
            this.state = START;
          } else if (c === 13 || c === 10) {
            this.endRow();
            this.state = START;
            i = this.lineBreak(s, i);
          } else {
            this.state = UNQUOTED; // text after the closing quote is kept as written
            seg = i;
          }
          break;
      }
    }
    if (this.state === UNQUOTED || this.state === QUOTED) this.append(s, seg, n);
    this.lastCR = n > 0 && s.charCodeAt(n - 1) === 13;
  }

  /** Consumes a line break at `i` (CRLF as one, even split across chunks); returns the last index used. */
  private lineBreak(s: string, i: number): number {
    this.line++;
    if (s.charCodeAt(i) !== 13) return i;
    if (i + 1 === s.length) this.skipLF = true;
    else if (s.charCodeAt(i + 1) === 10) return i + 1;
    return i;
  }

  private append(s: string, from: number, to: number): void {
    if (to <= from) return;
    const piece = s.slice(from, to);
    this.field = this.fieldLength ? this.field + piece : piece;
    this.fieldLength += piece.length;
    // UTF-8 takes at most 3 bytes per UTF-16 unit, so exact counting starts only near the limit.
    if (this.fieldBytes >= 0) this.fieldBytes += Buffer.byteLength(piece);
    else if (this.fieldLength * 3 > this.maxFieldBytes) this.fieldBytes = Buffer.byteLength(this.field);
    if (this.fieldBytes > this.maxFieldBytes) throw new CsvError(`a field is over ${this.maxFieldBytes} bytes`, this.fieldLine);
  }

  private endField(): void {
    if (this.row.length >= this.maxColumns) throw new CsvError(`a row has more than ${this.maxColumns} fields`, this.fieldLine);
    this.row.push(this.field);
    this.field = '';
    this.fieldLength = 0;
    this.fieldBytes = -1;
  }

  private endRow(): void {
    this.endField();
    this.rows.push(this.row);
    this.row = [];
  }
}

/** Parses a whole text (see CsvStream). */
export function parseCsv(text: string, opts?: CsvOptions): string[][] {
  const stream = new CsvStream(opts);
  const rows = stream.push(text);
  for (const row of stream.end()) rows.push(row);
  return rows;
}

/** The delimiter used most outside quotes in the first line: Excel in Arabic and European locales writes ';'. */
export function detectDelimiter(firstLine: string): Delimiter {
  const counts = { ',': 0, ';': 0, '\t': 0 };
  let quoted = false;
  for (const c of firstLine) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && (c === ',' || c === ';' || c === '\t')) counts[c]++;
  }
  if (counts[';'] > counts[','] && counts[';'] >= counts['\t']) return ';';
  if (counts['\t'] > counts[','] && counts['\t'] > counts[';']) return '\t';
  return ',';
}

export type StandardField = 'name' | 'phoneNumber' | 'email' | 'company' | 'position' | 'note';

/**
 * Header text → comparable key: case, blanks, '_', '-' and '.' ignored; Arabic hamza forms, alef
 * maqsura, taa marbuta, diacritics, tatweel and direction marks (Excel adds them) folded away.
 */
function headerKey(text: string): string {
  return text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s_\-.\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF\u0640]/g, '')
    .replace(/\p{Mn}/gu, '') // diacritics (harakat, shadda, superscript alef)
    .replace(/[\u0622\u0623\u0625\u0671]/g, '\u0627') // آ أ إ ٱ → ا
    .replace(/\u0649/g, '\u064A') // ى → ي
    .replace(/\u0629/g, '\u0647'); // ة → ه
}

const ALIASES: Record<StandardField, string[]> = {
  name: ['name', 'full name', 'contact name', 'display name', 'الاسم', 'اسم', 'الاسم الكامل', 'اسم العميل', 'اسم جهة الاتصال'],
  phoneNumber: [
    'phone', 'phone number', 'mobile', 'mobile number', 'mobile phone', 'cell', 'cell phone', 'telephone', 'whatsapp',
    'whatsapp number', 'رقم الجوال', 'الجوال', 'جوال', 'رقم الهاتف', 'الهاتف', 'هاتف', 'رقم الموبايل', 'الموبايل',
    'موبايل', 'واتساب', 'رقم الواتساب', 'رقم الواتس',
  ],
  email: ['email', 'e-mail', 'email address', 'البريد الإلكتروني', 'البريد', 'الإيميل', 'إيميل'],
  company: ['company', 'company name', 'organization', 'organisation', 'الشركة', 'شركة', 'اسم الشركة', 'المؤسسة', 'الجهة'],
  position: ['position', 'title', 'job title', 'job', 'المسمى الوظيفي', 'المسمى', 'الوظيفة', 'المنصب'],
  note: ['note', 'notes', 'comment', 'comments', 'ملاحظات', 'ملاحظة', 'الملاحظات'],
};
const FIELD_BY_KEY = new Map<string, StandardField>();
for (const [field, aliases] of Object.entries(ALIASES) as [StandardField, string[]][]) {
  for (const alias of aliases) FIELD_BY_KEY.set(headerKey(alias), field);
}

/**
 * Maps header cells to standard fields (English and Arabic aliases) and anything else to
 * `{ property: <the header text trimmed> }`; empty cells to null. A standard field named twice, or
 * two columns with the same property, is an error (the later column maps to null).
 */
export function mapHeader(cells: string[]): { columns: ({ field: StandardField } | { property: string } | null)[]; errors: string[] } {
  const errors: string[] = [];
  const seen = new Map<string, number>();
  const columns = cells.map((cell, i) => {
    const text = cell.trim();
    const key = headerKey(text);
    if (!key) return null;
    const field = FIELD_BY_KEY.get(key);
    const slot = field ? `field:${field}` : `property:${key}`;
    const earlier = seen.get(slot);
    if (earlier !== undefined) {
      const what = field ? `both map to ${field}` : 'name the same property';
      errors.push(`Columns ${earlier + 1} ("${cells[earlier]!.trim()}") and ${i + 1} ("${text}") ${what}.`);
      return null;
    }
    seen.set(slot, i);
    return field ? { field } : { property: text };
  });
  return { columns, errors };
}
