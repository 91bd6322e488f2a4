import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { ADMIN_TOKEN, build, getToken, json } from './helpers/build.js';

const h = await build();
await h.app.listen({ port: 0, host: '127.0.0.1' });
const URL_ = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const run = promisify(execFile);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

/** The CLI as an operator runs it: its own process, configured only by its environment. */
async function wasl(args: string[], env: Record<string, string | undefined> = {}): Promise<Result> {
  const base: Record<string, string | undefined> = { ...process.env, WASL_URL: URL_, WASL_ADMIN_TOKEN: ADMIN_TOKEN, NODE_TEST_CONTEXT: undefined };
  const merged = Object.fromEntries(Object.entries({ ...base, ...env }).filter((e): e is [string, string] => e[1] !== undefined));
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env: merged });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Runs a command that must succeed and returns its JSON output. */
async function ok(args: string[]) {
  const r = await wasl(args);
  assert.equal(r.code, 0, `wasl ${args.join(' ')} failed: ${r.stderr}`);
  assert.equal(r.stderr, '');
  return JSON.parse(r.stdout);
}

const tokenStatus = async (clientId: string, clientSecret: string) =>
  (
    await h.app.inject({
      method: 'POST',
      url: '/connect/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret }).toString(),
    })
  ).statusCode;

test('workspace create and list, as JSON and as a table', async () => {
  const name = `cli-${Math.random().toString(36).slice(2)}`;
  const ws = await ok(['workspace', 'create', '--name', name, '--default-region', 'AE']);
  assert.equal(ws.name, name);
  assert.equal(ws.defaultRegion, 'AE');
  assert.match(ws.id, /^[0-9a-f-]{36}$/);

  const list = await ok(['workspace', 'list']);
  assert.ok(list.items.some((w: { id: string }) => w.id === ws.id));
  assert.equal(list.items.length, list.totalCount, 'every page is fetched');

  const table = await wasl(['workspace', 'list', '--table']);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^id\s+name\s+defaultRegion\s+creationTime\s+eventsWebhookUrl\s+hasWebhookSecret$/);
  // Other test files may add workspaces meanwhile (a shared PostgreSQL), hence "at least".
  assert.ok(lines.length >= list.totalCount + 1, 'a header and one row per workspace');
  assert.ok(lines.slice(1).every((l) => /^[0-9a-f-]{36} {2}\S/.test(l)), 'one workspace per row');
  const row = lines.find((l) => l.startsWith(ws.id)) ?? '';
  assert.equal(row.indexOf(name), lines[0]?.indexOf('name'), 'columns are aligned');
  assert.ok(!table.stdout.includes('{'), 'no JSON in the table');

  const single = await wasl(['workspace', 'create', '--name', `${name}-t`, '--table']);
  assert.equal(single.code, 0, single.stderr);
  assert.match(single.stdout, /^id\s+[0-9a-f-]{36}\nname\s+cli-\S+-t\ndefaultRegion\s+SA\ncreationTime\s+\d{4}-/);
});

test('service-account create → rotate → disable, checked against /connect/token', async () => {
  const ws = await ok(['workspace', 'create', '--name', 'cli-sa']);
  const sa = await ok(['service-account', 'create', '--workspace', ws.id, '--name', 'CRM']);
  assert.equal(sa.name, 'CRM');
  assert.ok(sa.clientId && sa.clientSecret, 'the secret is shown on create');
  assert.deepEqual(sa.scopes, ['VoxaAPI']);
  const oldToken = await getToken(h.app, sa.clientId, sa.clientSecret);

  const rotated = await ok(['service-account', 'rotate', sa.id]);
  assert.equal(typeof rotated.clientSecret, 'string');
  assert.notEqual(rotated.clientSecret, sa.clientSecret);
  assert.equal(await tokenStatus(sa.clientId, sa.clientSecret), 401, 'the old secret stops working');
  assert.equal(await tokenStatus(sa.clientId, rotated.clientSecret), 200, 'the new secret works');
  const newToken = await getToken(h.app, sa.clientId, rotated.clientSecret);
  const tags = (token: string) => h.app.inject({ method: 'GET', url: '/v1/tags/service-account', headers: { authorization: `Bearer ${token}` } });
  assert.equal((await tags(oldToken)).statusCode, 401, 'tokens of the old secret stop working');
  assert.equal((await tags(newToken)).statusCode, 200);

  assert.deepEqual(await ok(['service-account', 'disable', sa.id]), { id: sa.id, disabled: true });
  assert.equal(await tokenStatus(sa.clientId, rotated.clientSecret), 401, 'a disabled account gets no token');
  assert.equal((await tags(newToken)).statusCode, 401, 'its tokens stop working');

  const missing = await wasl(['service-account', 'rotate', '01890000-0000-7000-8000-000000000000']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /ServiceAccount .* was not found\. \(HTTP 404, Wasl:ServiceAccount:NotFound\)/);
});

