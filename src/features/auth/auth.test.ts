import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { buildApp } from '../../app.js';
import { build, json } from '../../../test/helpers/build.js';

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

test('disabling or rotating reaches another node sharing the store within 5 s', async () => {
  const nodeB = await buildApp({ config: h.config, db: h.store.db, engine: h.store.engine, clock: h.clock, logger: false });
  after(() => nodeB.close());
  for (const action of ['disable', 'rotate-secret']) {
    const ws = await h.workspace();
    const call = () => nodeB.inject({ method: 'GET', url: '/v1/tags/service-account', headers: { authorization: `Bearer ${ws.token}` } });
    assert.equal((await call()).statusCode, 200, 'node B knows the account is fine');
    assert.ok([200, 204].includes((await h.admin('POST', `/admin/v1/service-accounts/${ws.serviceAccountId}/${action}`)).statusCode));
    const started = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - started < 6000) {
      status = (await call()).statusCode;
      if (status === 200) await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status, 401, `${action}: node B still accepted the token after 6 s`);
    assert.ok(Date.now() - started < 5000, `${action} took ${Date.now() - started} ms to reach node B`);
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
