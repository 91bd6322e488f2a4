import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { buildApp } from '../../app.js';
import type { LightMyRequestResponse } from 'fastify';
import { build, json, type Harness } from '../../../test/helpers/build.js';

const h = await build();
const form = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
  h.app.inject({
    method: 'POST',
    url: '/connect/token',
    payload: new URLSearchParams(fields).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  });
const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

test('client credentials (form) → a Bearer JWT, RS256 with a published kid', async () => {
  const ws = await h.workspace();
  const res = await form({ grant_type: 'client_credentials', client_id: ws.clientId, client_secret: ws.clientSecret, scope: 'VoxaAPI' });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(res.headers['cache-control'], 'no-store');
  const body = json(res);
  assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, 3600);
  assert.equal(body.scope, 'VoxaAPI');
  const header = decodeProtectedHeader(body.access_token);
  assert.equal(header.alg, 'RS256');
  const jwks = json(await h.app.inject({ method: 'GET', url: '/.well-known/jwks.json' }));
  assert.ok(jwks.keys.some((k: { kid: string }) => k.kid === header.kid), 'kid is in the JWKS');
  assert.ok(jwks.keys.every((k: Record<string, unknown>) => !('d' in k)), 'no private parts are published');
});

test('the token verifies independently against the published JWKS and metadata', async () => {
  const ws = await h.workspace();
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const address = h.app.server.address() as { port: number };
  const base = `http://127.0.0.1:${address.port}`;
  const meta = (await (await fetch(`${base}/.well-known/openid-configuration`)).json()) as { issuer: string; grant_types_supported: string[] };
  assert.equal(meta.issuer, 'http://wasl.test');
  assert.deepEqual(meta.grant_types_supported, ['client_credentials']);
  const jwks = createRemoteJWKSet(new URL(`${base}/.well-known/jwks.json`));
  const { payload } = await jwtVerify(ws.token, jwks, { issuer: 'http://wasl.test', audience: 'VoxaAPI', currentDate: h.clock.now() });
  assert.equal(payload.sub, ws.serviceAccountId);
  assert.equal(payload.wid, ws.id);
});

test('JSON body, HTTP Basic, and an omitted scope (defaults to VoxaAPI) all work', async () => {
  const ws = await h.workspace();
  const viaJson = await h.app.inject({
    method: 'POST',
    url: '/connect/token',
    payload: { grant_type: 'client_credentials', client_id: ws.clientId, client_secret: ws.clientSecret },
  });
  assert.equal(viaJson.statusCode, 200, viaJson.body);
  assert.equal(json(viaJson).scope, 'VoxaAPI');
  const viaBasic = await form({ grant_type: 'client_credentials' }, { authorization: basic(ws.clientId, ws.clientSecret) });
  assert.equal(viaBasic.statusCode, 200, viaBasic.body);
  const token = json(viaBasic).access_token;
  const tags = await h.app.inject({ method: 'GET', url: '/v1/tags/service-account', headers: { authorization: `Bearer ${token}` } });
  assert.equal(tags.statusCode, 200);
});

test('RFC 6749 errors: invalid_client 401, unsupported_grant_type / invalid_request / invalid_scope 400', async () => {
  const ws = await h.workspace();
  const cases: [Record<string, string>, Record<string, string>, number, string][] = [
    [{ grant_type: 'client_credentials', client_id: ws.clientId, client_secret: 'wrong' }, {}, 401, 'invalid_client'],
    [{ grant_type: 'client_credentials', client_id: 'nobody', client_secret: ws.clientSecret }, {}, 401, 'invalid_client'],
    [{ grant_type: 'client_credentials' }, {}, 401, 'invalid_client'],
    [{ grant_type: 'client_credentials' }, { authorization: basic(ws.clientId, 'wrong') }, 401, 'invalid_client'],
    [{ grant_type: 'password', client_id: ws.clientId, client_secret: ws.clientSecret }, {}, 400, 'unsupported_grant_type'],
    [{ client_id: ws.clientId, client_secret: ws.clientSecret }, {}, 400, 'invalid_request'],
    [{ grant_type: 'client_credentials', client_id: ws.clientId, client_secret: ws.clientSecret, scope: 'VoxaAPI admin' }, {}, 400, 'invalid_scope'],
    [{ grant_type: 'client_credentials', client_id: ws.clientId, client_secret: ws.clientSecret }, { authorization: basic(ws.clientId, ws.clientSecret) }, 400, 'invalid_request'],
  ];
  for (const [fields, headers, status, error] of cases) {
    const res = await form(fields, headers);
    assert.equal(res.statusCode, status, `${JSON.stringify(fields)}: ${res.body}`);
    const body = json(res);
    assert.equal(body.error, error);
    assert.equal(typeof body.error_description, 'string');
    if (status === 401) assert.ok(res.headers['www-authenticate']);
  }
});

