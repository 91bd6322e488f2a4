import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'kysely';
import { ADMIN_TOKEN, build, json } from './helpers/build.js';
import { newId } from '../src/lib/ids.js';

/**
 * Schema-driven fuzzing of the whole API (issue 6 §7): every operation of /openapi.json gets
 * hostile variants of its path parameters, query and body, generated from its own schemas
 * (wrong types, huge numbers, NUL, lone surrogates, invalid UTF-8 bytes, odd percent-escapes,
 * long strings, fields spelled twice in other casings, foreign ids), with the right token. It
 * asserts: never a 5xx; every error in the envelope (RFC 6749's shape on /connect/token) with
 * X-Request-Id; and afterwards no stored row holds NUL or U+FFFD. Fixed seed, bounded runs.
 */
const SEED = 6_0007;
const RUNS_PER_OPERATION = 24;

// A low failure limit keeps the token endpoint's hashing (the only slow path) to a few attempts.
const h = await build({ TOKEN_FAILURES_PER_MINUTE: '2' });

type Schema = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
interface Operation {
  method: string;
  path: string;
  operationId: string;
  auth: 'bearer' | 'admin' | 'none';
  params: { name: string; in: 'path' | 'query'; schema: Schema }[];
  body?: { schema: Schema; form: boolean };
}
interface Case {
  kind: string;
  url: string;
  payload?: string | Buffer;
  contentType?: string;
}

const NIL = '00000000-0000-0000-0000-000000000000';
const LONG = 'ل'.repeat(5000);

