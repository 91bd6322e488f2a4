import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertError } from '../../../test/helpers/assert.js';
import { authBattery } from '../../../test/helpers/auth-cases.js';
import { build, json, type Workspace } from '../../../test/helpers/build.js';
import { CONVERSATIONS, ok, type Json } from '../../../test/helpers/conversations.js';
import { startFakeGraph } from '../../../test/helpers/fake-graph.js';
import { startReceiver } from '../../../test/helpers/receiver.js';
import { MP4, PDF, PNG, startFileServer, tempDataDir } from '../media/testing.js';

/** Send Template (hatif-api.md §3.4) through HTTP: the catalogue's checks, ad-hoc templates, delivery in Meta's shape. */

const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true', TOKEN_TTL_SECONDS: String(7 * 86_400), DATA_DIR: tempDataDir() });
const worker = await h.worker({ pollMs: 60_000 });
const files = await startFileServer();
const SEND = '/v1/whatsapp/service-account/sendTemplate';
const MISSING = '01890000-0000-7000-8000-000000000000';
const PDF_URL = files.serve('/invoices/INV-2026-001.pdf', { body: PDF, type: 'application/pdf' });
const PNG_URL = files.serve('/parcel.png', { body: PNG, type: 'image/png' });
const MP4_URL = files.serve('/launch.mp4', { body: MP4, type: 'video/mp4' });

/** hatif-api.md §3.4's representative example, for the sandbox's invoice_delivery. */
const hatifExample = (channelId: string, toNumber = '966501234567') => ({
  ChannelId: channelId,
  TemplateName: 'invoice_delivery',
  Language: 'ar',
  ToNumber: toNumber,
  Parameters: [
    { Type: 'Header', Values: [{ Type: 'document', DocumentUrl: PDF_URL, DocumentFilename: 'Invoice-001.pdf' }] },
    { Type: 'Body', Values: [{ Type: 'text', Text: 'Ahmed' }, { Type: 'text', Text: '1,250.00 SAR' }] },
    { Type: 'Buttons', SubType: 'url', Index: '0', Values: [{ Type: 'text', Text: 'INV-2026-001' }] },
    { Type: 'Buttons', SubType: 'quick_reply', Index: '1', Values: [{ Type: 'text', Text: 'payment_received_INV001' }] },
  ],
});

/** A workspace with a sandbox WhatsApp channel whose message webhook is a local receiver. */
async function sandbox() {
  const receiver = await startReceiver();
  const ws = await h.workspace();
  const res = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'WhatsApp', type: 2, phoneNumber: '+966500000001', whatsAppWebhookUrl: receiver.url('/whatsapp') });
  assert.equal(res.statusCode, 200, res.body);
  return { ws, channel: json(res), receiver };
}

/** A workspace with a Cloud API channel talking to a fake Graph API. */
async function cloud(templates: Json[] = []) {
  const graph = await startFakeGraph({ templates: templates as never });
  const ws = await h.workspace();
  const whatsApp = { provider: 'cloud', phoneNumberId: '109876543210', businessAccountId: 'WABA-1', accessToken: graph.token, graphBaseUrl: graph.baseUrl };
  const res = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'Cloud', type: 2, phoneNumber: '+966500000002', whatsApp });
  assert.equal(res.statusCode, 200, res.body);
  return { ws, channel: json(res), graph };
}

/** Runs send jobs (paced per number on the test clock) until `done()`. */
async function deliver(done: () => boolean) {
  for (let round = 0; round < 100 && !done(); round++) {
    await worker.drain(150);
    h.clock.advance(13);
  }
  assert.ok(done(), 'delivered');
}

const statuses = (receiver: Awaited<ReturnType<typeof startReceiver>>) => receiver.received.map((r) => JSON.parse(r.body) as Json);

async function adminAdd(channelId: string, template: Json) {
  const res = await h.admin('POST', `/admin/v1/channels/${channelId}/templates`, { category: 'UTILITY', ...template });
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}

