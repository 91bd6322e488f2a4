import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertError } from '../../../test/helpers/assert.js';
import { authBattery } from '../../../test/helpers/auth-cases.js';
import { build, json, type Workspace } from '../../../test/helpers/build.js';
import { signIn } from '../../../test/helpers/people.js';

/** `GET /v1/whatsapp/service-account/templates`: a channel's catalogue for its workspace's senders (the inbox's template picker). */

const h = await build();
const LIST = '/v1/whatsapp/service-account/templates';
const MISSING = '01890000-0000-7000-8000-000000000000';
type Entry = Record<string, unknown> & { name: string; language: string };

async function sandboxChannel(ws: Workspace, phoneNumber = '+966500000001') {
  const res = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'WhatsApp', type: 2, phoneNumber });
  assert.equal(res.statusCode, 200, res.body);
  return json(res).id as string;
}

const byName = (items: Entry[], name: string) => items.find((t) => t.name === name)!;

test("a sandbox channel's catalogue: every built-in template, by name then language, each part read from its definition", async () => {
  const ws = await h.workspace();
  const channelId = await sandboxChannel(ws);
  const res = await ws.api('GET', `${LIST}?channelId=${channelId}`);
  assert.equal(res.statusCode, 200, res.body);
  const page = json(res) as { totalCount: number; items: Entry[] };
  assert.equal(page.totalCount, 6);
  assert.deepEqual(
    page.items.map((t) => t.name),
    ['appointment_reminder', 'hello_world', 'invoice_delivery', 'order_shipped', 'order_update', 'product_launch'],
  );
  for (const t of page.items) {
    assert.deepEqual(Object.keys(t).sort(), ['body', 'bodyValues', 'bodyVariables', 'buttons', 'category', 'footer', 'header', 'id', 'language', 'lastModificationTime', 'name', 'sendable', 'status'], 'no operator fields (source, channelId, components)');
  }
  assert.deepEqual(byName(page.items, 'hello_world'), {
    ...byName(page.items, 'hello_world'),
    language: 'en_US',
    status: 'APPROVED',
    category: 'UTILITY',
    header: null,
    body: 'Hello World',
    bodyVariables: [],
    bodyValues: 0,
    footer: null,
    buttons: [],
    sendable: true,
  });
  const invoice = byName(page.items, 'invoice_delivery');
  assert.deepEqual([invoice.language, invoice.body, invoice.bodyValues, invoice.bodyVariables], ['ar', 'مرحبا {{1}}، فاتورتك بمبلغ {{2}} مرفقة.', 2, ['1', '2']]);
  assert.deepEqual(invoice.header, { format: 'DOCUMENT', text: null, hasExample: true, needsValue: false });
  assert.deepEqual(invoice.buttons, [
    { index: 0, type: 'URL', text: 'عرض الفاتورة', url: 'https://example.com/invoices/{{1}}', subType: 'url', needsValue: true },
    { index: 1, type: 'QUICK_REPLY', text: 'تم الدفع', url: null, subType: 'quick_reply', needsValue: false },
  ]);
  assert.deepEqual(byName(page.items, 'product_launch').header, { format: 'VIDEO', text: null, hasExample: false, needsValue: true }, 'no example: the video must be given');
  const reminder = byName(page.items, 'appointment_reminder');
  assert.deepEqual(reminder.header, { format: 'TEXT', text: 'Reminder for {{1}}', hasExample: false, needsValue: true });
  assert.equal(reminder.footer, 'Wasl Clinic');
  assert.deepEqual(
    (reminder.buttons as { type: string; subType: string | null; needsValue: boolean }[]).map((b) => [b.type, b.subType, b.needsValue]),
    [['QUICK_REPLY', 'quick_reply', false], ['QUICK_REPLY', 'quick_reply', false], ['PHONE_NUMBER', null, false]],
  );
});

test('entries the admin API adds show with their status; a LOCATION header or a COPY_CODE button is not sendable; paging and sorting', async () => {
  const ws = await h.workspace();
  const channelId = await sandboxChannel(ws);
  const add = async (template: Record<string, unknown>) => {
    const res = await h.admin('POST', `/admin/v1/channels/${channelId}/templates`, { category: 'MARKETING', ...template });
    assert.equal(res.statusCode, 200, res.body);
  };
  await add({ name: 'a_pending', language: 'en', status: 'PENDING', components: [{ type: 'BODY', text: 'Soon {{1}}' }] });
  await add({ name: 'a_where', language: 'en', components: [{ type: 'HEADER', format: 'LOCATION' }, { type: 'BODY', text: 'Here' }] });
  await add({ name: 'a_code', language: 'en', components: [{ type: 'BODY', text: 'Code {{1}}' }, { type: 'BUTTONS', buttons: [{ type: 'COPY_CODE' }] }] });
  const res = await ws.api('GET', `${LIST}?ChannelId=${channelId}&MaxResultCount=3&Sorting=Name ASC`);
  assert.equal(res.statusCode, 200, res.body);
  const page = json(res) as { totalCount: number; items: Entry[] };
  assert.equal(page.totalCount, 9);
  assert.deepEqual(page.items.map((t) => [t.name, t.status, t.sendable]), [['a_code', 'APPROVED', false], ['a_pending', 'PENDING', true], ['a_where', 'APPROVED', false]]);
  const next = json(await ws.api('GET', `${LIST}?channelId=${channelId}&skipCount=3&maxResultCount=1`)) as { items: Entry[] };
  assert.deepEqual(next.items.map((t) => t.name), ['appointment_reminder']);
});

test("a person's sign-in cookie lists the catalogue too (the inbox's template picker)", async () => {
  const ws = await h.workspace();
  const channelId = await sandboxChannel(ws);
  const person = await signIn(h, ws.id);
  const res = await person.api('GET', `${LIST}?channelId=${channelId}`, undefined, { origin: null });
  assert.equal(res.statusCode, 200, res.body);
  assert.equal(json(res).totalCount, 6);
});

test('channels: unknown or of another workspace → 404 (for its people too); without WhatsApp → 422; a malformed id or no id → 400 naming channelId', async () => {
  const ws = await h.workspace();
  const other = await h.workspace();
  const theirs = await sandboxChannel(other, '+966500000002');
  assertError(await ws.api('GET', `${LIST}?channelId=${MISSING}`), 404, 'Wasl:Channel:NotFound');
  assertError(await ws.api('GET', `${LIST}?channelId=${theirs}`), 404, 'Wasl:Channel:NotFound');
  const person = await signIn(h, ws.id);
  assertError(await person.api('GET', `${LIST}?channelId=${theirs}`), 404, 'Wasl:Channel:NotFound');
  const voice = json(await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'Phone', type: 1, phoneNumber: '+966500000009' }));
  assertError(await ws.api('GET', `${LIST}?channelId=${voice.id}`), 422, 'Wasl:Channel:NoWhatsApp');
  assertError(await ws.api('GET', `${LIST}?channelId=not-a-uuid`), 400, 'Wasl:ValidationFailed', ['channelId']);
  assertError(await ws.api('GET', LIST), 400, 'Wasl:ValidationFailed', ['channelId']);
  assert.equal(json(await other.api('GET', `${LIST}?channelId=${theirs}`)).totalCount, 6, 'their own workspace lists it');
});

authBattery(h, async (ws: Workspace) => [{ method: 'GET', url: `${LIST}?channelId=${await sandboxChannel(ws, '+966500000008')}` }]);
