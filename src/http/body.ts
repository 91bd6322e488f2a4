import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { errors, type AppError } from '../lib/errors.js';

// Bytes that are not UTF-8 are refused, not turned into U+FFFD and stored (RFC 8259 §8.1).
// `isUtf8` (simdutf) refuses surrogates encoded as bytes too, so decoded text has none.
function decodeUtf8(body: Buffer): string | AppError {
  return isUtf8(body) ? body.toString('utf8') : errors.malformedBody('it is not valid UTF-8.');
}

/**
 * The first text PostgreSQL cannot store faithfully, in keys or values at any depth: NUL (text
 * refuses it) or a lone surrogate (jsonb refuses it, text replaces it). Iterative, so nesting
 * as deep as the body limit allows cannot overflow the stack.
 */
export function badText(value: unknown, path = ''): AppError | null {
  const stack: [unknown, string][] = [[value, path]];
  while (stack.length) {
    const [v, at] = stack.pop()!;
    if (typeof v === 'string') {
      const problem = textProblem(v);
      if (problem) return errors.invalidField(at, `${at || 'The request body'} ${problem}`);
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${at}[${i}]`]);
    } else if (v !== null && typeof v === 'object') {
      for (const [key, child] of Object.entries(v)) {
        const member = at ? `${at}.${key}` : key;
        const problem = textProblem(key);
        if (problem) return errors.invalidField(JSON.stringify(member).slice(1, -1), `The field name "${JSON.stringify(key).slice(1, -1)}" ${problem}`);
        stack.push([child, member]);
      }
    }
  }
  return null;
}

function textProblem(s: string): string | null {
  if (s.includes('\u0000')) return 'must not contain the NUL character (U+0000).';
  if (!(s as string & { isWellFormed(): boolean }).isWellFormed()) return 'must be valid Unicode: it contains an unpaired surrogate.';
  return null;
}

type Done = (err: Error | null, body?: unknown) => void;

/**
 * The JSON body parser of the whole API: strict UTF-8, Fastify's secure parsing (a `__proto__`
 * or `constructor.prototype` key is an error), no NUL or lone surrogate anywhere, and the exact
 * bytes on `req.rawBody` where the route declares `config.rawBody` (signed provider webhooks).
 */
function jsonParser(app: FastifyInstance) {
  const parse = app.getDefaultJsonParser('error', 'error');
  return (req: FastifyRequest, body: Buffer, done: Done) => {
    if (req.routeOptions.config?.rawBody) req.rawBody = body;
    const text = decodeUtf8(body);
    if (typeof text !== 'string') return done(text);
    parse(req, text, (err: Error | null, value?: unknown) => {
      if (err) return done(err);
      // JSON text refuses raw control characters and strict UTF-8 holds no surrogate, so NUL or a
      // lone surrogate can only arrive as a `\u` escape: without one there is nothing to walk.
      done(text.includes('\\u') ? badText(value) : null, value);
    });
  };
}

/**
 * `application/x-www-form-urlencoded` (only where a scope registers it: the token endpoint):
 * strict UTF-8 before and after percent-decoding; a field given twice becomes an array, which
 * the route's schema refuses (RFC 6749 §3.2: parameters must not repeat).
 */
export function registerFormParser(app: FastifyInstance): void {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'buffer' }, (req, body: Buffer, done: Done) => {
    const text = decodeUtf8(body);
    if (typeof text !== 'string') return done(text);
    const fields: Record<string, string | string[]> = Object.create(null);
    try {
      for (const pair of text.split('&')) {
        if (!pair) continue;
        const eq = pair.indexOf('=');
        const unform = (s: string) => decodeURIComponent(s.replace(/\+/g, ' '));
        const key = unform(eq < 0 ? pair : pair.slice(0, eq));
        const value = eq < 0 ? '' : unform(pair.slice(eq + 1));
        const before = fields[key];
        fields[key] = before === undefined ? value : [before, value].flat();
      }
    } catch {
      return done(errors.malformedBody('a percent-escape is not valid UTF-8.'));
    }
    done(badText(fields), fields);
  });
}

/**
 * What the API accepts as request text: JSON bodies through `jsonParser`, no `text/plain`, and
 * query strings and path parameters free of NUL and lone surrogates (checked before validation,
 * so the field is named as the client spelled it).
 */
export function registerBodyParsers(app: FastifyInstance): void {
  app.removeContentTypeParser(['text/plain', 'application/json']);
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, jsonParser(app));
  app.addHook('preValidation', async (req) => {
    const bad = badText(req.params) ?? badText(req.query);
    if (bad) throw bad;
  });
}