test("Hatif's own example on a sandbox channel, outside any 24-hour window: accepted, the filled body in the timeline, Pending → Sent", async () => {
  const { ws, channel, receiver } = await sandbox();
  const res = await ws.api('POST', SEND, hatifExample(channel.id));
  assert.equal(res.statusCode, 200, res.body);
  const sent = json(res);
  assert.deepEqual(Object.keys(sent).sort(), ['contactId', 'conversationEventId', 'conversationId', 'message', 'messageId', 'status']);
  assert.deepEqual([sent.status, sent.messageId, sent.message], ['accepted', null, 'Template message accepted for sending']);
  assert.ok(files.requests.some((r) => r.path === '/invoices/INV-2026-001.pdf'), 'the document was fetched and checked');

  const timeline = await ok(ws, 'GET', `${CONVERSATIONS}/${sent.conversationId}/timeline`);
  // The worker is woken by the commit and may have sent it already; the webhooks below show Pending came first.
  assert.deepEqual([timeline.items[0].eventId, timeline.items[0].messageType], [sent.conversationEventId, 'Template']);
  assert.ok(['Pending', 'Sent'].includes(timeline.items[0].status), timeline.items[0].status);
  assert.equal(timeline.items[0].body, 'مرحبا Ahmed، فاتورتك بمبلغ 1,250.00 SAR مرفقة.', 'what the customer reads');
  const contact = json(await ws.api('GET', `/v1/contacts/${sent.contactId}`));
  assert.equal(contact.phoneNumber, '+966501234567', 'the contact was made');

  await deliver(() => receiver.received.length >= 2);
  const events = statuses(receiver);
  assert.deepEqual(events.map((e) => [e.status, e.messageType, e.conversationEventId]), [['Pending', 'Template', sent.conversationEventId], ['Sent', 'Template', sent.conversationEventId]]);
  assert.match(events[1]!.messageId, /^wamid\.SANDBOX/);
});

test("delivered to the Graph API in Meta's template shape: media header by Wasl's link (or the template's example), body values, url suffix and quick-reply payload by index", async () => {
  const definition = {
    name: 'order_shipped',
    language: 'en_US',
    status: 'APPROVED',
    category: 'UTILITY',
    components: [
      { type: 'HEADER', format: 'IMAGE', example: { header_handle: ['https://scontent.whatsapp.net/parcel-example.png'] } },
      { type: 'BODY', text: 'Hi {{1}}, your order {{2}} is on its way.' },
      { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Track', url: 'https://example.com/orders/{{1}}' }, { type: 'QUICK_REPLY', text: 'Thanks' }] },
    ],
  };
  const { ws, channel, graph } = await cloud([definition]);
  assert.equal((await h.admin('POST', `/admin/v1/channels/${channel.id}/templates/sync`)).statusCode, 200);
  const body = {
    channelId: channel.id,
    templateName: 'order_shipped',
    language: 'en_US',
    toNumber: '+966501112233',
    parameters: [
      { type: 'Header', values: [{ type: 'image', imageUrl: PNG_URL }] },
      { type: 'Body', values: [{ type: 'text', text: 'Sara' }, { type: 'text', text: 'ORD-5123' }] },
      { type: 'Buttons', subType: 'url', index: 0, values: [{ type: 'text', text: 'ORD-5123' }] },
      { type: 'Buttons', subType: 'quick_reply', index: '1', values: [{ type: 'text', text: 'thanks_ORD-5123' }] },
    ],
  };
  const first = await ok(ws, 'POST', SEND, body);
  const second = await ok(ws, 'POST', SEND, { ...body, parameters: body.parameters.slice(1, 3) });
  await deliver(() => graph.sends().length >= 2);
  const [a, b] = graph.sends().map((s) => s.body as Json);
  assert.equal(graph.sends()[0]!.path, '109876543210/messages');
  assert.deepEqual(Object.keys(a!).sort(), ['messaging_product', 'recipient_type', 'template', 'to', 'type']);
  assert.deepEqual([a!.to, a!.type, a!.template.name, a!.template.language], ['966501112233', 'template', 'order_shipped', { code: 'en_US' }]);
  const [header, ...rest] = a!.template.components;
  assert.equal(header.type, 'header');
  assert.match(header.parameters[0].image.link, /^http:\/\/wasl\.test\//, "the image as Wasl stored it, behind a link Meta can fetch");
  assert.deepEqual(rest, [
    { type: 'body', parameters: [{ type: 'text', text: 'Sara' }, { type: 'text', text: 'ORD-5123' }] },
    { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'ORD-5123' }] },
    { type: 'button', sub_type: 'quick_reply', index: '1', parameters: [{ type: 'payload', payload: 'thanks_ORD-5123' }] },
  ]);
  assert.deepEqual(b!.template.components[0], { type: 'header', parameters: [{ type: 'image', image: { link: 'https://scontent.whatsapp.net/parcel-example.png' } }] }, "an omitted header: the template's example");
  assert.deepEqual(b!.template.components.map((c: Json) => c.type), ['header', 'body', 'button']);
  const timeline = await ok(ws, 'GET', `${CONVERSATIONS}/${first.conversationId}/timeline`);
  assert.deepEqual(timeline.items.map((e: Json) => [e.eventId, e.status]), [[second.conversationEventId, 'Sent'], [first.conversationEventId, 'Sent']]);
  assert.equal(timeline.items[0].body, 'Hi Sara, your order ORD-5123 is on its way.');
  await graph.close();
});

