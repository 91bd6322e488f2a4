import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { sql } from 'kysely';
import { assertError } from '../../../test/helpers/assert.js';
import { build, json } from '../../../test/helpers/build.js';
import { startFakeGraph, type GraphTemplate } from '../../../test/helpers/fake-graph.js';
import { type Json } from '../../../test/helpers/conversations.js';
import { SANDBOX_TEMPLATES } from '../../providers/whatsapp/sandbox.js';

/** The template catalogue's admin API (add, list, sync) and the periodic sync of Cloud API channels. */

const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true' });
const worker = await h.worker({ pollMs: 60_000 });
const MISSING = '01890000-0000-7000-8000-000000000000';
const HOUR = 3_600_000;
const TEMPLATES = (id: string) => `/admin/v1/channels/${id}/templates`;

async function channel(whatsApp: Json = { provider: 'sandbox' }, type = 2): Promise<Json> {
  const ws = await h.workspace();
  const res = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'WhatsApp', type, phoneNumber: '+966500000001', ...(type !== 1 && { whatsApp }) });
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}

const cloudSettings = (graph: { baseUrl: string; token: string }, extra: Json = {}) => ({
  provider: 'cloud',
  phoneNumberId: '109876543210',
  businessAccountId: 'WABA-1',
  accessToken: graph.token,
  graphBaseUrl: graph.baseUrl,
  ...extra,
});

async function ok(method: 'GET' | 'POST', url: string, body?: unknown): Promise<Json> {
  const res = await h.admin(method, url, body);
  assert.equal(res.statusCode, 200, `${method} ${url}: ${res.body}`);
  return json(res);
}

const graphTemplate = (name: string, language = 'en', status = 'APPROVED'): GraphTemplate => ({
  name,
  language,
  status,
  category: 'UTILITY',
  components: [{ type: 'BODY', text: `${name}: hello {{1}}`, example: { body_text: [['Sara']] } }],
});

