import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { build, getToken, json } from '../../../test/helpers/build.js';
import { assertError } from '../../../test/helpers/assert.js';
import { ConfigError, loadConfig } from '../../config.js';
import { AppError } from '../../lib/errors.js';

const h = await build();
const MISSING = '01890000-0000-7000-8000-000000000000';
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const CHANNELS = '/v1/channels/service-account';

interface Account {
  id: string;
  name: string;
  clientId: string;
  clientSecret: string;
  scopes: string[];
}

const accountsOf = (workspaceId: string) => `/admin/v1/workspaces/${workspaceId}/service-accounts`;

async function createAccount(workspaceId: string, name = 'integration'): Promise<Account> {
  const res = await h.admin('POST', accountsOf(workspaceId), { name });
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}

function requestToken(clientId: string, clientSecret: string) {
  return h.app.inject({
    method: 'POST',
    url: '/connect/token',
    payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: 'VoxaAPI' }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

function assertInvalidClient(res: LightMyRequestResponse) {
  assert.equal(res.statusCode, 401, res.body);
  assert.equal(json(res).error, 'invalid_client');
  assert.equal(typeof json(res).error_description, 'string');
}

const getChannels = (token: string) => h.app.inject({ method: 'GET', url: CHANNELS, headers: { authorization: `Bearer ${token}` } });

async function assertTokenWorks(token: string, workspaceId: string) {
  const res = await getChannels(token);
  assert.equal(res.statusCode, 200, res.body);
  assert.ok(json(res).items.every((c: { workspaceId: string }) => c.workspaceId === workspaceId));
}

async function assertTokenRefused(token: string) {
  const res = await getChannels(token);
  assertError(res, 401, 'Wasl:Unauthorized');
  assert.match(String(res.headers['www-authenticate']), /^Bearer error="invalid_token"/);
}


test('create → {id, name, clientId, clientSecret, scopes}; the credentials get a token for that workspace', async () => {
  const ws = await h.workspace();
  const res = await h.admin('POST', accountsOf(ws.id), { Name: '  CRM integration  ' });
  assert.equal(res.statusCode, 200, res.body);
  const account: Account = json(res);
  assert.deepEqual(Object.keys(account).sort(), ['clientId', 'clientSecret', 'id', 'name', 'scopes']);
  assert.match(account.id, UUID_V7);
  assert.equal(account.name, 'CRM integration');
  assert.deepEqual(account.scopes, ['VoxaAPI']);
  assert.match(account.clientId, /^wasl-[0-9a-f]{24}$/);
  assert.ok(account.clientSecret.length >= 32, 'a long random secret');

  const tokenRes = await requestToken(account.clientId, account.clientSecret);
  assert.equal(tokenRes.statusCode, 200, tokenRes.body);
  const token = json(tokenRes);
  assert.deepEqual([token.token_type, token.scope, typeof token.expires_in], ['Bearer', 'VoxaAPI', 'number']);

  const channel = json(await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'Mine', type: 3 }));
  const seen = json(await getChannels(token.access_token));
  assert.deepEqual(seen.items.map((c: { id: string }) => c.id), [channel.id], "the token reads its own workspace's data");

  const second = await createAccount(ws.id, 'second');
  assert.notEqual(second.clientId, account.clientId);
  assert.notEqual(second.clientSecret, account.clientSecret);
  await assertTokenWorks(await getToken(h.app, second.clientId, second.clientSecret), ws.id);
  assertInvalidClient(await requestToken(account.clientId, second.clientSecret));
});

test('the secret is shown only at creation and stored as a hash', async () => {
  const ws = await h.workspace();
  const account = await createAccount(ws.id);
  const stored = await h.app.container.serviceAccounts.authenticate(account.clientId, account.clientSecret);
  assert.ok(stored);
  assert.match(stored.secret_hash, /^scrypt\$/);
  assert.ok(!stored.secret_hash.includes(account.clientSecret));
  const rotated = json(await h.admin('POST', `/admin/v1/service-accounts/${account.id}/rotate-secret`));
  assert.deepEqual(Object.keys(rotated), ['clientSecret'], 'rotation shows the new secret only, and no other field');
  const disabled = await h.admin('POST', `/admin/v1/service-accounts/${account.id}/disable`);
  assert.ok(!disabled.body.includes(rotated.clientSecret));
});

test('rotate-secret: the old secret and its tokens stop working, the new secret works', async () => {
  const ws = await h.workspace();
  const account = await createAccount(ws.id);
  const bystander = await createAccount(ws.id, 'bystander');
  const oldToken = await getToken(h.app, account.clientId, account.clientSecret);
  const bystanderToken = await getToken(h.app, bystander.clientId, bystander.clientSecret);
  await assertTokenWorks(oldToken, ws.id);

  const res = await h.admin('POST', `/admin/v1/service-accounts/${account.id}/rotate-secret`);
  assert.equal(res.statusCode, 200, res.body);
  const { clientSecret } = json(res);
  assert.equal(typeof clientSecret, 'string');
  assert.ok(clientSecret.length >= 32);
  assert.notEqual(clientSecret, account.clientSecret);

  assertInvalidClient(await requestToken(account.clientId, account.clientSecret));
  await assertTokenRefused(oldToken);
  const newToken = await getToken(h.app, account.clientId, clientSecret);
  await assertTokenWorks(newToken, ws.id);
  await assertTokenWorks(bystanderToken, ws.id);

  const again = json(await h.admin('POST', `/admin/v1/service-accounts/${account.id}/rotate-secret`)).clientSecret;
  assert.notEqual(again, clientSecret);
  await assertTokenRefused(newToken);
  assertInvalidClient(await requestToken(account.clientId, clientSecret));
  await assertTokenWorks(await getToken(h.app, account.clientId, again), ws.id);
});