test('every parameter that does not fit a known template → 422 naming it, and nothing is written', async () => {
  const { ws, channel, receiver } = await sandbox();
  await adminAdd(channel.id, { name: 'paused_promo', language: 'en', status: 'PAUSED', components: [{ type: 'BODY', text: 'Sale!' }] });
  await adminAdd(channel.id, { name: 'static_link', language: 'en', components: [{ type: 'BODY', text: 'See' }, { type: 'BUTTONS', buttons: [{ type: 'URL', text: 'Open', url: 'https://example.com/fixed' }] }] });
  await adminAdd(channel.id, { name: 'coupon', language: 'en', components: [{ type: 'BODY', text: 'Use it' }, { type: 'BUTTONS', buttons: [{ type: 'COPY_CODE', example: 'SAVE10' }] }] });
  await adminAdd(channel.id, { name: 'location_header', language: 'en', components: [{ type: 'HEADER', format: 'LOCATION' }, { type: 'BODY', text: 'Here' }] });
  const text = (t: string) => ({ Type: 'text', Text: t });
  const image = { Type: 'Header', Values: [{ Type: 'image', ImageUrl: PNG_URL }] };
  const bodyOf = (...values: Json[]) => ({ Type: 'Body', Values: values });
  const url = (index: string | number, ...values: Json[]) => ({ Type: 'Buttons', SubType: 'url', Index: index, Values: values });
  const shipped = [image, bodyOf(text('Sara'), text('ORD-1')), url('0', text('ORD-1'))];
  const reminder = [{ Type: 'Header', Values: [text('Sara')] }, bodyOf(text('12 March'), text('10:30'))];
  const cases: [string, string, string, Json[], string, string[] | null][] = [
    ['a language the template lacks', 'order_update', 'en', [bodyOf(text('a'), text('b'))], 'Wasl:Template:LanguageUnavailable', ['language']],
    ['a template not approved', 'paused_promo', 'en', [], 'Wasl:Template:NotApproved', null],
    ['too few body values', 'order_update', 'ar', [bodyOf(text('a'))], 'Wasl:Template:ParametersMismatch', ['parameters[0].values']],
    ['too many body values', 'order_update', 'ar', [bodyOf(text('a'), text('b'), text('c'))], 'Wasl:Template:ParametersMismatch', ['parameters[0].values']],
    ['no Body parameter for a body with variables', 'order_update', 'ar', [], 'Wasl:Template:ParametersMismatch', ['parameters']],
    ['a body value that is not text', 'order_update', 'ar', [bodyOf(text('a'), { Type: 'image', ImageUrl: PNG_URL })], 'Wasl:Template:ParametersMismatch', ['parameters[0].values[1].type']],
    ['a text value without Text', 'order_update', 'ar', [bodyOf({ Type: 'text' }, text('b'))], 'Wasl:Template:ParametersMismatch', ['parameters[0].values[0].text']],
    ['two Body parameters', 'order_update', 'ar', [bodyOf(text('a'), text('b')), bodyOf(text('a'), text('b'))], 'Wasl:Template:ParametersMismatch', ['parameters[1].type']],
    ['a header value of the wrong type for an IMAGE header', 'order_shipped', 'en', [{ Type: 'Header', Values: [{ Type: 'document', DocumentUrl: PDF_URL }] }, ...shipped.slice(1)], 'Wasl:Template:ParametersMismatch', ['parameters[0].values[0].type']],
    ['an image value without ImageUrl', 'order_shipped', 'en', [{ Type: 'Header', Values: [{ Type: 'image' }] }, ...shipped.slice(1)], 'Wasl:Template:ParametersMismatch', ['parameters[0].values[0].imageUrl']],
    ['a media header omitted with no example to fall back on', 'product_launch', 'en', [bodyOf(text('Wasl One'), text('March 1'))], 'Wasl:Template:ParametersMismatch', ['parameters']],
    ['a header for a template without one', 'order_update', 'ar', [{ Type: 'Header', Values: [text('x')] }, bodyOf(text('a'), text('b'))], 'Wasl:Template:ParametersMismatch', ['parameters[0].values']],
    ['a text header with a variable and no value', 'appointment_reminder', 'en', reminder.slice(1), 'Wasl:Template:ParametersMismatch', ['parameters']],
    ['a text header given an image', 'appointment_reminder', 'en', [image, reminder[1]!], 'Wasl:Template:ParametersMismatch', ['parameters[0].values[0].type']],
    ['a location header', 'location_header', 'en', [], 'Wasl:Template:ParametersMismatch', ['parameters']],
    ['a URL button with {{1}} and no value at its index', 'order_shipped', 'en', shipped.slice(0, 2), 'Wasl:Template:ParametersMismatch', ['parameters']],
    ['a URL button value with no text', 'order_shipped', 'en', [...shipped.slice(0, 2), url('0')], 'Wasl:Template:ParametersMismatch', ['parameters[2].values']],
    ['a value for a button index that does not exist', 'order_shipped', 'en', [...shipped, url('3', text('x'))], 'Wasl:Template:ParametersMismatch', ['parameters[3].index']],
    ['a button value of the wrong SubType', 'order_shipped', 'en', [...shipped.slice(0, 2), { ...url('0', text('x')), SubType: 'quick_reply' }], 'Wasl:Template:ParametersMismatch', ['parameters[2].subType']],
    ['a value for a phone button', 'appointment_reminder', 'en', [...reminder, { Type: 'Buttons', SubType: 'url', Index: '2', Values: [text('x')] }], 'Wasl:Template:ParametersMismatch', ['parameters[2].index']],
    ['a value for a static URL', 'static_link', 'en', [url('0', text('x'))], 'Wasl:Template:ParametersMismatch', ['parameters[0].values']],
    ['the same button twice', 'order_shipped', 'en', [...shipped, url(0, text('y'))], 'Wasl:Template:ParametersMismatch', ['parameters[3].index']],
    ['a button without SubType or Index', 'order_shipped', 'en', [...shipped, { Type: 'Buttons', Values: [text('x')] }], 'Wasl:Template:ParametersMismatch', ['parameters[3].index', 'parameters[3].subType']],
    ['values for a footer', 'order_shipped', 'en', [...shipped, { Type: 'Footer', Values: [text('x')] }], 'Wasl:Template:ParametersMismatch', ['parameters[3].values']],
    ['a copy-code button', 'coupon', 'en', [], 'Wasl:Template:ParametersMismatch', ['parameters']],
  ];
  for (const [what, name, language, parameters, code, members] of cases) {
    const res = await ws.api('POST', SEND, { ChannelId: channel.id, TemplateName: name, Language: language, ToNumber: '966501234567', Parameters: parameters });
    assert.equal(res.statusCode, 422, `${what}: ${res.body}`);
    assertError(res, 422, code, members ?? undefined);
    assert.ok(json(res).error.message.includes(name), `${what}: the message names the template`);
  }
  const languages = await ws.api('POST', SEND, { ChannelId: channel.id, TemplateName: 'order_update', Language: 'en', ToNumber: '966501234567', Parameters: [] });
  assert.deepEqual(json(languages).error.data.languages, ['ar']);
  assert.match(json(languages).error.message, /has "ar"/);

  // Forms §3.4 does not have → 400 naming the member.
  const forms: [Json, string][] = [
    [{ Type: 'Headline', Values: [] }, 'parameters[0].type'],
    [{ Type: 'Buttons', SubType: 'call', Index: '0', Values: [] }, 'parameters[0].subType'],
    [{ Type: 'Buttons', SubType: 'url', Index: 'first', Values: [] }, 'parameters[0].index'],
    [{ Type: 'Body', Values: [{ Type: 'audio', Text: 'x' }] }, 'parameters[0].values[0].type'],
    [{ Type: 'Header', Values: [{ Type: 'image', ImageUrl: 'not a url' }] }, 'parameters[0].values[0].imageUrl'],
  ];
  for (const [parameter, member] of forms) {
    assertError(await ws.api('POST', SEND, { ChannelId: channel.id, TemplateName: 'order_update', Language: 'ar', ToNumber: '966501234567', Parameters: [parameter] }), 400, 'Wasl:ValidationFailed', [member]);
  }
  // Media the server cannot use: checked on the bytes, named by member.
  const html = files.serve('/not-an-image.png', { body: Buffer.from('<!DOCTYPE html><html></html>'), type: 'image/png' });
  const wrong = await ws.api('POST', SEND, { ChannelId: channel.id, TemplateName: 'order_shipped', Language: 'en', ToNumber: '966501234567', Parameters: [{ Type: 'Header', Values: [{ Type: 'image', ImageUrl: html }] }, ...shipped.slice(1)] });
  assertError(wrong, 422, 'Wasl:File:UnsupportedType', ['parameters[0].values[0].imageUrl']);
  const gone = await ws.api('POST', SEND, { ChannelId: channel.id, TemplateName: 'product_launch', Language: 'en', ToNumber: '966501234567', Parameters: [{ Type: 'Header', Values: [{ Type: 'video', VideoUrl: files.url('/missing.mp4') }] }, bodyOf(text('a'), text('b'))] });
  assertError(gone, 422, 'Wasl:File:Unreachable', ['parameters[0].values[0].videoUrl']);

  assert.equal(json(await ws.api('GET', '/v1/contacts')).totalCount, 0, 'no contact was made');
  assert.equal(json(await ws.api('GET', `${CONVERSATIONS}/channels/${channel.id}`)).totalCount, 0, 'no conversation');
  await worker.drain(150);
  assert.equal(receiver.received.length, 0, 'no webhook');
});