test('fuzz: every operation of /openapi.json holds under hostile input', async (t) => {
  // The fuzzer's workspace, and a victim's whose ids it aims at (foreign ids, admin targets).
  const ws = await h.workspace();
  const victim = await h.workspace();
  const tag = json(await ws.api('POST', '/v1/tags/service-account', { name: 'fuzz-own' })).id as string;
  const foreignTag = json(await victim.api('POST', '/v1/tags/service-account', { name: 'fuzz-foreign' })).id as string;
  const channel = json(await h.admin('POST', `/admin/v1/workspaces/${victim.id}/channels`, { name: 'fuzz', type: 3 })).id as string;

  const doc = json(await h.app.inject({ method: 'GET', url: '/openapi.json' }));
  const deref = (s: Schema | undefined): Schema => {
    if (!s) return {};
    if (typeof s.$ref === 'string') return deref(doc.components.schemas[s.$ref.split('/').pop()!.replace(/#$/, '')]);
    return s;
  };
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries<Schema>(doc.paths)) {
    for (const [method, op] of Object.entries<Schema>(methods)) {
      const security = JSON.stringify(op.security ?? []);
      const content = op.requestBody?.content ?? {};
      const bodySchema = content['application/json']?.schema;
      operations.push({
        method: method.toUpperCase(),
        path,
        operationId: op.operationId,
        auth: security.includes('adminToken') ? 'admin' : security.includes('bearer') ? 'bearer' : 'none',
        params: (op.parameters ?? []).map((p: Schema) => ({ name: p.name, in: p.in, schema: deref(p.schema) })),
        ...(bodySchema ? { body: { schema: deref(bodySchema), form: Boolean(content['application/x-www-form-urlencoded']) } } : {}),
      });
    }
  }

  /** The id a path or query parameter names when it is valid: the fuzzer's own tag, else the victim's things. */
  function idFor(path: string, name: string): string {
    if (path.startsWith('/v1/tags')) return tag;
    if (path.startsWith('/admin/v1/service-accounts')) return victim.serviceAccountId;
    if (path.startsWith('/admin/v1/channels') || name === 'channelId') return channel;
    if (name === 'workspaceId' || path.startsWith('/admin/v1/workspaces')) return victim.id;
    return newId();
  }

  /** A plausible valid value of a schema, so that one hostile field reaches validation alone. */
  function sample(raw: Schema | undefined, name: string, path: string): unknown {
    const s = deref(raw);
    if (s.examples?.length && s.format !== 'uuid') return s.examples[0];
    if (s.enum) return s.enum[0];
    if ('const' in s) return s.const;
    const variants = s.anyOf ?? s.oneOf;
    if (variants) return sample(variants.find((v: Schema) => deref(v).type !== 'null') ?? variants[0], name, path);
    const type = [s.type].flat().find((x) => x !== 'null');
    switch (type) {
      case 'string':
        if (s.format === 'uuid') return idFor(path, name);
        if (s.format === 'date-time') return '2026-01-01T00:00:00.000Z';
        if (s.format === 'email') return 'fuzz@example.com';
        if (s.format === 'uri' || /url$/i.test(name)) return 'http://127.0.0.1:9/hook';
        if (/phone|number$/i.test(name)) return '+966501234567';
        return 'x'.repeat(Math.max(1, s.minLength ?? 1));
      case 'integer':
      case 'number':
        return s.minimum ?? 1;
      case 'boolean':
        return true;
      case 'array':
        return s.minItems ? [sample(s.items, name, path)] : [];
      case 'object': {
        const out: Record<string, unknown> = {};
        for (const key of s.required ?? []) out[key] = sample(s.properties?.[key], key, path);
        return out;
      }
      default:
        return null;
    }
  }

  /** Every place in a body a hostile value can go: the root and each property at any depth. */
  function slots(raw: Schema | undefined, prefix: string[] = [], depth = 0): string[][] {
    const s = deref(raw);
    const out = [prefix];
    if (depth < 3) for (const [key, child] of Object.entries<Schema>(s.properties ?? {})) out.push(...slots(child, [...prefix, key], depth + 1));
    return out;
  }

  const setAt = (value: unknown, at: string[], replacement: unknown): unknown => {
    if (!at.length) return replacement;
    const base = value && typeof value === 'object' && !Array.isArray(value) ? { ...(value as object) } : {};
    const [head, ...rest] = at;
    (base as Record<string, unknown>)[head!] = setAt((base as Record<string, unknown>)[head!], rest, replacement);
    return base;
  };

  const hostileValue = (op: Operation) =>
    fc.constantFrom<unknown>(
      null, true, 0, -1, 1.5, 1e308, -1e308, 2 ** 63, 1e21, Number.MAX_SAFE_INTEGER + 2, '', ' ', 'a\u0000b', '\u0000', '\ud800', 'x\udfffy',
      '\udbff\udbff', LONG, '😀'.repeat(600), '\u202e\u200f', "' OR 1=1 --", '99999999999999999999', '-0', 'NaN', '1e999', [], [null], {},
      { a: { b: { c: ['\u0000'] } } }, `urn:uuid:${op.auth === 'bearer' ? foreignTag : channel}`, op.auth === 'bearer' ? foreignTag : NIL,
      `{${tag}}`, '2016-12-31T23:59:60Z', '0000-01-01T00:00:00Z', '+275760-09-13T00:00:00.000Z', 'http://169.254.169.254/latest', 'Select',
    );
  const hostileSegment = fc.constantFrom(
    '%zz', '%00', '%C0%80', '%ED%A0%80', '%FF', 'a'.repeat(101), '..%2F..%2Fetc', `urn%3Auuid%3A${foreignTag}`, foreignTag, NIL,
    tag.toUpperCase(), '%20', '-1', '1e999', '%E2%80%AE', 'null', '%25',
  );
  const hostileQueryValue = fc.constantFrom(
    '%00', '%zz', '%FF', '%ED%A0%80', '99999999999999999999', '2147483648', '-1', '1e30', 'abc', 'Name%20DESC%2C%20Nope', 'a'.repeat(3000),
    '%E2%80%AE', '', 'Name%00', `urn%3Auuid%3A${foreignTag}`, '2016-12-31T23%3A59%3A60Z', '0000-01-01T00%3A00%3A00Z', '%5B%5D',
  );
  const invalidUtf8 = fc.constantFrom([0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0xe2, 0x82], [0xfe, 0xff]);

  function urlOf(op: Operation, overrides: { path?: [string, string]; query?: [string, string][] } = {}): string {
    let url = op.path;
    for (const p of op.params.filter((x) => x.in === 'path')) {
      const value = overrides.path?.[0] === p.name ? overrides.path[1] : encodeURIComponent(String(sample(p.schema, p.name, op.path)));
      url = url.replace(`{${p.name}}`, value);
    }
    const query = overrides.query ?? [];
    return query.length ? `${url}?${query.map(([k, v]) => `${k}=${v}`).join('&')}` : url;
  }

  function arbitraryCase(op: Operation): fc.Arbitrary<Case> {
    // Bodies have the most ways to go wrong: their kinds weigh more.
    const cases: fc.WeightedArbitrary<Case>[] = [];
    const add = (weight: number, ...arbitraries: fc.Arbitrary<Case>[]) => cases.push(...arbitraries.map((arbitrary) => ({ arbitrary, weight })));
    const pathParams = op.params.filter((p) => p.in === 'path').map((p) => p.name);
    const queryParams = op.params.filter((p) => p.in === 'query').map((p) => p.name);
    const validBody = op.body ? sample(op.body.schema, '', op.path) : undefined;
    const bodyText = validBody === undefined ? undefined : JSON.stringify(validBody);
    const withBody = (c: Omit<Case, 'payload' | 'contentType'>): Case =>
      bodyText === undefined ? c : { ...c, payload: bodyText, contentType: 'application/json' };

    if (pathParams.length) {
      add(2, fc.tuple(fc.constantFrom(...pathParams), hostileSegment).map(([name, seg]) => withBody({ kind: 'path', url: urlOf(op, { path: [name, seg] }) })));
    }
    if (queryParams.length) {
      add(
        2,
        fc.tuple(fc.constantFrom(...queryParams), hostileQueryValue).map(([name, value]) => withBody({ kind: 'query', url: urlOf(op, { query: [[name, value]] }) })),
        fc.constantFrom(...queryParams).map((name) =>
          withBody({ kind: 'query-twice', url: urlOf(op, { query: [[name, '1'], [name.toLowerCase() === name ? name.toUpperCase() : name.toLowerCase(), '2']] }) }),
        ),
      );
    }
    add(1, fc.tuple(hostileQueryValue, fc.constantFrom('x', 'SKIPCOUNT', '%00', 'a%00b')).map(([v, k]) => withBody({ kind: 'query-unknown', url: urlOf(op, { query: [[k, v]] }) })));
    if (op.body && bodyText !== undefined) {
      const places = slots(op.body.schema);
      const keys = Object.keys(deref(op.body.schema).properties ?? {});
      add(
        3,
        fc.tuple(fc.constantFrom(...places), hostileValue(op)).map(([at, value]) => ({
          kind: 'body',
          url: urlOf(op),
          payload: JSON.stringify(setAt(validBody, at, value)),
          contentType: 'application/json',
        })),
        fc.tuple(invalidUtf8, fc.boolean()).map(([bytes, inKey]) => {
          const rest = bodyText.length > 2 ? `,${bodyText.slice(1)}` : '}';
          const payload = inKey
            ? Buffer.concat([Buffer.from('{"'), Buffer.from(bytes), Buffer.from(`":1${rest}`)])
            : Buffer.concat([Buffer.from('{"x":"'), Buffer.from(bytes), Buffer.from(`"${rest}`)]);
          return { kind: 'raw-bytes', url: urlOf(op), payload, contentType: 'application/json' };
        }),
        fc.constantFrom('{"__proto__":{"admin":true}}', '['.repeat(20_000) + ']'.repeat(20_000), '{"a":', '"\\ud800"', 'null', '\u0000', '').map((payload) => ({
          kind: 'raw-json',
          url: urlOf(op),
          payload,
          contentType: 'application/json',
        })),
      );
      if (keys.length) {
        add(
          2,
          fc.tuple(fc.constantFrom(...keys), fc.constantFrom('upper', 'lower', 'pascal'), hostileValue(op)).map(([key, casing, value]) => {
            const other = casing === 'upper' ? key.toUpperCase() : casing === 'lower' ? key.toLowerCase() : key[0]!.toUpperCase() + key.slice(1);
            const twice = other === key ? `${key}` : other;
            return { kind: 'body-twice', url: urlOf(op), payload: `{${JSON.stringify(twice)}:${JSON.stringify(value)},${bodyText.slice(1)}`, contentType: 'application/json' };
          }),
        );
      }
      add(
        1,
        fc.constantFrom('a\u0000b', '\ud800', 'Name\u0000').map((key) => ({
          kind: 'body-key',
          url: urlOf(op),
          payload: JSON.stringify({ [key]: 1, ...(validBody as object) }),
          contentType: 'application/json',
        })),
      );
      if (op.body.form) {
        add(
          2,
          fc.tuple(fc.constantFrom(...keys), hostileQueryValue).map(([key, value]) => ({
            kind: 'form',
            url: urlOf(op),
            payload: `grant_type=client_credentials&${key}=${value}`,
            contentType: 'application/x-www-form-urlencoded',
          })),
        );
      }
    }
    return fc.oneof(...cases);
  }

  const statuses = new Map<number, number>();
  const kinds = new Map<string, number>();
  let total = 0;

  function check(op: Operation, c: Case, res: LightMyRequestResponse) {
    const where = `${op.operationId} [${c.kind}] ${c.url.slice(0, 160)} ${typeof c.payload === 'string' ? c.payload.slice(0, 160) : c.payload?.toString('hex').slice(0, 80) ?? ''}`;
    statuses.set(res.statusCode, (statuses.get(res.statusCode) ?? 0) + 1);
    assert.ok(res.statusCode < 500, `${where} → ${res.statusCode} ${res.body.slice(0, 300)}`);
    assert.ok(res.headers['x-request-id'], `${where}: no X-Request-Id`);
    if (res.statusCode < 400) return;
    const body = JSON.parse(res.body);
    if (op.path === '/connect/token') {
      assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description'], `${where}: ${res.body}`);
    } else {
      assert.deepEqual(Object.keys(body).sort(), ['error', 'message'], `${where}: ${res.body}`);
      assert.equal(typeof body.error.code, 'string', where);
      assert.equal(body.message, body.error.message, where);
    }
  }

  for (const op of operations) {
    const token = op.auth === 'admin' ? ADMIN_TOKEN : op.auth === 'bearer' ? ws.token : null;
    await fc.assert(
      fc.asyncProperty(arbitraryCase(op), async (c) => {
        total++;
        kinds.set(c.kind, (kinds.get(c.kind) ?? 0) + 1);
        const res = await h.app.inject({
          method: op.method as 'GET',
          url: c.url,
          headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(c.contentType && c.payload !== undefined ? { 'content-type': c.contentType } : {}) },
          ...(c.payload !== undefined && op.method !== 'GET' && op.method !== 'DELETE' ? { payload: c.payload } : {}),
        });
        check(op, c, res);
      }),
      { seed: SEED, numRuns: RUNS_PER_OPERATION, endOnFailure: true },
    );
  }

  // Nothing invalid was stored: no row of any table holds NUL or U+FFFD (lone surrogates and bad bytes become U+FFFD).
  const tables = await sql<{ table_name: string }>`
    SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`.execute(h.store.db);
  let rows = 0;
  for (const { table_name } of tables.rows) {
    const found = await sql<{ j: string }>`SELECT to_jsonb(t)::text AS j FROM ${sql.table(table_name)} t`.execute(h.store.db);
    rows += found.rows.length;
    for (const { j } of found.rows) {
      assert.ok(!j.includes('\ufffd') && !j.includes('\\u0000'), `${table_name} holds an invalid character: ${j.slice(0, 300)}`);
    }
  }

  const summary =
    `fuzz: ${operations.length} operations, ${total} cases (seed ${SEED}, ${RUNS_PER_OPERATION} each); ` +
    `statuses ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}; ` +
    `kinds ${[...kinds].map(([k, n]) => `${k}×${n}`).join(' ')}; ${rows} rows in ${tables.rows.length} tables checked`;
  t.diagnostic(summary);
  console.log(`# ${summary}`);
  assert.equal(total, operations.length * RUNS_PER_OPERATION);
});
