import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { promisify } from 'node:util';
import type { AddressInfo } from 'node:net';
import { createHmac } from 'node:crypto';
import { ADMIN_TOKEN, build, getToken, json, type Harness } from './helpers/build.js';
import { startReceiver } from './helpers/receiver.js';

const listening = async (harness: Harness) => {
  await harness.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(harness.app.server.address() as AddressInfo).port}`;
};
const h = await build();
const URL_ = await listening(h);
/**
 * A second server whose webhook URLs may point at 127.0.0.1 (the test receivers), with a job
 * worker that sends only when drained, and two attempts per delivery (0 s, then 5 s later).
 */
const hooks = await build({ WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_SCHEDULE: '0,5s' });
const HOOKS_URL = await listening(hooks);
const worker = await hooks.worker({ pollMs: 60_000 });
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
async function ok(args: string[], env: Record<string, string | undefined> = {}) {
  const r = await wasl(args, env);
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
  assert.match(unknown.stderr, /Usage: wasl workspace <create\|list\|update>/);

  const unknownGroup = await wasl(['campaign', 'add']);
  assert.equal(unknownGroup.code, 2);
  assert.match(unknownGroup.stderr, /unknown command "campaign"[\s\S]*Usage: wasl <command>/);

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
  const lines = [
    'workspace create --name N', 'workspace update ID [options]', 'service-account disable ID', 'user add --workspace ID', 'channel update ID',
    'webhook deliveries [options]', 'webhook delivery ID', 'webhook replay ID', 'webhook recover --since ISO [--workspace ID]',
    'webhook targets --workspace ID', 'webhook enable TARGET_ID', 'webhook test CHANNEL_ID',
  ]; // prettier-ignore
  for (const line of lines) {
    assert.ok(all.stdout.includes(line), line);
  }
  const one = await wasl(['channel', 'update', '--help'], { WASL_ADMIN_TOKEN: undefined });
  assert.equal(one.code, 0);
  assert.match(one.stdout, /^Usage: wasl channel update ID \[options\]/);
  assert.match(one.stdout, /--post-call-webhook-url U/);
  const group = await wasl(['webhook', '--help'], { WASL_ADMIN_TOKEN: undefined });
  assert.equal(group.code, 0);
  assert.match(group.stdout, /^Usage: wasl webhook <deliveries\|delivery\|replay\|recover\|targets\|enable\|test>/);
  const deliveries = await wasl(['webhook', 'deliveries', '-h'], { WASL_ADMIN_TOKEN: undefined });
  assert.equal(deliveries.code, 0);
  for (const option of ['--workspace ID', '--channel ID', '--status S', '--event-type T', '--from ISO', '--to ISO', '--limit N']) {
    assert.ok(deliveries.stdout.includes(option), option);
  }
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

const onHooks = { WASL_URL: HOOKS_URL };
const okHooks = (args: string[]) => ok(args, onHooks);
const hmac = (secret: string, body: string) => createHmac('sha256', secret).update(body).digest('hex');

/** A workspace and a channel on the hooks server, made with the CLI. */
async function hookedChannel(settings: string[], ws?: { id: string }) {
  const workspace = ws ?? (await okHooks(['workspace', 'create', '--name', `cli-hooks-${Math.random().toString(36).slice(2)}`]));
  const channel = await okHooks(['channel', 'create', '--workspace', workspace.id, '--name', 'Hooks', '--type', '3', ...settings]);
  return { ws: workspace as { id: string }, channel: channel as { id: string } };
}

interface Delivery {
  id: string;
  url: string;
  status: string;
}

test('workspace update: rename, set and clear the events webhook URL and its secret', async () => {
  const receiver = await startReceiver();
  const ws = await okHooks(['workspace', 'create', '--name', 'cli-ws-update']);
  const secret = 'workspace-secret-0123';
  const updated = await okHooks(['workspace', 'update', ws.id, '--name', 'Renamed', '--events-webhook-url', receiver.url('/events'), '--webhook-secret', secret]);
  assert.deepEqual(
    [updated.id, updated.name, updated.eventsWebhookUrl, updated.hasWebhookSecret, updated.defaultRegion],
    [ws.id, 'Renamed', receiver.url('/events'), true, 'SA'],
  );
  assert.ok(!JSON.stringify(updated).includes(secret), 'the secret is never printed back');

  // The events URL and the secret are really in use: an event reaches it, signed with that secret.
  const emit = (payload: object) =>
    hooks.store.db.transaction().execute((trx) => hooks.app.container.webhooks.emit(trx, { workspaceId: ws.id, type: 'AssignedUserIdChanged', payload }));
  await emit({ n: 1 });
  await worker.drain();
  const [got] = await receiver.waitFor(1);
  assert.deepEqual(JSON.parse(got!.body), { eventType: 'AssignedUserIdChanged', data: { n: 1 } });
  assert.equal(got!.headers['x-voxa-signature'], hmac(secret, got!.body));

  const nameOnly = await okHooks(['workspace', 'update', ws.id, '--name', 'Renamed again']);
  assert.equal(nameOnly.eventsWebhookUrl, receiver.url('/events'), 'options left out stay as they are');
  assert.equal(nameOnly.hasWebhookSecret, true);

  const cleared = await okHooks(['workspace', 'update', ws.id, '--events-webhook-url', '', '--webhook-secret', '']);
  assert.deepEqual([cleared.name, cleared.eventsWebhookUrl, cleared.hasWebhookSecret], ['Renamed again', null, false], '"" clears to null');
  await emit({ n: 2 });
  await worker.drain();
  assert.equal(receiver.received.length, 1, 'nothing goes to a cleared events URL');

  const table = await wasl(['workspace', 'update', ws.id, '--name', 'Tabled', '--table'], onHooks);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, new RegExp(`^id\\s+${ws.id}\\nname\\s+Tabled\\n[\\s\\S]*\\neventsWebhookUrl\\s+-\\nhasWebhookSecret\\s+false\\n$`));

  const nothing = await wasl(['workspace', 'update', ws.id], onHooks);
  assert.equal(nothing.code, 2);
  assert.match(nothing.stderr, /workspace update needs at least one option to change[\s\S]*Usage: wasl workspace update ID/);

  const shortSecret = await wasl(['workspace', 'update', ws.id, '--webhook-secret', 'short'], onHooks);
  assert.equal(shortSecret.code, 1);
  assert.match(shortSecret.stderr, /\(HTTP 400, Wasl:ValidationFailed\)\n {2}- webhookSecret: /);

  // The main server does not allow private addresses: the API refuses a loopback URL.
  const mine = await ok(['workspace', 'create', '--name', 'cli-ws-private']);
  const loopback = await wasl(['workspace', 'update', mine.id, '--events-webhook-url', 'http://127.0.0.1:9/hook']);
  assert.equal(loopback.code, 1);
  assert.match(loopback.stderr, /HTTP 400[\s\S]*eventsWebhookUrl/);
  assert.equal((await ok(['workspace', 'list'])).items.find((w: { id: string }) => w.id === mine.id).eventsWebhookUrl, null);
});

test("webhook test: the channel's receiver gets a signed Test event; a channel without URLs is a 422", async () => {
  const receiver = await startReceiver();
  const secret = 'channel-secret-0123456';
  const { channel } = await hookedChannel(['--whatsapp-webhook-url', receiver.url('/wa'), '--webhook-secret', secret]);
  const sent = await okHooks(['webhook', 'test', channel.id]);
  assert.equal(sent.deliveries.length, 1);
  assert.deepEqual([sent.deliveries[0].url, sent.deliveries[0].status], [receiver.url('/wa'), 'pending']);
  await worker.drain();
  const [got] = await receiver.waitFor(1);
  const body = JSON.parse(got!.body);
  assert.equal(body.eventType, 'Test');
  assert.equal(body.data.channelId, channel.id);
  assert.equal(got!.headers['webhook-id'], sent.deliveries[0].id);
  assert.equal(got!.headers['x-voxa-signature'], hmac(secret, got!.body));

  const table = await wasl(['webhook', 'test', channel.id, '--table'], onHooks);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, new RegExp(`^id\\s+url\\s+status\\n[0-9a-f-]{36}\\s+${receiver.url('/wa')}\\s+pending\\n$`));
  await worker.drain();
  await receiver.waitFor(2);

  const bare = await hookedChannel([]);
  const none = await wasl(['webhook', 'test', bare.channel.id], onHooks);
  assert.equal(none.code, 1);
  assert.equal(none.stdout, '');
  assert.match(none.stderr, /has no whatsAppWebhookUrl or postCallWebhookUrl to test\. \(HTTP 422, Wasl:Channel:NoWebhookUrl\)/);
});

test('webhook deliveries, delivery, replay and recover: a receiver that fails, then is fixed', async () => {
  const receiver = await startReceiver((_r, res) => void res.writeHead(500).end('receiver broke'));
  const a = await hookedChannel(['--whatsapp-webhook-url', receiver.url('/wa'), '--post-call-webhook-url', receiver.url('/calls')]);
  const b = await hookedChannel(['--whatsapp-webhook-url', receiver.url('/b')], a.ws);
  const elsewhere = await hookedChannel(['--whatsapp-webhook-url', receiver.url('/elsewhere')]);
  const ws = a.ws.id;
  const since = hooks.clock.now().toISOString();
  const sentA: Delivery[] = (await okHooks(['webhook', 'test', a.channel.id])).deliveries;
  await worker.drain();
  hooks.clock.advance(1000);
  const middle = hooks.clock.now().toISOString();
  const [sentB] = (await okHooks(['webhook', 'test', b.channel.id])).deliveries as Delivery[];
  const [other] = (await okHooks(['webhook', 'test', elsewhere.channel.id])).deliveries as Delivery[];
  await worker.drain();
  await receiver.waitFor(4);

  const list = (...filters: string[]) => okHooks(['webhook', 'deliveries', '--workspace', ws, ...filters]);
  const ids = (page: { items: Delivery[] }) => page.items.map((d) => d.id);
  const all = await list();
  assert.equal(all.totalCount, 3);
  assert.equal(all.items[0].id, sentB!.id, 'newest first');
  assert.deepEqual(ids(all).slice(1).sort(), sentA.map((d) => d.id).sort());
  assert.deepEqual(ids(await list('--channel', b.channel.id)), [sentB!.id]);
  assert.deepEqual(ids(await list('--from', middle)), [sentB!.id]);
  assert.deepEqual(ids(await list('--to', middle)).sort(), sentA.map((d) => d.id).sort());
  assert.equal((await list('--status', 'pending')).totalCount, 3, 'each waits for its second attempt');
  assert.equal((await list('--status', 'failed')).totalCount, 0);
  assert.equal((await list('--event-type', 'Test')).totalCount, 3);
  assert.equal((await list('--event-type', 'Call')).totalCount, 0);
  const limited = await list('--limit', '2');
  assert.deepEqual([limited.totalCount, limited.items.length], [3, 2], '--limit caps the items; totalCount counts them all');
  assert.deepEqual(ids(limited), ids(all).slice(0, 2));

  const table = await wasl(['webhook', 'deliveries', '--workspace', ws, '--table'], onHooks);
  assert.equal(table.code, 0, table.stderr);
  const [header, ...rows] = table.stdout.trimEnd().split('\n');
  assert.match(header ?? '', /^id\s+creationTime\s+eventType\s+status\s+attempts\s+lastStatusCode\s+nextAttemptAt\s+url\s+lastError$/);
  assert.equal(rows.length, 3);
  for (const row of rows) assert.match(row, /^[0-9a-f-]{36}\s+\S+Z\s+Test\s+pending\s+1\s+500\s+\S+Z\s+http:\/\/127\.0\.0\.1:\d+\/\S+\s+HTTP 500$/);

  const waiting = await wasl(['webhook', 'replay', sentB!.id], onHooks);
  assert.equal(waiting.code, 1, 'a delivery waiting for its retry is not replayed');
  assert.match(waiting.stderr, /is already waiting to be sent\. \(HTTP 409, Wasl:WebhookDelivery:Pending\)/);

  hooks.clock.advance(3999);
  await worker.drain();
  assert.equal(receiver.received.length, 4, 'the second attempt waits its 5 s');
  hooks.clock.advance(1001);
  const secondAt = hooks.clock.now().getTime();
  await worker.drain();
  await receiver.waitFor(8);
  assert.equal((await list('--status', 'failed')).totalCount, 3, 'the second attempt was the last');

  const wa = sentA.find((d) => d.url.endsWith('/wa'))!;
  const detail = await okHooks(['webhook', 'delivery', wa.id]);
  assert.deepEqual([detail.id, detail.status, detail.attempts, detail.lastStatusCode, detail.url], [wa.id, 'failed', 2, 500, receiver.url('/wa')]);
  assert.equal(JSON.parse(detail.body).eventType, 'Test');
  assert.equal(detail.attemptLog.length, 2);
  for (const attempt of detail.attemptLog) {
    assert.deepEqual([attempt.statusCode, attempt.error, attempt.responseExcerpt], [500, 'HTTP 500', 'receiver broke']);
    assert.ok(attempt.latencyMs >= 0);
  }
  assert.deepEqual(
    detail.attemptLog.map((x: { attemptedAt: string }) => Date.parse(x.attemptedAt)),
    [Date.parse(detail.creationTime), secondAt],
  );

  const detailTable = await wasl(['webhook', 'delivery', wa.id, '--table'], onHooks);
  assert.equal(detailTable.code, 0, detailTable.stderr);
  const [fields, attempts] = detailTable.stdout.split('\nAttempts:\n');
  assert.match(fields ?? '', new RegExp(`^id\\s+${wa.id}\\n[\\s\\S]*\\nstatus\\s+failed\\nattempts\\s+2\\n[\\s\\S]*\\nbody\\s+\\{"eventType":"Test"`));
  assert.ok(!fields?.includes('attemptLog'), 'the attempts are a table of their own');
  const [attemptHeader, ...attemptRows] = (attempts ?? '').trimEnd().split('\n');
  assert.match(attemptHeader ?? '', /^attemptedAt\s+statusCode\s+latencyMs\s+error\s+responseExcerpt$/);
  assert.equal(attemptRows.length, 2);
  for (const row of attemptRows) assert.match(row, /^\S+Z\s+500\s+\d+\s+HTTP 500\s+receiver broke$/);

  receiver.respond((_r, res) => void res.end('fixed'));
  const before = receiver.received.length;
  const replayed = await okHooks(['webhook', 'replay', wa.id]);
  assert.deepEqual([replayed.id, replayed.status], [wa.id, 'pending']);
  await worker.drain();
  const resent = (await receiver.waitFor(before + 1))[before]!;
  assert.equal(resent.headers['webhook-id'], wa.id, 'the same id');
  assert.equal(resent.body, detail.body, 'the same body');
  const afterReplay = await okHooks(['webhook', 'delivery', wa.id]);
  assert.equal(afterReplay.status, 'delivered');
  assert.deepEqual(afterReplay.attemptLog.map((x: { statusCode: number }) => x.statusCode), [500, 500, 200]);
  assert.equal(afterReplay.attemptLog[2].responseExcerpt, 'fixed');

  assert.deepEqual(await okHooks(['webhook', 'recover', '--since', middle, '--workspace', ws]), { recovered: 1 }, 'only what failed since --since');
  assert.deepEqual(await okHooks(['webhook', 'recover', '--since', since, '--workspace', ws]), { recovered: 1 }, 'the other one, now pending again, is left');
  await worker.drain();
  await receiver.waitFor(before + 3);
  assert.deepEqual(
    new Set(receiver.received.slice(before + 1).map((r) => r.headers['webhook-id'])),
    new Set([sentB!.id, sentA.find((d) => d.url.endsWith('/calls'))!.id]),
  );
  assert.equal((await list('--status', 'delivered')).totalCount, 3);
  assert.deepEqual(await okHooks(['webhook', 'recover', '--since', since, '--workspace', ws]), { recovered: 0 });
  assert.equal((await okHooks(['webhook', 'delivery', other!.id])).status, 'failed', "another workspace's failure is left alone");
});

test('webhook targets and enable: a 410 disables a URL, the operator sees why and enables it', async () => {
  const receiver = await startReceiver((_r, res) => void res.writeHead(410).end());
  const { ws, channel } = await hookedChannel(['--whatsapp-webhook-url', receiver.url('/gone')]);
  await okHooks(['webhook', 'test', channel.id]);
  await worker.drain();
  await receiver.waitFor(1);

  const [target, ...others] = await okHooks(['webhook', 'targets', '--workspace', ws.id]);
  assert.equal(others.length, 0);
  assert.equal(target.url, receiver.url('/gone'));
  assert.ok(target.disabledAt);
  assert.match(target.disabledReason, /410 Gone/);
  const table = await wasl(['webhook', 'targets', '--workspace', ws.id, '--table'], onHooks);
  assert.equal(table.code, 0, table.stderr);
  const [header, row, extra] = table.stdout.trimEnd().split('\n');
  assert.match(header ?? '', /^id\s+url\s+failingSince\s+lastSuccessAt\s+lastFailureAt\s+disabledAt\s+disabledReason$/);
  assert.match(row ?? '', new RegExp(`^${target.id}\\s+${receiver.url('/gone')}\\s+\\S+Z\\s+-\\s+\\S+Z\\s+\\S+Z\\s+the receiver answered 410 Gone`));
  assert.equal(extra, undefined);

  const skipped = await okHooks(['webhook', 'test', channel.id]);
  assert.equal(skipped.deliveries[0].status, 'skipped', 'nothing goes to a disabled URL');
  await worker.drain();
  assert.equal(receiver.received.length, 1);

  receiver.respond((_r, res) => void res.end('back'));
  const enabled = await okHooks(['webhook', 'enable', target.id]);
  assert.deepEqual([enabled.id, enabled.disabledAt, enabled.disabledReason], [target.id, null, null]);
  const sent = await okHooks(['webhook', 'test', channel.id]);
  assert.equal(sent.deliveries[0].status, 'pending');
  await worker.drain();
  await receiver.waitFor(2);
  const [healthy] = await okHooks(['webhook', 'targets', '--workspace', ws.id]);
  assert.equal(healthy.disabledAt, null);
  assert.ok(healthy.lastSuccessAt, 'the URL answered again');

  const unknown = await wasl(['webhook', 'enable', '01890000-0000-7000-8000-000000000000'], onHooks);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /\(HTTP 404, Wasl:WebhookTarget:NotFound\)/);
});

test('webhook commands with bad input: usage errors exit 2, values the API refuses exit 1', async () => {
  const usage = async (args: string[], message: RegExp, usageLine: RegExp) => {
    const r = await wasl(args, onHooks);
    assert.equal(r.code, 2, `wasl ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, message);
    assert.match(r.stderr, usageLine);
  };
  await usage(['webhook', 'recover', '--workspace', '01890000-0000-7000-8000-000000000000'], /webhook recover needs --since/, /Usage: wasl webhook recover --since ISO/);
  await usage(['webhook', 'deliveries', '--limit', '0'], /--limit must be a whole number of at least 1, got "0"/, /Usage: wasl webhook deliveries/);
  await usage(['webhook', 'deliveries', '--limit', 'ten'], /--limit must be a whole number/, /Usage: wasl webhook deliveries/);
  await usage(['webhook', 'delivery'], /webhook delivery needs exactly one ID/, /Usage: wasl webhook delivery ID/);
  await usage(['webhook', 'enable'], /webhook enable needs exactly one TARGET_ID/, /Usage: wasl webhook enable TARGET_ID/);
  await usage(['webhook', 'targets'], /webhook targets needs --workspace/, /Usage: wasl webhook targets --workspace ID/);
  await usage(['webhook', 'purge'], /unknown command "webhook purge"/, /Usage: wasl webhook <deliveries\|/);

  const refused = async (args: string[], member: string) => {
    const r = await wasl(args, onHooks);
    assert.equal(r.code, 1, `wasl ${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`\\(HTTP 400, Wasl:ValidationFailed\\)\\n {2}- ${member}: `));
    assert.ok(!r.stderr.includes('Usage:'), 'not a usage error');
  };
  await refused(['webhook', 'deliveries', '--status', 'lost'], 'status');
  await refused(['webhook', 'deliveries', '--from', 'yesterday'], 'from');
  await refused(['webhook', 'recover', '--since', 'yesterday'], 'since');
  await refused(['webhook', 'delivery', 'not-a-uuid'], 'id');

  const missing = await wasl(['webhook', 'delivery', '01890000-0000-7000-8000-000000000000'], onHooks);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /WebhookDelivery .* was not found\. \(HTTP 404, Wasl:WebhookDelivery:NotFound\)/);
});

test('sandbox inbound: a customer message to a sandbox channel is queued (202, its wamid); a Cloud API channel or a bad number is refused', async () => {
  const ws = await ok(['workspace', 'create', '--name', 'cli-sandbox']);
  const channel = await ok(['channel', 'create', '--workspace', ws.id, '--name', 'Sandbox', '--type', '3']);
  const queued = await ok(['sandbox', 'inbound', channel.id, '--from', '966501234567', '--name', 'Ahmed', '--text', 'hello']);
  assert.match(queued.messageId, /^wamid\.SANDBOXIN/);
  const located = await ok(['sandbox', 'inbound', channel.id, '--from', '966501234567', '--type', 'location', '--latitude', '24.7', '--longitude', '46.6']);
  assert.match(located.messageId, /^wamid\./);
  const bad = await wasl(['sandbox', 'inbound', channel.id, '--from', 'nobody', '--text', 'x']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /from/);
  const missing = await wasl(['sandbox', 'inbound', channel.id, '--text', 'x']);
  assert.equal(missing.code, 2, 'a required option is a usage error');
});

test('sandbox call: a sandbox line receives a call (202, its call id), answered or missed; a bad number is refused', async () => {
  const ws = await ok(['workspace', 'create', '--name', 'cli-calls']);
  const channel = await ok(['channel', 'create', '--workspace', ws.id, '--name', 'Line', '--type', '1']);
  const answered = await ok(['sandbox', 'call', channel.id, '--from', '966501234567', '--duration', '12']);
  assert.match(answered.callId, /^[0-9a-f-]{36}$/);
  const missed = await ok(['sandbox', 'call', channel.id, '--from', '966501234567', '--missed']);
  assert.notEqual(missed.callId, answered.callId);
  const bad = await wasl(['sandbox', 'call', channel.id, '--from', 'nobody']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /from/);
  const wa = await ok(['channel', 'create', '--workspace', ws.id, '--name', 'WA', '--type', '2']);
  const refused = await wasl(['sandbox', 'call', wa.id, '--from', '966501234567']);
  assert.match(refused.stderr, /HTTP 422, Wasl:Channel:NotSandboxVoice/);
});

test('user invite and reset-password: by email or user id, a one-time link; --workspace when the email is in several; disable and enable', async () => {
  const ws = await ok(['workspace', 'create', '--name', 'cli-people']);
  const email = `cli-${Math.random().toString(36).slice(2)}@example.com`;
  const sara = await ok(['user', 'add', '--workspace', ws.id, '--name', 'Sara', '--email', email]);
  const invite = await ok(['user', 'invite', email.toUpperCase()]);
  assert.equal(invite.userId, sara.id);
  assert.equal(invite.purpose, 'invitation');
  assert.match(invite.url, /\/inbox\/welcome#token=[\w-]{43}$/);
  const token = new URL(invite.url).hash.slice('#token='.length);
  const accept = await h.app.inject({ method: 'POST', url: '/v1/auth/password', payload: { token, password: 'a long enough passphrase' } });
  assert.equal(accept.statusCode, 200, accept.body);

  const reset = await ok(['user', 'reset-password', sara.id]);
  assert.equal(reset.purpose, 'password-reset');
  assert.equal(reset.email, email);

  // The same email as a person of another workspace: the CLI asks which.
  const other = await ok(['workspace', 'create', '--name', 'cli-people-2']);
  const twin = await ok(['user', 'add', '--workspace', other.id, '--name', 'Sara', '--email', email]);
  const ambiguous = await wasl(['user', 'invite', email]);
  assert.equal(ambiguous.code, 2);
  assert.match(ambiguous.stderr, /several workspaces .*--workspace/);
  const refused = await wasl(['user', 'invite', email, '--workspace', other.id]);
  assert.equal(refused.code, 1, 'the email signs in to the first workspace already');
  assert.match(refused.stderr, /Wasl:Auth:EmailInUse|signs in to a workspace/);
  assert.equal((await ok(['user', 'reset-password', email, '--workspace', ws.id])).userId, sara.id);
  assert.equal(twin.workspaceId, other.id);

  const unknown = await wasl(['user', 'invite', 'nobody-at-all@example.com']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /No person with email/);
  const bad = await wasl(['user', 'invite', 'neither']);
  assert.equal(bad.code, 2);

  assert.deepEqual(await ok(['user', 'disable', sara.id]), { userId: sara.id, disabled: true });
  const signIn = () => h.app.inject({ method: 'POST', url: '/v1/auth/login', payload: { email, password: 'a long enough passphrase' } });
  assert.equal((await signIn()).statusCode, 401);
  assert.deepEqual(await ok(['user', 'enable', email, '--workspace', ws.id]), { userId: sara.id, disabled: false });
  assert.equal((await signIn()).statusCode, 200);
});