test('the other forms of §3.4 on the sandbox catalogue: a video header, a text header, quick replies; Parameters may be []; names and values in any casing', async () => {
  const { ws, channel } = await sandbox();
  const send = (body: Json) => ok(ws, 'POST', SEND, { channelId: channel.id, toNumber: '966501234567', ...body });
  const video = await send({ templateName: 'product_launch', language: 'en', parameters: [{ type: 'header', values: [{ type: 'VIDEO', videoUrl: MP4_URL }] }, { type: 'body', values: [{ type: 'text', text: 'Wasl One' }, { type: 'text', text: 'March 1' }] }] });
  const reminder = await send({
    templatename: 'appointment_reminder',
    LANGUAGE: 'EN',
    parameters: [
      { TYPE: 'HEADER', VALUES: [{ TYPE: 'TEXT', TEXT: 'Sara' }] },
      { Type: 'Body', Values: [{ Type: 'text', Text: '12 March' }, { Type: 'text', Text: '10:30' }] },
      { Type: 'BUTTONS', SubType: 'QUICK_REPLY', Index: 1, Values: [{ Type: 'text', Text: 'reschedule_42' }] },
    ],
  });
  const hello = await send({ templateName: 'hello_world', language: 'en_US', parameters: [] });
  const bare = await send({ templateName: 'hello_world', language: 'en-us' });
  const timeline = await ok(ws, 'GET', `${CONVERSATIONS}/${video.conversationId}/timeline`);
  const bodies = Object.fromEntries(timeline.items.map((e: Json) => [e.eventId, e.body]));
  assert.equal(bodies[video.conversationEventId], 'Meet Wasl One: available from March 1.');
  assert.equal(bodies[reminder.conversationEventId], 'Your appointment is on 12 March at 10:30.');
  assert.equal(bodies[hello.conversationEventId], 'Hello World');
  assert.equal(bodies[bare.conversationEventId], 'Hello World');
  assert.ok(files.requests.some((r) => r.path === '/launch.mp4'));
});

