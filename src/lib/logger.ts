import { formatWithOptions } from 'node:util';
import pino, { type DestinationStream, type Logger } from 'pino';

/** Paths that could carry a credential; pino replaces them before a line is written. */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  '*.client_secret',
  '*.clientSecret',
  '*.accessToken',
  '*.appSecret',
  '*.verifyToken',
  '*.webhookSecret',
  '*.webhook_secret',
  '*.previous_webhook_secret',
  '*.provider_secrets',
  '*.encryptionKey',
  '*.encryptionKeysOld',
];

const LEVELS: Record<number, [name: string, colour: number]> = {
  10: ['TRACE', 90],
  20: ['DEBUG', 36],
  30: ['INFO ', 32],
  40: ['WARN ', 33],
  50: ['ERROR', 31],
  60: ['FATAL', 35],
};
/** Shown elsewhere on the line, or noise on a terminal. */
const OMIT = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'err']);

/**
 * pino's JSON lines rewritten for a person at a terminal:
 * `12:03:04.567 INFO  wasl is serving store=pglite workers=1`, errors with their stack below.
 */
export function prettyDestination(out: { write(text: string): unknown }, { colour = true } = {}): DestinationStream {
  const paint = (code: number, text: string) => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
  const value = (v: unknown) => (typeof v === 'string' && v !== '' && !/[\s"=]/.test(v) ? v : formatWithOptions({ colors: false, breakLength: Infinity, compact: true }, '%j', v));
  // Fastify's request lines, shortened: `req=GET /v1/tags`, `res=200`, `responseTime=3.1`.
  const field = (key: string, v: unknown) => {
    const o = v as { method?: string; url?: string; statusCode?: number } | null;
    if (key === 'req' && o?.method && o.url) return `${o.method} ${o.url}`;
    if (key === 'res' && typeof o?.statusCode === 'number') return String(o.statusCode);
    if (key === 'responseTime' && typeof v === 'number') return v.toFixed(1);
    return value(v);
  };
  return {
    write(line: string) {
      let entry: Record<string, unknown>;
      try {
        entry = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return void out.write(line);
      }
      const [name, code] = LEVELS[entry.level as number] ?? [String(entry.level), 0];
      const time = new Date(entry.time as number).toISOString().slice(11, 23);
      const fields = Object.entries(entry)
        .filter(([key]) => !OMIT.has(key))
        .map(([key, v]) => `${paint(2, `${key}=`)}${field(key, v)}`);
      let text = `${paint(2, time)} ${paint(code, name)} ${String(entry.msg ?? '')}${fields.length ? ` ${fields.join(' ')}` : ''}\n`;
      const err = entry.err as { stack?: string; message?: string } | undefined;
      if (err) text += `${(err.stack ?? err.message ?? value(err)).replace(/^/gm, '    ')}\n`;
      out.write(text);
    },
  };
}

/**
 * The server's pino logger, request ids from Fastify, credentials redacted: JSON lines for log
 * collectors, or readable lines when stdout is a terminal (and no destination is given).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const target = destination ?? (process.stdout.isTTY ? prettyDestination(process.stdout) : undefined);
  return pino({ level, redact: REDACT }, target);
}
