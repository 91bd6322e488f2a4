import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { assertError } from '../../../test/helpers/assert.js';
import { build, json } from '../../../test/helpers/build.js';
import { CONVERSATIONS, ok, type Json } from '../../../test/helpers/conversations.js';
import { startReceiver } from '../../../test/helpers/receiver.js';
import { startFakeGraph } from '../../../test/helpers/fake-graph.js';
import { metaSignature } from '../../providers/whatsapp/meta.js';
import { HTML, JPEG, PDF, PNG, startFileServer, tempDataDir } from '../media/testing.js';

const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true', TOKEN_TTL_SECONDS: String(7 * 86_400), DATA_DIR: tempDataDir() });
const worker = await h.worker({ pollMs: 60_000 });
const c = h.app.container;
const files = await startFileServer();
const graph = await startFakeGraph({ media: { 'media-photo-1': { bytes: JPEG, mimeType: 'image/jpeg' }, 'media-doc-1': { bytes: PDF, mimeType: 'application/pdf' } } });
after(() => graph.close());
const APP_SECRET = 'meta-app-secret-0123456789';
const FILE_URL = /^http:\/\/wasl\.test\/v1\/files\/([0-9a-f-]{36})$/;
const SIGNED = /^http:\/\/wasl\.test\/files\/([0-9a-f-]{36})\?expires=\d+&signature=[\w-]+$/;
const pathOf = (url: string) => url.replace(/^http:\/\/wasl\.test/, '');
const SEND = '/v1/whatsapp/service-account/sendText';
const MISSING = '01890000-0000-7000-8000-000000000000';
const inbound = (channelId: string, body: object) => h.admin('POST', `/admin/v1/sandbox/channels/${channelId}/inbound`, body);

async function setup(whatsApp: object = { provider: 'sandbox' }) {
  const receiver = await startReceiver();
  const ws = await h.workspace();
  const res = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'WhatsApp', type: 2, phoneNumber: '+966500000001', whatsApp, whatsAppWebhookUrl: receiver.url('/wa') });
  assert.equal(res.statusCode, 200, res.body);
  return { ws, channel: json(res), receiver };
}

test('a sandbox inbound message: contact (named by the profile), conversation, timeline, unread, the window opens, an Inbound webhook; the business can then reply', async () => {
  const { ws, channel, receiver } = await setup();
  const res = await inbound(channel.id, { from: '966501234567', name: 'أحمد', text: 'مرحبا، أين طلبي؟' });
  assert.equal(res.statusCode, 202, res.body);
  const { messageId } = json(res);
  assert.match(messageId, /^wamid\.SANDBOXIN/);
  await worker.drain();
  await receiver.waitFor(1);
  const hook = JSON.parse(receiver.received[0]!.body) as Json;
  assert.deepEqual([hook.direction, hook.messageType, hook.body, hook.messageId, hook.status], ['Inbound', 'Text', 'مرحبا، أين طلبي؟', messageId, 'Sent']);

  const contacts = json(await ws.api('GET', '/v1/contacts'));
  assert.equal(contacts.totalCount, 1);
  assert.deepEqual([contacts.items[0].name, contacts.items[0].phoneNumber, contacts.items[0].id], ['أحمد', '+966501234567', hook.contactId]);
  const list = await ok(ws, 'GET', `${CONVERSATIONS}/channels/${channel.id}`);
  const item = list.items[0];
  assert.deepEqual([item.id, item.unreadCount, item.isLost, item.lastEventDirection, item.lastEventPreviewBody], [hook.conversationId, 1, true, 1, 'مرحبا، أين طلبي؟']);
  const timeline = await ok(ws, 'GET', `${CONVERSATIONS}/${hook.conversationId}/timeline`);
  assert.deepEqual([timeline.items[0].messageId, timeline.items[0].direction, timeline.items[0].sourceType], [messageId, 1, 2]);

  // The window is open: free text goes out, answering the customer.
  const reply = await ws.api('POST', SEND, { channelId: channel.id, text: 'طلبك في الطريق', toNumber: '966501234567' });
  assert.equal(reply.statusCode, 200, reply.body);
  assert.equal(json(reply).conversationId, hook.conversationId);
});