test('a sandbox channel sends a name its catalogue does not know as an ad-hoc template; the body is its values, or its name', async () => {
  const { ws, channel, receiver } = await sandbox();
  const adHoc = await ok(ws, 'POST', SEND, {
    ChannelId: channel.id,
    TemplateName: 'my_integration_test',
    Language: 'fr',
    ToNumber: '966501234567',
    Parameters: [{ Type: 'Body', Values: [{ Type: 'text', Text: 'Bonjour' }, { Type: 'text', Text: 'Sara' }] }, { Type: 'Buttons', SubType: 'url', Index: '4', Values: [{ Type: 'text', Text: 'x' }] }],
  });
  const named = await ok(ws, 'POST', SEND, { ChannelId: channel.id, TemplateName: 'anything_goes', Language: 'en', ToNumber: '966501234567', Parameters: [] });
  const timeline = await ok(ws, 'GET', `${CONVERSATIONS}/${adHoc.conversationId}/timeline`);
  assert.deepEqual(timeline.items.map((e: Json) => e.body), ['anything_goes', 'Bonjour · Sara']);
  await deliver(() => statuses(receiver).filter((e) => e.status === 'Sent').length >= 2);
  assert.deepEqual(new Set(statuses(receiver).map((e) => e.conversationEventId)), new Set([adHoc.conversationEventId, named.conversationEventId]));
  // Forms still count: a button needs its SubType and Index.
  assertError(await ws.api('POST', SEND, { ChannelId: channel.id, TemplateName: 'x_y', Language: 'en', ToNumber: '966501234567', Parameters: [{ Type: 'Buttons', Values: [{ Type: 'text', Text: 'x' }] }] }), 422, 'Wasl:Template:ParametersMismatch', ['parameters[0].index', 'parameters[0].subType']);
});