test('disabling or rotating reaches another node sharing the store within 2 s of its clock', async () => {
  const nodeB = await buildApp({ config: h.config, db: h.store.db, engine: h.store.engine, clock: h.clock, logger: false });
  after(() => nodeB.close());
  for (const action of ['disable', 'rotate-secret']) {
    const ws = await h.workspace();
    const call = () => nodeB.inject({ method: 'GET', url: '/v1/tags/service-account', headers: { authorization: `Bearer ${ws.token}` } });
    assert.equal((await call()).statusCode, 200, 'node B knows the account is fine');
    assert.ok([200, 204].includes((await h.admin('POST', `/admin/v1/service-accounts/${ws.serviceAccountId}/${action}`)).statusCode));
    assert.equal((await call()).statusCode, 200, `${action}: node B trusts what it read for a while`);
    h.clock.advance(2_000);
    assert.equal((await call()).statusCode, 401, `${action}: node B still accepted the token 2 s later`);
  }
});

test('a token expires with the clock; a new one can be had', async () => {
  const ws = await h.workspace();
  const call = (token: string) => h.app.inject({ method: 'GET', url: '/v1/workspaces/users', headers: { authorization: `Bearer ${token}` } });
  assert.equal((await call(ws.token)).statusCode, 200);
  h.clock.advance(3601_000);
  try {
    const expired = await call(ws.token);
    assert.equal(expired.statusCode, 401);
    assert.match(json(expired).error.message, /expired/);
    const fresh = json(await form({ grant_type: 'client_credentials', client_id: ws.clientId, client_secret: ws.clientSecret })).access_token;
    assert.equal((await call(fresh)).statusCode, 200);
  } finally {
    h.clock.advance(-3601_000);
  }
});

/** RFC 6749 §5.2: exactly {error, error_description}, never the envelope, with the request id and no-store. */
function assertOAuthError(res: LightMyRequestResponse, status: number, error: string) {
  assert.equal(res.statusCode, status, res.body);
  const body = json(res);
  assert.deepEqual(Object.keys(body).sort(), ['error', 'error_description'], res.body);
  assert.equal(body.error, error);
  assert.match(body.error_description, /^[\x20-\x21\x23-\x5b\x5d-\x7e]+$/, 'printable ASCII without " or \\');
  assert.ok(res.headers['x-request-id'], 'X-Request-Id');
  assert.equal(res.headers['cache-control'], 'no-store');
}

test('every error of /connect/token keeps the RFC 6749 shape: unparseable, non-UTF-8, NUL, wrong types, 413, 415', async () => {
  const post = (payload: string | Buffer, contentType: string, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'POST', url: '/connect/token', payload, headers: { 'content-type': contentType, ...headers } });
  const JSON_TYPE = 'application/json';
  const FORM = 'application/x-www-form-urlencoded';
  assertOAuthError(await post('{"grant_type":', JSON_TYPE), 400, 'invalid_request');
  assertOAuthError(await post('', JSON_TYPE), 400, 'invalid_request');
  assertOAuthError(await post('[1,2]', JSON_TYPE), 400, 'invalid_request');
  assertOAuthError(await post('{"grant_type":"client_credentials","client_id":5}', JSON_TYPE), 400, 'invalid_request');
  assertOAuthError(await post(Buffer.from([0x67, 0x72, 0x61, 0x6e, 0x74, 0x3d, 0xff]), FORM), 400, 'invalid_request');
  assertOAuthError(await post('grant_type=client_credentials&client_id=%zz&client_secret=x', FORM), 400, 'invalid_request');
  assertOAuthError(await post('grant_type=client_credentials&client_id=a%00b&client_secret=x', FORM), 400, 'invalid_request');
  assertOAuthError(await post('{"grant_type":"client_credentials","client_id":"a\\u0000b","client_secret":"x"}', JSON_TYPE), 400, 'invalid_request');
  assertOAuthError(await post('{"grant_type":"client_credentials","client_id":"\\ud800","client_secret":"x"}', JSON_TYPE), 400, 'invalid_request');
  assertOAuthError(await post('grant_type=client_credentials&grant_type=client_credentials', FORM), 400, 'invalid_request');
  assertOAuthError(await post('grant_type=client_credentials', 'text/plain'), 415, 'invalid_request');
  assertOAuthError(await post(`client_secret=${'x'.repeat(h.config.bodyLimitBytes)}`, FORM), 413, 'invalid_request');
  const nulBasic = `Basic ${Buffer.from('a\u0000b:secret').toString('base64')}`;
  assertOAuthError(await post('grant_type=client_credentials', FORM, { authorization: nulBasic }), 401, 'invalid_client');
});

