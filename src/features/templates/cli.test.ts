import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ADMIN_TOKEN, build, json } from '../../../test/helpers/build.js';
import { startFakeGraph } from '../../../test/helpers/fake-graph.js';
import { SANDBOX_TEMPLATES } from '../../providers/whatsapp/sandbox.js';

/** `wasl template add|list|sync`, run as an operator runs them (test/cli.test.ts's way) against a listening server. */

const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true' });
await h.app.listen({ port: 0, host: '127.0.0.1' });
const URL_ = `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'wasl-cli-templates-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function wasl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries({ ...process.env, WASL_URL: URL_, WASL_ADMIN_TOKEN: ADMIN_TOKEN, NODE_TEST_CONTEXT: undefined }).filter((e): e is [string, string] => e[1] !== undefined));
  try {
    const { stdout, stderr } = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], { cwd: ROOT, env });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

async function ok(args: string[]) {
  const r = await wasl(args);
  assert.equal(r.code, 0, `wasl ${args.join(' ')} failed: ${r.stderr}`);
  assert.equal(r.stderr, '');
  return JSON.parse(r.stdout);
}

async function channel(whatsApp: Record<string, unknown> = { provider: 'sandbox' }) {
  const ws = await h.workspace();
  const res = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'WhatsApp', type: 2, phoneNumber: '+966500000001', whatsApp });
  assert.equal(res.statusCode, 200, res.body);
  return json(res).id as string;
}

const DEFINITION = {
  name: 'order_ready',
  language: 'ar',
  category: 'UTILITY',
  components: [{ type: 'BODY', text: 'طلبك {{1}} جاهز.' }, { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'شكرا' }] }],
};

test('template add (--file, --json, --status) → list as JSON and as a table → sync restores a sandbox catalogue', async () => {
  const id = await channel();
  const file = join(dir, 'order_ready.json');
  writeFileSync(file, JSON.stringify(DEFINITION));
  const added = await ok(['template', 'add', '--channel', id, '--file', file]);
  assert.deepEqual([added.channelId, added.name, added.language, added.status, added.source], [id, 'order_ready', 'ar', 'APPROVED', 'admin']);
  assert.deepEqual(added.components, DEFINITION.components);

  const paused = await ok(['template', 'add', '--channel', id, '--json', JSON.stringify({ ...DEFINITION, name: 'hello_world', language: 'en_US' }), '--status', 'PAUSED']);
  assert.deepEqual([paused.name, paused.status], ['hello_world', 'PAUSED']);

  const list = await ok(['template', 'list', '--channel', id]);
  assert.equal(list.totalCount, SANDBOX_TEMPLATES.length + 1);
  assert.equal(list.items.length, list.totalCount);
  const table = await wasl(['template', 'list', '--channel', id, '--table']);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^name\s+language\s+status\s+category\s+source\s+lastModificationTime\s+id$/);
  assert.equal(lines.length, list.totalCount + 1);
  assert.match(lines.find((l) => l.startsWith('hello_world'))!, /^hello_world\s+en_US\s+PAUSED\s+UTILITY\s+admin\s/);

  const synced = await ok(['template', 'sync', '--channel', id]);
  assert.deepEqual([synced.provider, synced.fetched, synced.removed], ['sandbox', SANDBOX_TEMPLATES.length, 0]);
  const after = await ok(['template', 'list', '--channel', id]);
  assert.equal(after.items.find((t: { name: string }) => t.name === 'hello_world').status, 'APPROVED', 'the built-in hello_world is back');
  assert.ok(after.items.some((t: { name: string }) => t.name === 'order_ready'), "the admin's own stays");
});

test('template sync of a Cloud API channel fetches from the Graph API; its failures exit 1 with the API error', async () => {
  const graph = await startFakeGraph({ templates: [{ name: 'welcome', language: 'en', status: 'APPROVED', category: 'MARKETING', components: [{ type: 'BODY', text: 'Welcome!' }] }] });
  const id = await channel({ provider: 'cloud', phoneNumberId: '109876543210', businessAccountId: 'WABA-1', accessToken: graph.token, graphBaseUrl: graph.baseUrl });
  const synced = await ok(['template', 'sync', '--channel', id]);
  assert.deepEqual([synced.provider, synced.fetched, synced.added], ['cloud', 1, 1]);
  assert.match(synced.nextSyncAt, /^\d{4}-/);
  assert.deepEqual((await ok(['template', 'list', '--channel', id])).items.map((t: { name: string; source: string }) => [t.name, t.source]), [['welcome', 'sync']]);

  await h.admin('PATCH', `/admin/v1/channels/${id}`, { whatsApp: { accessToken: 'EAAG-revoked' } });
  const refused = await wasl(['template', 'sync', '--channel', id]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /Invalid OAuth access token.*\(HTTP 502, Wasl:Template:SyncFailed\)/);
  await graph.close();
});

test('template add: usage errors exit 2 before any call; a definition the API refuses exits 1 naming the member', async () => {
  const id = await channel();
  const neither = await wasl(['template', 'add', '--channel', id]);
  assert.equal(neither.code, 2);
  assert.match(neither.stderr, /--file PATH or --json/);
  assert.match(neither.stderr, /Usage/i);
  const both = await wasl(['template', 'add', '--channel', id, '--json', '{}', '--file', 'x.json']);
  assert.equal(both.code, 2);
  const badJson = await wasl(['template', 'add', '--channel', id, '--json', '{name: x}']);
  assert.equal(badJson.code, 2);
  assert.match(badJson.stderr, /not JSON/);
  const noFile = await wasl(['template', 'add', '--channel', id, '--file', join(dir, 'missing.json')]);
  assert.equal(noFile.code, 2);
  assert.match(noFile.stderr, /ENOENT/);
  const noChannel = await wasl(['template', 'list']);
  assert.equal(noChannel.code, 2);
  assert.match(noChannel.stderr, /--channel/);

  const refused = await wasl(['template', 'add', '--channel', id, '--json', JSON.stringify({ ...DEFINITION, components: [{ type: 'BODY', text: 'Hi {{2}}' }] })]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /components\[0\]\.text/);
  const missing = await wasl(['template', 'list', '--channel', '01890000-0000-7000-8000-000000000000']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /HTTP 404, Wasl:Channel:NotFound/);
});