const ORDER_SHIPPED = {
  name: 'order_shipped',
  language: 'en',
  category: 'UTILITY',
  components: [
    { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://cdn.example.com/parcel.png'] } },
    { type: 'BODY', text: 'Hi {{1}}, your order {{2}} is on its way.', example: { body_text: [['Sara', 'ORD-5123']] } },
    { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Track order', url: 'https://example.com/orders/{{1}}' }] },
  ],
};

test('a sandbox channel starts with the built-in catalogue (one template per §3.4 form); the list pages and sorts', async () => {
  const ch = await channel();
  const list = await ok('GET', TEMPLATES(ch.id));
  assert.equal(list.totalCount, SANDBOX_TEMPLATES.length);
  const names = SANDBOX_TEMPLATES.map((t) => `${t.name}/${t.language}`).sort();
  assert.deepEqual(list.items.map((t: Json) => `${t.name}/${t.language}`), names, 'by name, then language');
  for (const t of list.items) {
    assert.deepEqual([t.channelId, t.source, t.status], [ch.id, 'sandbox', 'APPROVED']);
    assert.deepEqual(t.components, SANDBOX_TEMPLATES.find((s) => s.name === t.name)!.components, "Meta's definition as given");
  }
  const page = await ok('GET', `${TEMPLATES(ch.id)}?SkipCount=1&MaxResultCount=2&Sorting=Name DESC`);
  assert.equal(page.totalCount, SANDBOX_TEMPLATES.length);
  assert.deepEqual(page.items.map((t: Json) => t.name), [...names].reverse().slice(1, 3).map((n) => n.split('/')[0]));
  assertError(await h.admin('GET', `${TEMPLATES(ch.id)}?Sorting=Body ASC`), 400, 'Wasl:ValidationFailed', ['Sorting']);
  // Seeded once: a second look changes nothing.
  assert.deepEqual((await ok('GET', TEMPLATES(ch.id))).items, list.items);
});

test('admin add: Meta\'s definition → the template (APPROVED unless told); the same name and language replaces it', async () => {
  const ch = await channel();
  const added = await ok('POST', TEMPLATES(ch.id), ORDER_SHIPPED);
  assert.match(added.id, /^[0-9a-f-]{36}$/);
  assert.deepEqual([added.channelId, added.name, added.language, added.category, added.status, added.source], [ch.id, 'order_shipped', 'en', 'UTILITY', 'APPROVED', 'admin']);
  assert.deepEqual(added.components, ORDER_SHIPPED.components);
  assert.ok(added.creationTime && added.lastModificationTime);

  h.clock.advance(1000);
  const replaced = await ok('POST', TEMPLATES(ch.id), { ...ORDER_SHIPPED, status: 'PAUSED', components: [{ type: 'BODY', text: 'Shipped!' }] });
  assert.equal(replaced.id, added.id, 'the same entry');
  assert.deepEqual([replaced.status, replaced.components, replaced.creationTime], ['PAUSED', [{ type: 'BODY', text: 'Shipped!' }], added.creationTime]);
  assert.ok(replaced.lastModificationTime > added.lastModificationTime);

  const { category: _, ...rest } = ORDER_SHIPPED;
  const other = await ok('POST', TEMPLATES(ch.id), { ...rest, language: 'ar', Category: 'MARKETING' });
  assert.notEqual(other.id, added.id, 'another language is another entry');
  assert.equal(other.category, 'MARKETING', 'names in any casing');
  const list = await ok('GET', TEMPLATES(ch.id));
  assert.equal(list.totalCount, SANDBOX_TEMPLATES.length + 1, 'the built-in order_shipped/en was replaced, order_shipped/ar added');
  assert.deepEqual(list.items.filter((t: Json) => t.name === 'order_shipped').map((t: Json) => [t.language, t.source]), [['ar', 'admin'], ['en', 'admin']]);
});

test('admin add: a definition Meta would refuse → 400 naming the member, nothing stored', async () => {
  const ch = await channel();
  const body = (text = 'Hello {{1}}') => ({ type: 'BODY', text });
  const cases: [string, Json, string[]][] = [
    ['name with capitals', { name: 'Order-Update' }, ['name']],
    ['no name', { name: undefined }, ['name']],
    ['bad language', { language: 'english!' }, ['language']],
    ['unknown category', { category: 'PROMO' }, ['category']],
    ['no components', { components: [] }, ['components']],
    ['no BODY', { components: [{ type: 'FOOTER', text: 'x' }] }, ['components']],
    ['BODY without text', { components: [{ type: 'BODY' }] }, ['components[0].text']],
    ['BODY over 1,024', { components: [body('x'.repeat(1025))] }, ['components[0].text']],
    ['variables with a gap', { components: [body('Hi {{1}}, order {{3}}')] }, ['components[0].text']],
    ['variables not from 1', { components: [body('Hi {{2}}')] }, ['components[0].text']],
    ['named variables', { components: [body('Hi {{first_name}}')] }, ['components[0].text']],
    ['two BODYs', { components: [body(), body()] }, ['components[1].type']],
    ['unknown component type', { components: [body(), { type: 'CAROUSEL' }] }, ['components[1].type']],
    ['HEADER without format', { components: [{ type: 'HEADER', text: 'x' }, body()] }, ['components[0].format']],
    ['HEADER of an unknown format', { components: [{ type: 'HEADER', format: 'GIF' }, body()] }, ['components[0].format']],
    ['TEXT header without text', { components: [{ type: 'HEADER', format: 'TEXT' }, body()] }, ['components[0].text']],
    ['TEXT header with two variables', { components: [{ type: 'HEADER', format: 'TEXT', text: '{{1}} {{2}}' }, body()] }, ['components[0].text']],
    ['TEXT header over 60', { components: [{ type: 'HEADER', format: 'TEXT', text: 'x'.repeat(61) }, body()] }, ['components[0].text']],
    ['media header example not URLs', { components: [{ type: 'HEADER', format: 'IMAGE', example: { header_handle: ['4::aW1hZ2U='] } }, body()] }, ['components[0].example.header_handle']],
    ['FOOTER with a variable', { components: [body(), { type: 'FOOTER', text: 'Bye {{1}}' }] }, ['components[1].text']],
    ['BUTTONS without buttons', { components: [body(), { type: 'BUTTONS', buttons: [] }] }, ['components[1].buttons']],
    ['unknown button type', { components: [body(), { type: 'BUTTONS', buttons: [{ type: 'CALL', text: 'x' }] }] }, ['components[1].buttons[0].type']],
    ['URL button without url', { components: [body(), { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Go' }] }] }, ['components[1].buttons[0].url']],
    ['URL with its variable mid-way', { components: [body(), { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Go', url: 'https://x.com/{{1}}/y' }] }] }, ['components[1].buttons[0].url']],
    ['URL with {{2}}', { components: [body(), { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Go', url: 'https://x.com/{{2}}' }] }] }, ['components[1].buttons[0].url']],
    ['PHONE_NUMBER without a number', { components: [body(), { type: 'BUTTONS', buttons: [{ type: 'PHONE_NUMBER', text: 'Call' }] }] }, ['components[1].buttons[0].phone_number']],
    ['QUICK_REPLY without a label', { components: [body(), { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY' }] }] }, ['components[1].buttons[0].text']],
    ['button label over 25', { components: [body(), { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: 'x'.repeat(26) }] }] }, ['components[1].buttons[0].text']],
    ['unknown status', { status: 'LIVE' }, ['status']],
  ];
  for (const [what, change, members] of cases) {
    const res = await h.admin('POST', TEMPLATES(ch.id), { name: 'bad_one', language: 'en', category: 'UTILITY', components: [body()], ...change });
    assert.equal(res.statusCode, 400, `${what}: ${res.body}`);
    assertError(res, 400, 'Wasl:ValidationFailed', members);
  }
  const list = await ok('GET', TEMPLATES(ch.id));
  assert.ok(!list.items.some((t: Json) => t.name === 'bad_one'), 'nothing stored');
  // Everything Meta takes: each header format, each button type, numbered variables.
  const full = await ok('POST', TEMPLATES(ch.id), {
    name: 'everything_1',
    language: 'en_US',
    category: 'MARKETING',
    components: [
      { type: 'HEADER', format: 'TEXT', text: 'Hi {{1}}' },
      body('{{1}}, {{2}} and {{1}} again'),
      { type: 'FOOTER', text: 'Bye' },
      {
        type: 'BUTTONS',
        buttons: [
          { type: 'QUICK_REPLY', text: 'Yes' },
          { type: 'URL', text: 'Open', url: 'https://x.com/a/{{1}}' },
          { type: 'PHONE_NUMBER', text: 'Call', phone_number: '+966500000000' },
          { type: 'COPY_CODE', example: 'SAVE10' },
        ],
      },
    ],
  });
  assert.equal(full.components.length, 4);
});

test('unknown channel → 404 and a channel without WhatsApp → 422 on every catalogue route; the admin token is required', async () => {
  const voice = await channel(undefined, 1);
  for (const [method, url, body] of [
    ['GET', TEMPLATES(MISSING), undefined],
    ['POST', TEMPLATES(MISSING), ORDER_SHIPPED],
    ['POST', `${TEMPLATES(MISSING)}/sync`, undefined],
  ] as const) {
    assertError(await h.admin(method, url, body), 404, 'Wasl:Channel:NotFound');
    assertError(await h.admin(method, url.replace(MISSING, voice.id), body), 422, 'Wasl:Channel:NoWhatsApp');
    const anonymous = await h.app.inject({ method, url, ...(body && { payload: body }) });
    assertError(anonymous, 401, 'Wasl:Unauthorized');
    const ws = await h.workspace();
    assertError(await ws.api(method, url, body), 401, 'Wasl:Unauthorized');
  }
});

test('sync a Cloud API channel: every page of message_templates replaces the synced entries; admin entries stay; counts', async () => {
  const templates = Array.from({ length: 130 }, (_, i) => graphTemplate(`promo_${String(i).padStart(3, '0')}`));
  templates.push(graphTemplate('promo_000', 'ar', 'PENDING'));
  const graph = await startFakeGraph({ templates });
  const ch = await channel(cloudSettings(graph));
  const mine = await ok('POST', TEMPLATES(ch.id), { ...ORDER_SHIPPED, name: 'local_only' });
  assert.equal((await ok('GET', TEMPLATES(ch.id))).totalCount, 1, 'a Cloud API channel starts empty');

  const first = await ok('POST', `${TEMPLATES(ch.id)}/sync`);
  assert.deepEqual([first.channelId, first.provider, first.fetched, first.added, first.updated, first.removed], [ch.id, 'cloud', 131, 131, 0, 0]);
  assert.equal(Date.parse(first.nextSyncAt) - Date.parse(first.syncedAt), 6 * HOUR);
  const calls = graph.requests.filter((r) => r.path.startsWith('WABA-1/message_templates'));
  assert.equal(calls.length, 2, 'two pages of 100');
  assert.equal(calls[0]!.headers.authorization, `Bearer ${graph.token}`);
  assert.match(calls[1]!.path, /after=100/);
  const list = await ok('GET', `${TEMPLATES(ch.id)}?MaxResultCount=1000`);
  assert.equal(list.totalCount, 132);
  const pending = list.items.find((t: Json) => t.name === 'promo_000' && t.language === 'ar');
  assert.deepEqual([pending.status, pending.source, pending.components], ['PENDING', 'sync', templates.at(-1)!.components]);
  assert.equal(list.items.find((t: Json) => t.id === mine.id).source, 'admin');

  // Meta's catalogue changes: one gone, one changed, one new, one the admin had added locally.
  templates.splice(0, templates.length, graphTemplate('promo_001', 'en', 'PAUSED'), graphTemplate('promo_new'), { ...graphTemplate('local_only'), components: [{ type: 'BODY', text: "Meta's" }] });
  const second = await ok('POST', `${TEMPLATES(ch.id)}/sync`);
  assert.deepEqual([second.fetched, second.added, second.updated, second.removed], [3, 1, 2, 130]);
  const after = await ok('GET', TEMPLATES(ch.id));
  assert.deepEqual(after.items.map((t: Json) => [t.name, t.status, t.source]), [['local_only', 'APPROVED', 'sync'], ['promo_001', 'PAUSED', 'sync'], ['promo_new', 'APPROVED', 'sync']]);
  assert.equal(after.items[0].id, mine.id, "Meta's version replaced the admin's entry of the same name and language");
  await graph.close();
});

test('sync refusals: no businessAccountId → 422; Meta refuses (wrong token) or cannot be reached → 502 naming the code; the catalogue unchanged', async () => {
  const graph = await startFakeGraph({ templates: [graphTemplate('welcome')] });
  const noWaba = await channel(cloudSettings(graph, { businessAccountId: undefined }));
  assertError(await h.admin('POST', `${TEMPLATES(noWaba.id)}/sync`), 422, 'Wasl:Channel:NoBusinessAccount');

  const ch = await channel(cloudSettings(graph));
  await ok('POST', `${TEMPLATES(ch.id)}/sync`);
  assert.equal((await h.admin('PATCH', `/admin/v1/channels/${ch.id}`, { whatsApp: { accessToken: 'EAAG-revoked' } })).statusCode, 200);
  const refused = await h.admin('POST', `${TEMPLATES(ch.id)}/sync`);
  assertError(refused, 502, 'Wasl:Template:SyncFailed');
  assert.equal(json(refused).error.data.providerCode, 190);
  assert.match(json(refused).error.message, /Invalid OAuth access token.*190/);

  const port = await closedPort();
  assert.equal((await h.admin('PATCH', `/admin/v1/channels/${ch.id}`, { whatsApp: { accessToken: graph.token, graphBaseUrl: `http://127.0.0.1:${port}/v21.0` } })).statusCode, 200);
  const down = await h.admin('POST', `${TEMPLATES(ch.id)}/sync`);
  assertError(down, 502, 'Wasl:Template:SyncFailed');
  assert.equal(json(down).error.data.providerCode, 'transport');
  assert.deepEqual((await ok('GET', TEMPLATES(ch.id))).items.map((t: Json) => t.name), ['welcome'], 'unchanged');
  await graph.close();
});

test('sandbox sync restores the built-in catalogue; templates the admin added under other names stay', async () => {
  const ch = await channel();
  await ok('POST', TEMPLATES(ch.id), { name: 'hello_world', language: 'en_US', category: 'UTILITY', components: [{ type: 'BODY', text: 'Changed' }] });
  await ok('POST', TEMPLATES(ch.id), { ...ORDER_SHIPPED, name: 'my_own' });
  const synced = await ok('POST', `${TEMPLATES(ch.id)}/sync`);
  assert.deepEqual([synced.provider, synced.fetched, synced.added, synced.updated, synced.removed, synced.nextSyncAt], ['sandbox', SANDBOX_TEMPLATES.length, 0, SANDBOX_TEMPLATES.length, 0, null]);
  const list = await ok('GET', TEMPLATES(ch.id));
  assert.deepEqual(list.items.find((t: Json) => t.name === 'hello_world').components, [{ type: 'BODY', text: 'Hello World' }]);
  assert.equal(list.items.find((t: Json) => t.name === 'my_own').source, 'admin');
});

const syncJobs = (channelId: string) =>
  h.store.db
    .selectFrom('jobs')
    .select(['status', 'run_at', 'attempts', 'last_error'])
    .where('name', '=', 'whatsapp.templates.sync')
    .where(sql<boolean>`payload->>'channelId' = ${channelId}`)
    .orderBy('id')
    .execute();

test('periodic sync: every 6 hours once a Cloud API channel has synced; a manual sync moves the schedule; a refusal waits for the next round; stops when the channel leaves the Cloud API', async () => {
  const templates = [graphTemplate('welcome')];
  const graph = await startFakeGraph({ templates });
  const ch = await channel(cloudSettings(graph));
  const fetches = () => graph.requests.filter((r) => r.path.startsWith('WABA-1/message_templates')).length;
  assert.equal((await syncJobs(ch.id)).length, 0, 'nothing scheduled before the first sync');

  await ok('POST', `${TEMPLATES(ch.id)}/sync`);
  assert.equal(fetches(), 1);
  h.clock.advance(6 * HOUR - 1000);
  await worker.drain();
  assert.equal(fetches(), 1, 'not before 6 hours');
  templates.push(graphTemplate('added_at_meta'));
  h.clock.advance(1000);
  await worker.drain();
  assert.equal(fetches(), 2, 'synced at 6 hours');
  assert.deepEqual((await ok('GET', TEMPLATES(ch.id))).items.map((t: Json) => t.name), ['added_at_meta', 'welcome']);

  // A manual sync 1 hour later: the next periodic one is 6 hours after it, not 5.
  h.clock.advance(HOUR);
  await ok('POST', `${TEMPLATES(ch.id)}/sync`);
  assert.equal(fetches(), 3);
  h.clock.advance(5 * HOUR);
  await worker.drain();
  assert.equal(fetches(), 3, 'the replaced run did nothing');
  h.clock.advance(HOUR);
  await worker.drain();
  assert.equal(fetches(), 4);

  // Meta refuses (a revoked token): no retry storm; recorded, tried again in 6 hours.
  assert.equal((await h.admin('PATCH', `/admin/v1/channels/${ch.id}`, { whatsApp: { accessToken: 'EAAG-revoked' } })).statusCode, 200);
  h.clock.advance(6 * HOUR);
  await worker.drain();
  assert.equal(fetches(), 5);
  const state = await h.store.db.withTables<{ whatsapp_template_syncs: { channel_id: string; last_error: string | null } }>().selectFrom('whatsapp_template_syncs').selectAll().where('channel_id', '=', ch.id).executeTakeFirstOrThrow();
  assert.match(String(state.last_error), /Invalid OAuth access token/);
  assert.equal((await h.admin('PATCH', `/admin/v1/channels/${ch.id}`, { whatsApp: { accessToken: graph.token } })).statusCode, 200);
  h.clock.advance(6 * HOUR);
  await worker.drain();
  assert.equal(fetches(), 6, 'back on schedule once the token is fixed');

  // Meta unreachable: retried soon, a few times, then the next round.
  const port = await closedPort();
  assert.equal((await h.admin('PATCH', `/admin/v1/channels/${ch.id}`, { whatsApp: { graphBaseUrl: `http://127.0.0.1:${port}/v21.0` } })).statusCode, 200);
  h.clock.advance(6 * HOUR);
  for (let i = 0; i < 6; i++) {
    await worker.drain();
    h.clock.advance(30_000);
  }
  const jobs = await syncJobs(ch.id);
  const failed = jobs.at(-2)!;
  assert.deepEqual([failed.status, failed.attempts], ['done', 4], 'four attempts, then given up for this round');
  assert.equal(jobs.at(-1)!.status, 'pending', 'the next round is queued');

  // The channel leaves the Cloud API: the next run does nothing and queues nothing.
  assert.equal((await h.admin('PATCH', `/admin/v1/channels/${ch.id}`, { whatsApp: { provider: 'sandbox' } })).statusCode, 200);
  h.clock.advance(6 * HOUR);
  await worker.drain();
  assert.deepEqual((await syncJobs(ch.id)).filter((j) => j.status !== 'done'), [], 'nothing queued any more');
  await graph.close();
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