test('Cloud API channel: a name unknown after a sync → 422; never synced → sent as given, Meta decides', async () => {
  const { ws, channel, graph } = await cloud([{ name: 'welcome', language: 'en', status: 'APPROVED', category: 'UTILITY', components: [{ type: 'BODY', text: 'Welcome!' }] }]);
  const asGiven = { ChannelId: channel.id, TemplateName: 'not_in_wasl', Language: 'en', ToNumber: '966501234567', Parameters: [{ Type: 'Body', Values: [{ Type: 'text', Text: 'hi' }] }] };
  const first = await ok(ws, 'POST', SEND, asGiven);
  await deliver(() => graph.sends().length >= 1);
  assert.deepEqual((graph.sends()[0]!.body as Json).template, { name: 'not_in_wasl', language: { code: 'en' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'hi' }] }] });
  assert.ok(first.conversationEventId);

  assert.equal((await h.admin('POST', `/admin/v1/channels/${channel.id}/templates/sync`)).statusCode, 200);
  const unknown = await ws.api('POST', SEND, asGiven);
  assertError(unknown, 422, 'Wasl:Template:Unknown', ['templateName']);
  assert.match(json(unknown).error.message, /not_in_wasl/);
  assert.equal((await ws.api('POST', SEND, { ...asGiven, TemplateName: 'welcome', Parameters: [] })).statusCode, 200);
  await graph.close();
});