test('user add: a person with a role, and an AI agent', async () => {
  const ws = await ok(['workspace', 'create', '--name', 'cli-users']);
  const person = await ok(['user', 'add', '--workspace', ws.id, '--name', 'Sara', '--email', 'sara@example.com', '--role', 'Owner', '--phone', '+966500111222']);
  assert.equal(person.name, 'Sara');
  assert.equal(person.email, 'sara@example.com');
  assert.equal(person.role, 1);
  assert.equal(person.isAiAgent, false);
  assert.equal(person.workspaceId, ws.id);

  const agent = await ok(['user', 'add', '--workspace', ws.id, '--name', 'Bot', '--ai-agent', '--role', '2']);
  assert.equal(agent.isAiAgent, true);
  assert.equal(agent.role, 2);

  const sa = await ok(['service-account', 'create', '--workspace', ws.id, '--name', 'reader']);
  const token = await getToken(h.app, sa.clientId, sa.clientSecret);
  const users = json(await h.app.inject({ method: 'GET', url: '/v1/workspaces/users', headers: { authorization: `Bearer ${token}` } }));
  assert.deepEqual(users.map((u: { name: string }) => u.name).sort(), ['Bot', 'Sara']);
});

test('channel create, list and update; secrets are never printed back', async () => {
  const ws = await ok(['workspace', 'create', '--name', 'cli-channels']);
  const sandbox = await ok(['channel', 'create', '--workspace', ws.id, '--name', 'Sandbox line', '--type', 'PhoneNumberAndWhatsapp']);
  assert.equal(sandbox.type, 3);
  assert.equal(sandbox.whatsApp.provider, 'sandbox');
  assert.match(sandbox.phoneNumber.number, /^\+966/);

  const cloud = await ok([
    'channel', 'create', '--workspace', ws.id, '--name', 'Cloud', '--type', '2', '--phone', '+966500000123',
    '--whatsapp-provider', 'cloud', '--phone-number-id', '1234567890', '--access-token', 'EAAG-very-secret-token',
    '--app-secret', 'app-secret-value', '--graph-base-url', 'http://graph.example.test/v21.0',
  ]); // prettier-ignore
  assert.equal(cloud.type, 2);
  assert.deepEqual(
    [cloud.whatsApp.provider, cloud.whatsApp.phoneNumberId, cloud.whatsApp.hasAccessToken, cloud.whatsApp.hasAppSecret, cloud.whatsApp.graphBaseUrl],
    ['cloud', '1234567890', true, true, 'http://graph.example.test/v21.0'],
  );
  assert.ok(!JSON.stringify(cloud).includes('very-secret') && !JSON.stringify(cloud).includes('app-secret-value'));

  const list = await ok(['channel', 'list', '--workspace', ws.id]);
  assert.equal(list.totalCount, 2);
  assert.deepEqual(list.items.map((c: { id: string }) => c.id), [sandbox.id, cloud.id]);
  const table = await wasl(['channel', 'list', '--workspace', ws.id, '--table']);
  assert.equal(table.code, 0, table.stderr);
  const [header, ...rows] = table.stdout.trimEnd().split('\n');
  assert.match(header ?? '', /^id\s+name\s+type\s+phoneNumber\.number\s+whatsApp\.provider\s+/);
  assert.equal(rows.length, 2);
  assert.match(rows[1] ?? '', new RegExp(`^${cloud.id}\\s+Cloud\\s+2\\s+\\+966500000123\\s+cloud\\s+`));

  const updated = await ok([
    'channel', 'update', sandbox.id, '--name', 'Renamed', '--whatsapp-webhook-url', 'http://hooks.example.test/wa',
    '--webhook-secret', '0123456789abcdef0123',
  ]); // prettier-ignore
  assert.equal(updated.name, 'Renamed');
  assert.equal(updated.whatsAppWebhookUrl, 'http://hooks.example.test/wa');
  assert.equal(updated.hasWebhookSecret, true);
  assert.ok(!JSON.stringify(updated).includes('0123456789abcdef0123'));
  assert.equal(updated.type, 3, 'options left out stay as they are');

  const cleared = await ok(['channel', 'update', sandbox.id, '--whatsapp-webhook-url', '']);
  assert.equal(cleared.whatsAppWebhookUrl, null, '"" clears a nullable setting');
  assert.equal(cleared.name, 'Renamed');

  const nothing = await wasl(['channel', 'update', sandbox.id]);
  assert.equal(nothing.code, 2);
  assert.match(nothing.stderr, /needs at least one option/);
});

