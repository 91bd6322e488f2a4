import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import { build, json, type Workspace } from '../../test/helpers/build.js';
import { assertError } from '../../test/helpers/assert.js';

/**
 * Hostile input at the edge (issue 6 §7): every class the probe found answers a 4xx in the
 * envelope with X-Request-Id, and nothing invalid is stored.
 */
const h = await build();
const TAGS = '/v1/tags/service-account';

// Throwaway routes, added before the app is ready like any route: the raw body, and a date-time query.
h.app.post('/test/raw', { config: { auth: 'none', rawBody: true }, schema: { hide: true } }, (req) => ({
  raw: req.rawBody?.toString('base64') ?? null,
  body: req.body,
}));
h.app.post('/test/cooked', { config: { auth: 'none' }, schema: { hide: true } }, (req) => ({ hasRaw: req.rawBody !== undefined }));

const tagNames = async (ws: Workspace) => (json(await ws.api('GET', TAGS)).items as { name: string }[]).map((t) => t.name);
const rawJson = (ws: Workspace, url: string, bytes: Buffer) =>
  h.app.inject({ method: 'POST', url, payload: bytes, headers: { authorization: `Bearer ${ws.token}`, 'content-type': 'application/json' } });

test('NUL in a JSON body (value or key), a query string or a path parameter → 400 naming the field; nothing stored', async () => {
  const ws = await h.workspace();
  assertError(await ws.api('POST', TAGS, { name: 'a\u0000b' }), 400, 'Wasl:ValidationFailed', ['name']);
  assertError(await ws.api('POST', TAGS, JSON.stringify({ name: 'ok', 'ic\u0000on': 'x' })), 400, 'Wasl:ValidationFailed', ['ic\\u0000on']);
  assertError(await ws.api('POST', TAGS, { name: 'ok', nested: [{ deep: '\u0000' }] }), 400, 'Wasl:ValidationFailed', ['nested[0].deep']);
  assertError(await ws.api('GET', `${TAGS}?Sorting=Name%00`), 400, 'Wasl:ValidationFailed', ['Sorting']);
  assertError(await ws.api('PUT', `${TAGS}/%00`, { name: 'x' }), 400, 'Wasl:ValidationFailed', ['id']);
  assert.deepEqual(await tagNames(ws), []);
});

test('lone surrogates (escaped in JSON) → 400 naming the field, never replaced or stored; real pairs are fine', async () => {
  const ws = await h.workspace();
  for (const name of ['\\ud800', 'x\\udc00y', '\\udbff\\udbff']) {
    assertError(await ws.api('POST', TAGS, `{"name":"${name}"}`), 400, 'Wasl:ValidationFailed', ['name']);
  }
  assert.deepEqual(await tagNames(ws), []);
  assert.equal((await ws.api('POST', TAGS, '{"name":"\\ud83d\\udc51 VIP"}')).statusCode, 200);
  assert.deepEqual(await tagNames(ws), ['👑 VIP']);
});

test('invalid UTF-8 bytes in a body → 400 Wasl:MalformedBody, not U+FFFD in the store', async () => {
  const ws = await h.workspace();
  for (const bytes of [[0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf0, 0x9f, 0x91]]) {
    const body = Buffer.concat([Buffer.from('{"name":"'), Buffer.from(bytes), Buffer.from('"}')]);
    assertError(await rawJson(ws, TAGS, body), 400, 'Wasl:MalformedBody');
  }
  assert.deepEqual(await tagNames(ws), []);
  assert.equal((await rawJson(ws, TAGS, Buffer.from('\ufeff{"name":"مرحبا"}'))).statusCode, 200, 'UTF-8 (with a BOM) is fine');
  assert.deepEqual(await tagNames(ws), ['مرحبا']);
});

test('JSON is parsed securely: __proto__ and constructor.prototype keys are refused', async () => {
  const ws = await h.workspace();
  assertError(await ws.api('POST', TAGS, '{"name":"x","__proto__":{"isPinned":true}}'), 400, 'Wasl:MalformedJson');
  assertError(await ws.api('POST', TAGS, '{"name":"x","constructor":{"prototype":{"a":1}}}'), 400, 'Wasl:MalformedJson');
});