test('Idempotency-Key on sendTemplate: a replay answers the first answer and sends nothing; another body → 422', async () => {
  const { ws, channel, receiver } = await sandbox();
  const key = { 'idempotency-key': 'invoice-INV-2026-001' };
  const first = await ws.api('POST', SEND, hatifExample(channel.id), key);
  assert.equal(first.statusCode, 200, first.body);
  assert.equal(first.headers['idempotent-replayed'], undefined);
  const again = await ws.api('POST', SEND, hatifExample(channel.id), key);
  assert.equal(again.statusCode, 200, again.body);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.deepEqual(json(again), json(first));
  assertError(await ws.api('POST', SEND, hatifExample(channel.id, '966509999999'), key), 422, 'Wasl:Idempotency:KeyReused');
  await deliver(() => receiver.received.length >= 2);
  await worker.drain(150);
  const timeline = await ok(ws, 'GET', `${CONVERSATIONS}/${json(first).conversationId}/timeline`);
  assert.equal(timeline.items.length, 1, 'sent once');
});

test('channels: unknown or of another workspace → 404; without WhatsApp → 422; bad input → 400 naming the field', async () => {
  const { ws } = await sandbox();
  const other = await sandbox();
  const body = (channelId: string) => ({ channelId, templateName: 'hello_world', language: 'en_US', toNumber: '966501234567', parameters: [] });
  assertError(await ws.api('POST', SEND, body(MISSING)), 404, 'Wasl:Channel:NotFound');
  assertError(await ws.api('POST', SEND, body(other.channel.id)), 404, 'Wasl:Channel:NotFound');
  const voice = json(await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'Phone', type: 1, phoneNumber: '+966500000009' }));
  assertError(await ws.api('POST', SEND, body(voice.id)), 422, 'Wasl:Channel:NoWhatsApp');
  assertError(await ws.api('POST', SEND, { ...body(MISSING), templateName: undefined }), 400, 'Wasl:ValidationFailed', ['templateName']);
  assertError(await other.ws.api('POST', SEND, { ...body(other.channel.id), toNumber: 'not a number' }), 400, 'Wasl:ValidationFailed', ['toNumber']);
  assert.equal(json(await other.ws.api('GET', '/v1/contacts')).totalCount, 0, "nothing written in the other workspace");
});

authBattery(h, async (ws: Workspace) => {
  const res = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'Battery', type: 2, phoneNumber: '+966500000009' });
  return [{ method: 'POST', url: SEND, body: { ChannelId: json(res).id, TemplateName: 'hello_world', Language: 'en_US', ToNumber: '966501234567', Parameters: [] } }];
});

/** The unguarded harness above allows 127.0.0.1 (the tests' file server); a real one refuses it. */
test('a media header URL pointing inside is refused by the SSRF guard (422 naming the member)', async () => {
  const guarded = await build({ TOKEN_TTL_SECONDS: String(7 * 86_400), DATA_DIR: tempDataDir() });
  const ws = await guarded.workspace();
  const channel = json(await guarded.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'WhatsApp', type: 2, phoneNumber: '+966500000001' }));
  const res = await ws.api('POST', SEND, { ChannelId: channel.id, TemplateName: 'order_shipped', Language: 'en', ToNumber: '966501234567', Parameters: [{ Type: 'Header', Values: [{ Type: 'image', ImageUrl: PNG_URL }] }, { Type: 'Body', Values: [{ Type: 'text', Text: 'a' }, { Type: 'text', Text: 'b' }] }, { Type: 'Buttons', SubType: 'url', Index: '0', Values: [{ Type: 'text', Text: 'c' }] }] });
  assertError(res, 422, 'Wasl:File:UrlRefused', ['parameters[0].values[0].imageUrl']);
  assert.equal(json(await ws.api('GET', '/v1/contacts')).totalCount, 0);
});