test('inbound: a duplicate wamid is stored once; a reply quotes its message; a closed conversation reopens; location and media', async () => {
  const { ws, channel, receiver } = await setup();
  assert.equal((await inbound(channel.id, { from: '+966 50 111 2222', text: 'first' })).statusCode, 202);
  await worker.drain();
  await receiver.waitFor(1);
  const first = JSON.parse(receiver.received[0]!.body) as Json;

  // Meta delivers the same message twice: the second changes nothing.
  await c.transaction((trx) => c.queue.enqueue(trx, 'whatsapp.inbound', { channelId: channel.id, messageId: first.messageId, from: '966501112222', profileName: null, timestamp: h.clock.now().toISOString(), type: 'text', text: 'first', replyTo: null, mediaUrl: null, mimeType: null, location: null }));
  await worker.drain();
  const timeline = await ok(ws, 'GET', `${CONVERSATIONS}/${first.conversationId}/timeline`);
  assert.equal(timeline.totalCount, 1);
  assert.equal(receiver.received.length, 1);

  await ok(ws, 'POST', `${CONVERSATIONS}/${first.conversationId}/close`);
  await inbound(channel.id, { from: '966501112222', text: 'answering that', replyTo: first.messageId });
  await inbound(channel.id, { from: '966501112222', type: 'location', latitude: 24.7136, longitude: 46.6753, text: 'Riyadh' });
  await inbound(channel.id, { from: '966501112222', type: 'image', mediaUrl: files.serve('/in/p.jpg', JPEG), mimeType: 'image/png', text: 'a photo' });
  await worker.drain();
  const got = await ok(ws, 'GET', `${CONVERSATIONS}/${first.conversationId}`);
  assert.equal(got.status, 'Open', 'the customer reopened it');
  const events = (await ok(ws, 'GET', `${CONVERSATIONS}/${first.conversationId}/timeline?Sorting=CreationTime ASC&MaxResultCount=20`)).items as Json[];
  const messages = events.filter((e) => e.sourceType === 2);
  assert.equal(messages.length, 4);
  assert.deepEqual(messages[1]!.replyTo, { repliedToEventId: messages[0]!.eventId, repliedToBody: 'first' });
  assert.deepEqual(messages[2]!.location, { latitude: 24.7136, longitude: 46.6753, name: 'Riyadh', address: null });
  assert.deepEqual([messages[3]!.messageType, messages[3]!.mimeType, messages[3]!.body], ['Image', 'image/jpeg', 'a photo'], 'the type read from the bytes');
  assert.match(messages[3]!.attachment, FILE_URL);
  assert.equal((await ok(ws, 'GET', `${CONVERSATIONS}/channels/${channel.id}`)).items[0].unreadCount, 4);
});

test('sandbox inbound: bad input → 400 naming the field; unknown channel → 404; a Cloud API channel → 422; nothing queued', async () => {
  const { channel } = await setup();
  assertError(await inbound(channel.id, { from: 'nobody', text: 'x' }), 400, 'Wasl:ValidationFailed', ['from']);
  assertError(await inbound(channel.id, { from: '966501234567' }), 400, 'Wasl:ValidationFailed', ['text']);
  assertError(await inbound(channel.id, { from: '966501234567', type: 'location' }), 400, 'Wasl:ValidationFailed', ['latitude']);
  assertError(await inbound(channel.id, { from: '966501234567', type: 'image' }), 400, 'Wasl:ValidationFailed', ['mediaUrl']);
  assertError(await inbound(channel.id, { from: '966501234567', type: 'fax', text: 'x' }), 400, 'Wasl:ValidationFailed', ['type']);
  assertError(await inbound(MISSING, { from: '966501234567', text: 'x' }), 404, 'Wasl:Channel:NotFound');
  const cloud = await setup({ provider: 'cloud', phoneNumberId: '109876543210', accessToken: 'EAAG-token-0123456789', appSecret: 'app-secret-0123456789', verifyToken: 'verify-0123456789' });
  assertError(await inbound(cloud.channel.id, { from: '966501234567', text: 'x' }), 422, 'Wasl:Channel:NotSandbox');
  const queued = await h.store.db.selectFrom('jobs').select('id').where('name', '=', 'whatsapp.inbound').where('status', '=', 'pending').execute();
  assert.equal(queued.length, 0);
  assert.equal((await h.app.inject({ method: 'POST', url: `/admin/v1/sandbox/channels/${channel.id}/inbound`, payload: { from: '966501234567', text: 'x' } })).statusCode, 401, 'admin only');
});