test('an API validation error: exit 1, the envelope readably on stderr', async () => {
  const r = await wasl(['workspace', 'create', '--name', 'x', '--default-region', 'Saudi']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^wasl: Your request is not valid! \(HTTP 400, Wasl:ValidationFailed\)\n {2}- defaultRegion: /);
  assert.ok(!r.stderr.includes('Usage:'), 'not a usage error');

  const channel = await wasl(['channel', 'create', '--workspace', 'not-a-uuid', '--name', 'x', '--type', 'Fax']);
  assert.equal(channel.code, 1);
  assert.match(channel.stderr, /HTTP 400, Wasl:ValidationFailed/);
});

test('a wrong admin token: exit 1 with the 401 message', async () => {
  const r = await wasl(['workspace', 'list'], { WASL_ADMIN_TOKEN: 'wrong-token' });
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /WASL_ADMIN_TOKEN.*\(HTTP 401, Wasl:Unauthorized\)/);
});

test('a missing token, an unknown command or a bad option: usage on stderr, exit 2', async () => {
  const noToken = await wasl(['workspace', 'list'], { WASL_ADMIN_TOKEN: undefined });
  assert.equal(noToken.code, 2);
  assert.match(noToken.stderr, /WASL_ADMIN_TOKEN is not set/);
  assert.match(noToken.stderr, /Usage: wasl workspace list/);

  const unknown = await wasl(['workspace', 'destroy']);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "workspace destroy"/);
  assert.match(unknown.stderr, /Usage: wasl workspace <create\|list>/);

  const unknownGroup = await wasl(['sandbox', 'inbound']);
  assert.equal(unknownGroup.code, 2);
  assert.match(unknownGroup.stderr, /unknown command "sandbox"[\s\S]*Usage: wasl <command>/);

  const badOption = await wasl(['workspace', 'create', '--name', 'x', '--colour', 'red']);
  assert.equal(badOption.code, 2);
  assert.match(badOption.stderr, /Unknown option '--colour'/);

  const missingOption = await wasl(['channel', 'create', '--workspace', 'w']);
  assert.equal(missingOption.code, 2);
  assert.match(missingOption.stderr, /needs --name, --type/);

  const noId = await wasl(['service-account', 'rotate']);
  assert.equal(noId.code, 2);
  assert.match(noId.stderr, /needs exactly one ID/);
});

test('--help prints usage on stdout with exit 0, without a token', async () => {
  const all = await wasl(['--help'], { WASL_ADMIN_TOKEN: undefined });
  assert.equal(all.code, 0);
  for (const line of ['workspace create --name N', 'service-account disable ID', 'user add --workspace ID', 'channel update ID']) {
    assert.ok(all.stdout.includes(line), line);
  }
  const one = await wasl(['channel', 'update', '--help'], { WASL_ADMIN_TOKEN: undefined });
  assert.equal(one.code, 0);
  assert.match(one.stdout, /^Usage: wasl channel update ID \[options\]/);
  assert.match(one.stdout, /--post-call-webhook-url U/);
});

test('connection refused: exit 1 naming WASL_URL', async () => {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
  const r = await wasl(['workspace', 'list'], { WASL_URL: `http://127.0.0.1:${port}` });
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`http://127\\.0\\.0\\.1:${port} \\(WASL_URL\\): connection refused`));
});
