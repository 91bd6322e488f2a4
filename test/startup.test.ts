import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readEnvironment } from '../src/config.js';
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

test('first start bootstraps once; a second start changes nothing; credentials from the environment and .env work', async (t) => {
  const store = await freshStoreEnv({ empty: true }); // the one start here that creates its store
  // Half the settings in a .env file; the real environment wins where both set one.
  const envDir = mkdtempSync(join(tmpdir(), 'wasl-env-'));
  t.after(() => rmSync(envDir, { recursive: true, force: true }));
  const envFile = join(envDir, 'settings.env');
  writeFileSync(envFile, 'WASL_BOOTSTRAP_CLIENT_ID=boot-client\nWASL_BOOTSTRAP_CLIENT_SECRET="boot-secret-123456"\nPUBLIC_URL=http://from-the-file.test\n');
  const env = { ...store, WASL_ENV_FILE: envFile, WASL_ADMIN_TOKEN: 'startup-admin-token-123', PUBLIC_URL: 'http://wasl.local' };
  const first = await startServer(env);
  const discovery = (await (await fetch(`${first.base}/.well-known/openid-configuration`)).json()) as { issuer: string };
  assert.equal(discovery.issuer, 'http://wasl.local', 'the environment wins over .env');
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
  assert.doesNotMatch(first.stdout() + first.stderr(), /client_secret=|WASL_ADMIN_TOKEN=/, 'credentials from the environment are not printed');
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
  const printed = (name: string) => new RegExp(`${name}=(\\S+)`).exec(first.stderr())?.[1];
  const adminToken = printed('WASL_ADMIN_TOKEN');
  const clientId = printed('client_id');
  const clientSecret = printed('client_secret');
  assert.ok(adminToken && clientId && clientSecret, first.stderr());
  assert.doesNotMatch(first.stdout(), /client_secret|WASL_ADMIN_TOKEN/, 'stdout carries the JSON log only');
  const bearer = await token(first, clientId, clientSecret);
  assert.equal((await get(first, '/v1/channels/service-account', bearer)).totalCount, 1);
  assert.equal((await get(first, '/admin/v1/workspaces', adminToken)).totalCount, 1);
  assert.equal(await first.stop(), 0);

  const second = await startServer(env);
  assert.doesNotMatch(second.stderr(), /client_secret=|WASL_ADMIN_TOKEN=/, 'nothing is printed again');
  assert.equal((await get(second, '/admin/v1/workspaces', adminToken)).totalCount, 1, 'the stored admin token still works');
  await token(second, clientId, clientSecret);
  assert.equal(await second.stop(), 0);
});

test('SIGTERM to the `npm start` process stops the server on Node 24 and frees its port and data directory', async () => {
  const env = { ...(await freshStoreEnv()), WASL_ADMIN_TOKEN: 'npm-admin-token-123456', LOG_LEVEL: 'info' };
  const first = await startServer(env, { npm: true });
  // It answers before it logs "serving" (workers start after listen): wait for the line.
  const servingLine = () => first.stdout().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>).find((l) => l.msg === 'wasl is serving');
  for (let i = 0; i < 100 && !servingLine(); i++) await new Promise((r) => setTimeout(r, 100));
  const serving = servingLine();
  assert.ok(serving, `no JSON "serving" line on stdout: ${first.stdout()}`);
  const pid = serving.pid as number;
  assert.notEqual(pid, first.proc.pid, 'npm runs the server as a process of its own');
  assert.match(String(serving.node), /^v24\./, 'npm start runs the Node that npm install brought');
  if (!process.env.DATABASE_URL) {
    const second = await startServer(env, { waitUp: false });
    assert.equal(await second.exited, 1);
    assert.match(second.stderr(), new RegExp(`in use by process ${pid}\\b`), 'the lock names the server, not npm');
    assert.equal((await fetch(`${first.base}/health/ready`)).status, 200, 'the first keeps serving');
  }

  process.kill(first.proc.pid!, 'SIGTERM'); // npm's pid, as a supervisor signals it
  assert.equal(await first.exited, 0, 'npm exits with the server\'s code');
  assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, 'the server process is gone, not orphaned');
  await assert.rejects(fetch(`${first.base}/health/live`), 'the port is closed');
  assert.match(first.stdout(), /"msg":"stopped"/, 'it drained and stopped, it was not killed');

  const third = await startServer(env);
  assert.equal((await fetch(`${third.base}/health/ready`)).status, 200, 'the data directory is free again');
  assert.equal(await third.stop(), 0);
});

test('.env in the working directory is read when present; the real environment wins; a named file must exist', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-dotenv-'));
  const cwd = process.cwd();
  process.chdir(dir);
  t.after(() => {
    process.chdir(cwd);
    rmSync(dir, { recursive: true, force: true });
  });
  assert.deepEqual(readEnvironment({ PORT: '9000' }), { PORT: '9000' }, 'no .env: the environment as it is');
  writeFileSync(join(dir, '.env'), '# a comment\nPORT=8081\nLOG_LEVEL=debug\nexport HOST=127.0.0.1\nPUBLIC_URL="http://x.test" # the docs\n');
  assert.deepEqual(readEnvironment({ PORT: '9000' }), { PORT: '9000', LOG_LEVEL: 'debug', HOST: '127.0.0.1', PUBLIC_URL: 'http://x.test' });
  assert.throws(() => readEnvironment({ WASL_ENV_FILE: join(dir, 'missing.env') }), /cannot read .*missing\.env/);
});

test('the suite itself runs on Node 24 (test/run.ts starts it with the same node as npm)', () => {
  assert.ok(Number(process.versions.node.split('.')[0]) >= 24, process.version);
});

test('npm test refuses a file that awaits at top level after its first test (its harnesses would close early), naming the line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-late-await-'));
  try {
    const file = join(dir, 'late.test.ts');
    writeFileSync(file, "import { test } from 'node:test';\nconst a = await Promise.resolve(1);\ntest('one', () => {});\nconst b = await Promise.resolve(2);\ntest('two', () => {});\n");
    const run = spawnSync(process.execPath, ['--import', 'tsx', 'test/run.ts', file], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, new RegExp(`top-level await after the first test[^]*${file.replace(/[.]/g, '\\.')}:4\\b`));
    writeFileSync(file, "import { test } from 'node:test';\nconst a = await Promise.resolve(1);\nconst b = await Promise.resolve(2);\ntest('one', () => {});\n");
    const fine = spawnSync(process.execPath, ['--import', 'tsx', 'test/run.ts', file], { encoding: 'utf8', env: { ...process.env, DATABASE_URL: '' } });
    assert.equal(fine.status, 0, fine.stderr + fine.stdout);
    assert.doesNotMatch(fine.stderr, /top-level await after the first test/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
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