test('config.rawBody keeps the exact bytes on req.rawBody; other routes do not keep them', async () => {
  const bytes = Buffer.from('{ "b" : "مرحبا",\n  "a":1 }');
  const res = await h.app.inject({ method: 'POST', url: '/test/raw', payload: bytes, headers: { 'content-type': 'application/json' } });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(Buffer.from(json(res).raw, 'base64').toString('hex'), bytes.toString('hex'));
  assert.deepEqual(json(res).body, { b: 'مرحبا', a: 1 });
  const cooked = await h.app.inject({ method: 'POST', url: '/test/cooked', payload: bytes, headers: { 'content-type': 'application/json' } });
  assert.deepEqual(json(cooked), { hasRaw: false });
});

test('SkipCount beyond a 32-bit int → 400 naming it, not a database error', async () => {
  const ws = await h.workspace();
  for (const skip of ['99999999999999999999', '2147483648', '1e30']) {
    assertError(await ws.api('GET', `${TAGS}?SkipCount=${skip}`), 400, 'Wasl:ValidationFailed', ['SkipCount']);
  }
  assert.equal((await ws.api('GET', `${TAGS}?SkipCount=2147483647`)).statusCode, 200);
});

test('ids: only plain 8-4-4-4-12 hex passes (no urn:uuid:, braces or bare hex)', async () => {
  const ws = await h.workspace();
  const id = json(await ws.api('POST', TAGS, { name: 'x' })).id as string;
  for (const form of [`urn:uuid:${id}`, `{${id}}`, id.replace(/-/g, '')]) {
    assertError(await ws.api('PUT', `${TAGS}/${encodeURIComponent(form)}`, { name: 'y' }), 400, 'Wasl:ValidationFailed', ['id']);
  }
  assert.equal((await ws.api('PUT', `${TAGS}/${id.toUpperCase()}`, { name: 'y' })).statusCode, 200, 'upper-case hex is still a uuid');
});

test('date-times a JavaScript Date cannot hold (leap second, year 0, day 31 of a short month) → 400 naming the field', async () => {
  const url = (from: string) => `/admin/v1/webhooks/deliveries?from=${encodeURIComponent(from)}`;
  for (const from of ['2026-12-31T23:59:60Z', '0000-01-01T00:00:00Z', '2026-02-30T00:00:00Z', '2026-01-01T24:00:00Z']) {
    assertError(await h.admin('GET', url(from)), 400, 'Wasl:ValidationFailed', ['from']);
  }
  const recover = await h.admin('POST', '/admin/v1/webhooks/deliveries/recover', { since: '2016-12-31T23:59:60Z' });
  assertError(recover, 400, 'Wasl:ValidationFailed', ['since']);
  assert.equal((await h.admin('GET', url('2026-01-01T00:00:00+03:00'))).statusCode, 200);
});

test('router errors keep the envelope and the request id: bad percent-escapes, over-long path parameters', async () => {
  const ws = await h.workspace();
  for (const url of [`${TAGS}/%zz`, `${TAGS}/%C0%80`, '/v1/%E0%A4']) {
    const res = await ws.api('PUT', url, { name: 'x' }, { 'x-request-id': 'bad-url-1' });
    assertError(res, 400, 'Wasl:BadRequest');
    assert.equal(res.headers['x-request-id'], 'bad-url-1');
  }
  const long = await ws.api('PUT', `${TAGS}/${'a'.repeat(101)}`, { name: 'x' });
  assertError(long, 414, 'Wasl:UriTooLong');
});

/** Sends raw bytes to the listening server and reads the whole answer (the server closes). */
async function rawHttp(request: string | Buffer): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const address = h.app.server.address() as { port: number };
  const socket = connect(address.port, '127.0.0.1');
  const chunks: Buffer[] = [];
  socket.on('data', (c) => chunks.push(c));
  socket.on('error', () => {});
  socket.write(request);
  await new Promise((resolve) => socket.on('close', resolve));
  const text = Buffer.concat(chunks).toString('utf8');
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

test("Node's own refusals (oversized headers, bad HTTP, no Host) answer in the envelope with X-Request-Id", async () => {
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const cases: [string, number, string][] = [
    [`GET /health/live HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'Wasl:HeadersTooLarge'],
    ['GET /health/live HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n', 400, 'Wasl:BadRequest'],
    ['GET /v1/tags/service-account HTTP/1.1\r\nConnection: close\r\n\r\n', 401, 'Wasl:Unauthorized'],
  ];
  for (const [request, status, code] of cases) {
    const res = await rawHttp(request);
    assert.equal(res.status, status, res.body);
    assert.match(res.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
    const body = JSON.parse(res.body);
    assert.equal(body.error.code, code);
    assert.equal(body.message, body.error.message);
  }
});