const tokenRequest = (node: Harness, clientId: string, clientSecret: string, remoteAddress: string) =>
  node.app.inject({
    method: 'POST',
    url: '/connect/token',
    remoteAddress,
    payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });

test('failed authentications are limited per (client id, address), per address and per client id; the real client is not locked out', async () => {
  const node = await build({ TOKEN_FAILURES_PER_MINUTE: '1' });
  const ws = await node.workspace(); // got its token from 127.0.0.1, so that address is known to this client
  const attempt = (secret: string, address: string, clientId = ws.clientId) => tokenRequest(node, clientId, secret, address);

  // One guesser, one address: 1 failure a minute, then 429 — even with the right secret, from there.
  assertOAuthError(await attempt('wrong', '10.0.0.66'), 401, 'invalid_client');
  const blocked = await attempt('wrong-again', '10.0.0.66');
  assertOAuthError(blocked, 429, 'slow_down');
  assert.ok(Number(blocked.headers['retry-after']) >= 1, 'Retry-After');
  assertOAuthError(await attempt(ws.clientSecret, '10.0.0.66'), 429, 'slow_down');

  // One address spraying client ids: 3 failures (3×), then 429 for any id.
  for (let i = 0; i < 3; i++) assertOAuthError(await attempt('x', '10.0.0.77', `nobody-${i}`), 401, 'invalid_client');
  assertOAuthError(await attempt('x', '10.0.0.77', 'nobody-else'), 429, 'slow_down');

  // Many addresses on one client id: its bucket (10×, 1 already spent) runs dry …
  for (let i = 0; i < 9; i++) assertOAuthError(await attempt(`wrong-${i}`, `10.1.${i}.1`), 401, 'invalid_client');
  assertOAuthError(await attempt('wrong', '10.2.0.1'), 429, 'slow_down');
  // … yet the address that authenticated before still gets its token, while a new address waits a minute.
  assert.equal((await attempt(ws.clientSecret, '127.0.0.1')).statusCode, 200);
  assertOAuthError(await attempt(ws.clientSecret, '10.2.0.2'), 429, 'slow_down');
  node.clock.advance(60_000);
  assert.equal((await attempt(ws.clientSecret, '10.2.0.2')).statusCode, 200, 'buckets refill with the clock');
  assert.equal((await attempt(ws.clientSecret, '10.0.0.66')).statusCode, 200);
});

test('secret verifications run a few at a time: a flood is answered 503 temporarily_unavailable at once, and the server keeps serving', async () => {
  const node = await build({ TOKEN_VERIFY_CONCURRENCY: '1', TOKEN_VERIFY_QUEUE: '2', TOKEN_FAILURES_PER_MINUTE: '0' });
  const ws = await node.workspace();
  const flood = await Promise.all(Array.from({ length: 12 }, (_, i) => tokenRequest(node, `flood-${i}`, 'guess', `10.9.0.${i}`)));
  const statuses = flood.map((r) => r.statusCode);
  assert.ok(statuses.every((s) => s === 401 || s === 503), statuses.join());
  assert.ok(statuses.filter((s) => s === 503).length >= 6, `most of the flood is refused without hashing: ${statuses.join()}`);
  for (const res of flood.filter((r) => r.statusCode === 503)) {
    assertOAuthError(res, 503, 'temporarily_unavailable');
    assert.equal(res.headers['retry-after'], '1');
  }
  assert.equal((await ws.api('GET', '/v1/tags/service-account')).statusCode, 200);
  assert.equal((await tokenRequest(node, ws.clientId, ws.clientSecret, '127.0.0.1')).statusCode, 200);
});