/** A Cloud API channel on the fake Graph API (or another base URL), its message webhook a local receiver. */
async function cloudSetup(graphBaseUrl = graph.baseUrl) {
  const receiver = await startReceiver();
  const ws = await h.workspace();
  const res = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, {
    name: 'Cloud',
    type: 2,
    phoneNumber: '+966500000099',
    whatsApp: { provider: 'cloud', phoneNumberId: '1099', accessToken: graph.token, appSecret: APP_SECRET, graphBaseUrl },
    whatsAppWebhookUrl: receiver.url('/wa'),
  });
  assert.equal(res.statusCode, 200, res.body);
  return { ws, channel: json(res), receiver };
}

/** Meta's signed webhook with these messages from one customer. */
async function metaPosts(channelId: string, messages: Json[]) {
  const from = '966507770001';
  const body = JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', contacts: [{ wa_id: from, profile: { name: 'Reem' } }], messages: messages.map((m) => ({ from, timestamp: String(Math.floor(h.clock.now().getTime() / 1000)), ...m })) } }] }],
  });
  const res = await h.app.inject({ method: 'POST', url: `/webhooks/whatsapp/${channelId}`, payload: body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': metaSignature(body, APP_SECRET) } });
  assert.equal(res.statusCode, 200, res.body);
}

test("Meta's media messages: downloaded from the Graph API with the channel's token, stored, the timeline's attachment the workspace URL, the webhook's mediaUrl a signed link; a file Meta no longer has → the message without it", async () => {
  const { ws, channel, receiver } = await cloudSetup();
  await metaPosts(channel.id, [
    { id: 'wamid.IMG1', type: 'image', image: { id: 'media-photo-1', mime_type: 'image/jpeg', sha256: 'x', caption: 'my order' } },
    { id: 'wamid.DOC1', type: 'document', document: { id: 'media-doc-1', mime_type: 'application/pdf', filename: 'receipt.pdf' } },
    { id: 'wamid.GONE1', type: 'audio', audio: { id: 'media-unknown', mime_type: 'audio/ogg; codecs=opus', voice: true } },
  ]);
  await worker.drain();
  await receiver.waitFor(3);
  const fetches = graph.requests.filter((r) => r.method === 'GET').map((r) => [r.path, r.headers.authorization]);
  for (const id of ['media-photo-1', 'media-doc-1']) {
    assert.deepEqual(fetches.filter(([path]) => path === id || path === `/media-files/${id}`), [[id, `Bearer ${graph.token}`], [`/media-files/${id}`, `Bearer ${graph.token}`]]);
  }

  const hooks = receiver.received.map((r) => JSON.parse(r.body) as Json);
  const timeline = (await ok(ws, 'GET', `${CONVERSATIONS}/${hooks[0]!.conversationId}/timeline?Sorting=CreationTime ASC`)).items as Json[];
  assert.deepEqual(timeline.map((e) => [e.messageId, e.messageType, e.mimeType, e.body, e.durationOrSize]), [
    ['wamid.IMG1', 'Image', 'image/jpeg', 'my order', String(JPEG.length)],
    ['wamid.DOC1', 'Document', 'application/pdf', null, String(PDF.length)],
    ['wamid.GONE1', 'Audio', 'audio/ogg; codecs=opus', null, null],
  ]);
  assert.equal(timeline[2]!.attachment, null, 'kept without the file');
  for (const [i, bytes] of [JPEG, PDF].entries()) {
    assert.match(timeline[i]!.attachment, FILE_URL);
    const got = await ws.api('GET', pathOf(timeline[i]!.attachment));
    assert.equal(got.statusCode, 200);
    assert.ok(got.rawPayload.equals(bytes));
    assert.match(hooks[i]!.mediaUrl, SIGNED);
    const viaLink = await h.app.inject({ method: 'GET', url: pathOf(hooks[i]!.mediaUrl) });
    assert.ok(viaLink.rawPayload.equals(bytes), 'the webhook receiver fetches it without a token');
  }
  assert.match(String((await ws.api('GET', pathOf(timeline[1]!.attachment))).headers['content-disposition']), /^attachment; filename="receipt\.pdf"/);
  assert.deepEqual([hooks[2]!.mediaUrl, hooks[2]!.mimeType], [null, 'audio/ogg; codecs=opus']);
  const gone = await h.store.db.selectFrom('conversation_events').select('data').where('external_id', '=', 'wamid.GONE1').executeTakeFirstOrThrow();
  assert.match(String((gone.data as Json).mediaError), /./, 'the reason is kept with the message');

  // Meta delivers the photo again: nothing is downloaded or stored twice.
  const before = graph.requests.length;
  await metaPosts(channel.id, [{ id: 'wamid.IMG1', type: 'image', image: { id: 'media-photo-1', mime_type: 'image/jpeg' } }]);
  await worker.drain();
  assert.equal(graph.requests.length, before);
  assert.equal((await ok(ws, 'GET', `${CONVERSATIONS}/${hooks[0]!.conversationId}/timeline`)).totalCount, 3);
});

test('a media download that fails: a 5xx is retried by the job, a throttle after its delay; after the last attempt the message is kept without its file', async () => {
  // A Graph API that fails as told: a file server speaking Meta's media lookup.
  const { ws, channel } = await cloudSetup(files.url('/v21.0'));
  const message = (id: string, mediaId: string) => ({
    channelId: channel.id, messageId: id, from: '966507770002', profileName: null, timestamp: h.clock.now().toISOString(),
    type: 'image', text: null, replyTo: null, mediaUrl: null, mimeType: 'image/png', location: null, mediaId,
  });
  const metaError = (code: number) => Buffer.from(JSON.stringify({ error: { message: 'Service temporarily unavailable', code } }));
  const first = message('wamid.FLAKY1', 'media-flaky');
  const timeline = async () => (await ok(ws, 'GET', `${CONVERSATIONS}/channels/${channel.id}`)).items as Json[];

  files.serve('/v21.0/media-flaky', { status: 503, type: 'application/json', body: metaError(2) });
  await assert.rejects(c.whatsAppInbound.receive(first, { attempt: 1, maxAttempts: 8 }), /temporarily unavailable/, 'thrown: the job retries with its backoff');
  files.serve('/v21.0/media-flaky', { status: 429, type: 'application/json', body: metaError(130429), headers: { 'retry-after': '30' } });
  const throttled = await c.whatsAppInbound.receive(first, { attempt: 2, maxAttempts: 8 });
  assert.ok(throttled && 'retryAt' in throttled);
  assert.equal(throttled.retryAt.getTime(), h.clock.now().getTime() + 30_000);
  assert.deepEqual(await timeline(), [], 'nothing stored while the file is being fetched');

  files.serve('/v21.0/media-flaky', { type: 'application/json', body: Buffer.from(JSON.stringify({ url: files.url('/lookaside/flaky'), mime_type: 'image/png', file_size: PNG.length, id: 'media-flaky' })) });
  files.serve('/lookaside/flaky', { type: 'image/png', body: PNG });
  assert.equal(await c.whatsAppInbound.receive(first, { attempt: 3, maxAttempts: 8 }), undefined);
  const [conversation] = await timeline();
  const stored = (await ok(ws, 'GET', `${CONVERSATIONS}/${conversation!.id}/timeline`)).items[0] as Json;
  assert.ok((await ws.api('GET', pathOf(stored.attachment))).rawPayload.equals(PNG));

  files.serve('/v21.0/media-broken', { status: 500, type: 'application/json', body: metaError(1) });
  assert.equal(await c.whatsAppInbound.receive(message('wamid.FLAKY2', 'media-broken'), { attempt: 8, maxAttempts: 8 }), undefined);
  const kept = (await ok(ws, 'GET', `${CONVERSATIONS}/${conversation!.id}/timeline`)).items[0] as Json;
  assert.deepEqual([kept.messageId, kept.messageType, kept.attachment, kept.mimeType], ['wamid.FLAKY2', 'Image', null, 'image/png']);
});

test('sandbox inbound media: the mediaUrl fetched and checked like a send (type from the bytes; a refusal → 422 naming mediaUrl, nothing queued), stored and served', async () => {
  const { ws, channel, receiver } = await setup();
  const res = await inbound(channel.id, { from: '966501234567', type: 'document', mediaUrl: files.serve('/in/statement.pdf', PDF), text: 'my statement' });
  assert.equal(res.statusCode, 202, res.body);
  await worker.drain();
  await receiver.waitFor(1);
  const hook = JSON.parse(receiver.received[0]!.body) as Json;
  assert.deepEqual([hook.messageType, hook.mimeType, hook.body], ['Document', 'application/pdf', 'my statement']);
  assert.match(hook.mediaUrl, SIGNED);
  assert.ok((await h.app.inject({ method: 'GET', url: pathOf(hook.mediaUrl) })).rawPayload.equals(PDF));
  const event = (await ok(ws, 'GET', `${CONVERSATIONS}/${hook.conversationId}/timeline`)).items[0] as Json;
  const got = await ws.api('GET', pathOf(event.attachment));
  assert.match(String(got.headers['content-disposition']), /^attachment; filename="statement\.pdf"/);

  const pending = async () => (await h.store.db.selectFrom('jobs').select('id').where('name', '=', 'whatsapp.inbound').where('status', '=', 'pending').execute()).length;
  assertError(await inbound(channel.id, { from: '966501234567', type: 'image', mediaUrl: files.serve('/in/fake.jpg', HTML) }), 422, 'Wasl:File:UnsupportedType', ['mediaUrl']);
  assertError(await inbound(channel.id, { from: '966501234567', type: 'sticker', mediaUrl: files.serve('/in/s.png', PNG) }), 422, 'Wasl:File:UnsupportedType', ['mediaUrl']);
  assertError(await inbound(channel.id, { from: '966501234567', type: 'image', mediaUrl: files.url('/in/missing.jpg') }), 422, 'Wasl:File:Unreachable', ['mediaUrl']);
  assert.equal(await pending(), 0);
});

test("a sandbox channel given Meta's webhook with a media id: the sandbox's media (`sandbox-*`, a 1×1 PNG) is downloaded and stored like Meta's", async () => {
  const receiver = await startReceiver();
  const ws = await h.workspace();
  const res = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'WhatsApp', type: 2, phoneNumber: '+966500000001', whatsApp: { provider: 'sandbox', appSecret: APP_SECRET }, whatsAppWebhookUrl: receiver.url('/wa') });
  assert.equal(res.statusCode, 200, res.body);
  await metaPosts(json(res).id, [{ id: 'wamid.SBX1', type: 'sticker', sticker: { id: 'sandbox-sticker-1', mime_type: 'image/png' } }]);
  await worker.drain();
  await receiver.waitFor(1);
  const hook = JSON.parse(receiver.received[0]!.body) as Json;
  assert.deepEqual([hook.messageType, hook.mimeType], ['Sticker', 'image/png']);
  assert.ok((await h.app.inject({ method: 'GET', url: pathOf(hook.mediaUrl) })).rawPayload.equals(PNG));
});

