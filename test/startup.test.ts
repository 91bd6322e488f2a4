import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { freshStoreEnv, startServer, type Server } from './helpers/process.js';

const token = async (s: Server, clientId: string, clientSecret: string) => {
  const res = await fetch(`${s.base}/connect/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret, scope: 'VoxaAPI' }),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { access_token: string }).access_token;
};
const get = async (s: Server, path: string, bearer: string) => {
  const res = await fetch(`${s.base}${path}`, { headers: { authorization: `Bearer ${bearer}` } });
  assert.equal(res.status, 200, `${path}: ${await res.clone().text()}`);
  return res.json() as Promise<any>; // eslint-disable-line @typescript-eslint/no-explicit-any
};

test('first start bootstraps once; a second start changes nothing; env credentials work', async () => {
  const env = {
    ...(await freshStoreEnv()),
    WASL_ADMIN_TOKEN: 'startup-admin-token-123',
    WASL_BOOTSTRAP_CLIENT_ID: 'boot-client',
    WASL_BOOTSTRAP_CLIENT_SECRET: 'boot-secret-123456',
    PUBLIC_URL: 'http://wasl.local',
  };
  const first = await startServer(env);
  const bearer = await token(first, 'boot-client', 'boot-secret-123456');
  const channels = await get(first, '/v1/channels/service-account', bearer);
  assert.equal(channels.totalCount, 1);
  assert.equal(channels.items[0].name, 'Sandbox');
  assert.equal(channels.items[0].type, 3);
  assert.match(channels.items[0].phoneNumber.number, /^\+9665\d{8}$/);
  const users = await get(first, '/v1/workspaces/users', bearer);
  assert.deepEqual(users.map((u: { role: number; isAiAgent: boolean }) => [u.role, u.isAiAgent]), [[1, false]]);
  const workspaces = await get(first, '/admin/v1/workspaces', 'startup-admin-token-123');
  assert.equal(workspaces.totalCount, 1);
  assert.doesNotMatch(first.stdout(), /client_secret=|WASL_ADMIN_TOKEN=/, 'credentials from the environment are not printed');
  assert.equal(await first.stop(), 0, 'SIGTERM exits cleanly');

  const second = await startServer(env);
  assert.deepEqual(await get(second, '/v1/channels/service-account', bearer), channels, 'the old token still works; nothing changed');
  assert.deepEqual(await get(second, '/v1/workspaces/users', bearer), users);
  assert.deepEqual(await get(second, '/admin/v1/workspaces', 'startup-admin-token-123'), workspaces);
  assert.equal(await second.stop(), 0);
});

test('without env credentials, the first start prints them once and they work', async () => {
  const env = await freshStoreEnv();
  const first = await startServer(env);
  const printed = (name: string) => new RegExp(`${name}=(\\S+)`).exec(first.stdout())?.[1];
  const adminToken = printed('WASL_ADMIN_TOKEN');
  const clientId = printed('client_id');
  const clientSecret = printed('client_secret');
  assert.ok(adminToken && clientId && clientSecret, first.stdout());
  const bearer = await token(first, clientId, clientSecret);
  assert.equal((await get(first, '/v1/channels/service-account', bearer)).totalCount, 1);
  assert.equal((await get(first, '/admin/v1/workspaces', adminToken)).totalCount, 1);
  assert.equal(await first.stop(), 0);

  const second = await startServer(env);
  assert.doesNotMatch(second.stdout(), /client_secret=|WASL_ADMIN_TOKEN=/, 'nothing is printed again');
  assert.equal((await get(second, '/admin/v1/workspaces', adminToken)).totalCount, 1, 'the stored admin token still works');
  await token(second, clientId, clientSecret);
  assert.equal(await second.stop(), 0);
});

test('a second process cannot open the same embedded data directory', { skip: Boolean(process.env.DATABASE_URL) }, async () => {
  const env = { ...(await freshStoreEnv()), WASL_ADMIN_TOKEN: 'lock-admin-token-123' };
  const first = await startServer(env);
  const second = await startServer(env, { waitUp: false });
  assert.equal(await second.exited, 1);
  assert.match(second.stderr(), /in use by process \d+/);
  assert.equal((await fetch(`${first.base}/health/ready`)).status, 200, 'the first keeps serving');
  assert.equal(await first.stop(), 0);
  const third = await startServer(env);
  assert.equal((await fetch(`${third.base}/health/ready`)).status, 200, 'the lock is released on exit');
  assert.equal(await third.stop(), 0);
});

test('SIGTERM finishes the request in flight, refuses new ones, then exits 0', async () => {
  const env = {
    ...(await freshStoreEnv()),
    PUBLIC_URL: 'http://wasl.local',
    WASL_BOOTSTRAP_CLIENT_ID: 'drain-client',
    WASL_BOOTSTRAP_CLIENT_SECRET: 'drain-secret-123456',
    WASL_ADMIN_TOKEN: 'drain-admin-token-123',
  };
  const server = await startServer(env);
  const bearer = await token(server, 'drain-client', 'drain-secret-123456');
  const body = JSON.stringify({ name: 'sent during shutdown' });
  const { port } = new URL(server.base);
  // The request is in flight: headers and half the body sent, the rest after the signal.
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/v1/tags/service-account', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, 10));
    setTimeout(() => {
      server.proc.kill('SIGTERM');
      setTimeout(() => req.end(body.slice(10)), 300);
    }, 200);
  });
  const result = await answer;
  assert.equal(result.status, 200, result.body);
  assert.equal(JSON.parse(result.body).name, 'sent during shutdown');
  await assert.rejects(fetch(`${server.base}/health/live`), 'no new connections are accepted');
  assert.equal(await server.exited, 0);
});
