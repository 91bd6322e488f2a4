import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertError } from '../../../test/helpers/assert.js';
import { build, json } from '../../../test/helpers/build.js';
import { CONVERSATIONS, ok, type Json } from '../../../test/helpers/conversations.js';
import { startReceiver } from '../../../test/helpers/receiver.js';

const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true', TOKEN_TTL_SECONDS: String(7 * 86_400) });
const worker = await h.worker({ pollMs: 60_000 });
const c = h.app.container;
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
  await inbound(channel.id, { from: '966501112222', type: 'image', mediaUrl: 'https://cdn.example.com/p.jpg', mimeType: 'image/jpeg', text: 'a photo' });
  await worker.drain();
  const got = await ok(ws, 'GET', `${CONVERSATIONS}/${first.conversationId}`);
  assert.equal(got.status, 'Open', 'the customer reopened it');
  const events = (await ok(ws, 'GET', `${CONVERSATIONS}/${first.conversationId}/timeline?Sorting=CreationTime ASC&MaxResultCount=20`)).items as Json[];
  const messages = events.filter((e) => e.sourceType === 2);
  assert.equal(messages.length, 4);
  assert.deepEqual(messages[1]!.replyTo, { repliedToEventId: messages[0]!.eventId, repliedToBody: 'first' });
  assert.deepEqual(messages[2]!.location, { latitude: 24.7136, longitude: 46.6753, name: 'Riyadh', address: null });
  assert.deepEqual([messages[3]!.messageType, messages[3]!.attachment, messages[3]!.mimeType, messages[3]!.body], ['Image', 'https://cdn.example.com/p.jpg', 'image/jpeg', 'a photo']);
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