test('disable → 204; its tokens and its credentials stop working, other accounts go on', async () => {
  const ws = await h.workspace();
  const account = await createAccount(ws.id);
  const bystander = await createAccount(ws.id, 'bystander');
  const token = await getToken(h.app, account.clientId, account.clientSecret);
  const bystanderToken = await getToken(h.app, bystander.clientId, bystander.clientSecret);
  await assertTokenWorks(token, ws.id);

  const res = await h.admin('POST', `/admin/v1/service-accounts/${account.id}/disable`);
  assert.equal(res.statusCode, 204);
  assert.equal(res.body, '');
  await assertTokenRefused(token);
  assertInvalidClient(await requestToken(account.clientId, account.clientSecret));
  await assertTokenWorks(bystanderToken, ws.id);

  assert.equal((await h.admin('POST', `/admin/v1/service-accounts/${account.id}/disable`)).statusCode, 204, 'disabling twice is harmless');
  const rotated = json(await h.admin('POST', `/admin/v1/service-accounts/${account.id}/rotate-secret`)).clientSecret;
  assertInvalidClient(await requestToken(account.clientId, rotated));
  await assertTokenRefused(token);
});

test('unknown ids → 404 in the error envelope; malformed ids → 400; bad names → 400', async () => {
  const create = await h.admin('POST', accountsOf(MISSING), { name: 'ghost' });
  assertError(create, 404, 'Wasl:Workspace:NotFound');
  assert.match(json(create).error.message, new RegExp(MISSING));
  for (const action of ['rotate-secret', 'disable']) {
    const res = await h.admin('POST', `/admin/v1/service-accounts/${MISSING}/${action}`);
    assertError(res, 404, 'Wasl:ServiceAccount:NotFound');
    assert.match(json(res).error.message, new RegExp(MISSING));
    assertError(await h.admin('POST', `/admin/v1/service-accounts/nope/${action}`), 400, 'Wasl:ValidationFailed', ['id']);
  }
  assertError(await h.admin('POST', accountsOf('nope'), { name: 'x' }), 400, 'Wasl:ValidationFailed', ['workspaceId']);

  const ws = await h.workspace();
  for (const [body, member] of [[{}, 'name'], [{ name: '' }, 'name'], [{ name: '  ' }, 'name'], [{ name: 5 }, 'name'], [{ name: 'x'.repeat(201) }, 'name']] as const) {
    assertError(await h.admin('POST', accountsOf(ws.id), body), 400, 'Wasl:ValidationFailed', [member]);
  }
});

test('service-account routes refuse a missing or wrong admin token, and a Hatif token; nothing changes', async () => {
  const ws = await h.workspace();
  const routes = [
    { method: 'POST', url: accountsOf(ws.id), payload: { name: 'intruder' } },
    { method: 'POST', url: `/admin/v1/service-accounts/${ws.serviceAccountId}/rotate-secret` },
    { method: 'POST', url: `/admin/v1/service-accounts/${ws.serviceAccountId}/disable` },
  ] as const;
  const headers: Record<string, Record<string, string>> = {
    'no token': {},
    'wrong token': { authorization: 'Bearer test-admin-token-0123456788' },
    'Hatif token of this very account': { authorization: `Bearer ${ws.token}` },
  };
  for (const [name, header] of Object.entries(headers)) {
    for (const route of routes) {
      const res = await h.app.inject({ ...route, headers: header });
      assertError(res, 401, 'Wasl:Unauthorized');
      assert.match(String(res.headers['www-authenticate']), /^Bearer/, `${name}: ${route.url}`);
      assert.ok(!res.body.includes('clientSecret'));
    }
  }
  await assertTokenWorks(ws.token, ws.id);
  assert.equal((await requestToken(ws.clientId, ws.clientSecret)).statusCode, 200, 'neither rotated nor disabled');
});

test('a client secret someone chose must be strong: 400 naming clientSecret from the service, ConfigError from the environment', async () => {
  const ws = await h.workspace();
  const weak = ['Short1!', 'abcdefghijklmnopqrstu', 'ABCDEFGHIJKLMNOPQRSTU', '12345678901234567890', 'aA1aA1aA1aA1aA1aA1aA1', 'x'.repeat(257) + 'A1'];
  for (const [i, secret] of weak.entries()) {
    await assert.rejects(h.app.container.serviceAccounts.create(ws.id, { name: 'chosen', clientId: `chosen-${i}-${ws.id}`, clientSecret: secret }), (err) => {
      assert.ok(err instanceof AppError);
      assert.equal(err.code, 'Wasl:ValidationFailed');
      assert.deepEqual(err.extra.validationErrors?.map((v) => v.members), [['clientSecret']]);
      return true;
    });
    assert.throws(
      () => loadConfig({ WASL_BOOTSTRAP_CLIENT_ID: 'boot', WASL_BOOTSTRAP_CLIENT_SECRET: secret }),
      (err) => err instanceof ConfigError && /WASL_BOOTSTRAP_CLIENT_SECRET must/.test(err.message),
    );
  }
  const strong = 'boot-secret-123456';
  const account = await h.app.container.serviceAccounts.create(ws.id, { name: 'chosen', clientId: `chosen-ok-${ws.id}`, clientSecret: strong });
  assert.equal(account.clientSecret, strong);
  assert.equal(loadConfig({ WASL_BOOTSTRAP_CLIENT_ID: 'boot', WASL_BOOTSTRAP_CLIENT_SECRET: strong }).bootstrapClientSecret, strong);
});