test('sandbox inbound replies: a tapped button or list row, a quick reply, a reaction on a message, a shared contact card — each lands as what the customer did', async () => {
  const { ws, channel } = await setup();
  assert.equal((await inbound(channel.id, { from: '966501113333', text: 'Can I book Tuesday?' })).statusCode, 202);
  await worker.drain();
  const [conversation] = (await ok(ws, 'GET', `${CONVERSATIONS}/channels/${channel.id}`)).items as Json[];
  const asked = (await ok(ws, 'GET', `${CONVERSATIONS}/${conversation!.id}/timeline`)).items[0] as Json;
  const wamid = (await c.conversationEvents.byId(ws.id, asked.eventId))!.external_id!;
  for (const body of [
    { type: 'interactive', text: 'Tuesday 10:00' },
    { type: 'button', text: 'Stop promotions' },
    { type: 'reaction', text: '👍', replyTo: wamid },
    { type: 'contacts', text: 'Omar Ali +966500000009' },
  ]) {
    assert.equal((await inbound(channel.id, { from: '966501113333', ...body })).statusCode, 202, body.type);
  }
  await worker.drain();
  const items = ((await ok(ws, 'GET', `${CONVERSATIONS}/${conversation!.id}/timeline?Sorting=CreationTime ASC`)).items as Json[]).slice(1);
  assert.deepEqual(
    items.map((e) => [e.messageType, e.body]),
    [
      ['Interactive', 'Tuesday 10:00'],
      ['Interactive', 'Stop promotions'],
      ['Reaction', '👍'],
      ['Contact', 'Omar Ali +966500000009'],
    ],
  );
  assert.deepEqual(items[2]!.replyTo, { repliedToEventId: asked.eventId, repliedToBody: 'Can I book Tuesday?' }, 'a reaction answers the message it reacts to');
  assertError(await inbound(channel.id, { from: '966501113333', type: 'reaction', text: '👍' }), 400, 'Wasl:ValidationFailed', ['replyTo']);
  assertError(await inbound(channel.id, { from: '966501113333', type: 'interactive' }), 400, 'Wasl:ValidationFailed', ['text']);
});
