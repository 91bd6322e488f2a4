import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { assertError } from '../../../test/helpers/assert.js';
import { build, json } from '../../../test/helpers/build.js';
import { CONVERSATIONS, ok, type Json } from '../../../test/helpers/conversations.js';
import { metaSignature } from '../../providers/whatsapp/meta.js';

const h = await build({ TOKEN_TTL_SECONDS: String(7 * 86_400) });
const worker = await h.worker({ pollMs: 60_000 });
const APP_SECRET = 'meta-app-secret-0123456789';
const VERIFY = 'verify-token-0123456789';
const MISSING = '01890000-0000-7000-8000-000000000000';

async function setup() {
  const ws = await h.workspace();
  const res = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, {
    name: 'WhatsApp',
    type: 2,
    phoneNumber: '+966500000001',
    whatsApp: { provider: 'sandbox', appSecret: APP_SECRET, verifyToken: VERIFY },
  });
  assert.equal(res.statusCode, 200, res.body);
  return { ws, channel: json(res) };
}

/** A webhook body in Meta's format (entry → changes → value). */
const metaBody = (value: object) => JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: 'WABA', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', ...value } }] }] });
const post = (channelId: string, body: string, signature?: string) =>
  h.app.inject({ method: 'POST', url: `/webhooks/whatsapp/${channelId}`, payload: body, headers: { 'content-type': 'application/json', ...(signature !== undefined && { 'x-hub-signature-256': signature }) } });

test("handshake: the channel's verify token → the challenge as text/plain; anything else → 403; an unknown channel → 404", async () => {
  const { channel } = await setup();
  const url = (q: string) => `/webhooks/whatsapp/${channel.id}?${q}`;
  const good = await h.app.inject({ method: 'GET', url: url(`hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=1158201444`) });
  assert.equal(good.statusCode, 200);
  assert.equal(good.body, '1158201444');
  assert.match(String(good.headers['content-type']), /^text\/plain/);
  assertError(await h.app.inject({ method: 'GET', url: url('hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1') }), 403, 'Wasl:Forbidden');
  assertError(await h.app.inject({ method: 'GET', url: url(`hub.mode=unsubscribe&hub.verify_token=${VERIFY}&hub.challenge=1`) }), 403, 'Wasl:Forbidden');
  assertError(await h.app.inject({ method: 'GET', url: `/webhooks/whatsapp/${MISSING}?hub.mode=subscribe&hub.verify_token=${VERIFY}&hub.challenge=1` }), 404, 'Wasl:Channel:NotFound');
});

test('a signed webhook: its message lands like any inbound one, its statuses move our message; a bad or missing signature → 401 and nothing stored', async () => {
  const { ws, channel } = await setup();
  const message = metaBody({
    contacts: [{ profile: { name: 'Layla' }, wa_id: '966501112233' }],
    messages: [{ from: '966501112233', id: 'wamid.META1', timestamp: String(Math.floor(h.clock.now().getTime() / 1000)), type: 'text', text: { body: 'Is the shop open?' } }],
  });
  for (const signature of [undefined, 'sha256=' + '0'.repeat(64), 'sha1=abc', metaSignature(message, 'another-secret')]) {
    assertError(await post(channel.id, message, signature), 401, 'Wasl:Webhook:BadSignature');
  }
  // The body re-serialised (same JSON, other bytes) no longer matches its signature.
  assertError(await post(channel.id, JSON.stringify(JSON.parse(message), null, 1), metaSignature(message, APP_SECRET)), 401, 'Wasl:Webhook:BadSignature');
  await worker.drain();
  assert.equal(json(await ws.api('GET', '/v1/contacts')).totalCount, 0, 'nothing stored');
  const raw = () => h.store.db.selectFrom('whatsapp_webhook_events').selectAll().where('channel_id', '=', channel.id).orderBy('received_at').orderBy('id').execute();
  assert.deepEqual(await raw(), [], 'no raw body of a refused webhook');

  const accepted = await post(channel.id, message, metaSignature(message, APP_SECRET));
  assert.equal(accepted.statusCode, 200, accepted.body);
  assert.deepEqual(json(accepted), { messages: 1, statuses: 0 });
  const stored = await h.store.db.selectFrom('jobs').select(['id', 'payload']).where('name', '=', 'whatsapp.webhook').where(sql<boolean>`payload->>'channelId' = ${channel.id}`).execute();
  assert.deepEqual(stored.map((j) => (j.payload as { body: string }).body), [message], 'durable before the answer: the exact body, as its job');
  await worker.drain();
  const [kept] = await raw();
  assert.deepEqual([kept?.id, kept?.body, kept?.messages, kept?.statuses], [(stored[0]!.payload as { id: string }).id, message, 1, 0], 'the exact body, kept with its counts');
  // The job run again (a worker died after its commit): nothing kept or queued twice.
  await h.app.container.whatsAppInbound.fanOut(stored[0]!.payload as never);
  assert.equal((await raw()).length, 1);
  const contact = json(await ws.api('GET', '/v1/contacts')).items[0];
  assert.deepEqual([contact.name, contact.phoneNumber], ['Layla', '+966501112233']);
  const conversation = (await ok(ws, 'GET', `${CONVERSATIONS}/channels/${channel.id}`)).items[0] as Json;
  assert.equal(conversation.unreadCount, 1);

  // Our reply, then Meta's statuses for it (out of order and repeated).
  const sent = await ok(ws, 'POST', '/v1/whatsapp/service-account/sendText', { channelId: channel.id, text: 'Yes, until 10 pm', toNumber: '966501112233' });
  const latest = async () => (await ok(ws, 'GET', `${CONVERSATIONS}/${conversation.id}/timeline`)).items[0] as Json;
  // Until the send job has run (it waits for its pacing slot on the test's clock).
  for (let round = 0; round < 100 && !(await latest()).messageId; round++) {
    await worker.drain(150);
    h.clock.advance(13);
  }
  const reply = await latest();
  assert.equal(reply.eventId, sent.conversationEventId);
  assert.equal(reply.status, 'Sent');
  const statuses = metaBody({
    statuses: [
      { id: reply.messageId, status: 'read', timestamp: '1', recipient_id: '966501112233' },
      { id: reply.messageId, status: 'delivered', timestamp: '1', recipient_id: '966501112233', pricing: { billable: true, category: 'service' } },
      { id: reply.messageId, status: 'delivered', timestamp: '1', recipient_id: '966501112233' },
    ],
  });
  assert.deepEqual(json(await post(channel.id, statuses, metaSignature(statuses, APP_SECRET))), { messages: 0, statuses: 3 });
  await worker.drain();
  const after = (await ok(ws, 'GET', `${CONVERSATIONS}/${conversation.id}/timeline`)).items[0] as Json;
  assert.equal(after.status, 'Read', 'read first; the late delivered changes nothing');
});

test('a message from a sender Meta names only by a business-scoped user id (no number): accepted, set aside as a dead letter saying why, nothing stored', async () => {
  const { ws, channel } = await setup();
  const body = metaBody({
    contacts: [{ profile: { name: 'Anon', username: '@anon' }, user_id: 'SA.1502576394655843' }],
    messages: [{ from_user_id: 'SA.1502576394655843', id: 'wamid.BSUID1', timestamp: String(Math.floor(h.clock.now().getTime() / 1000)), type: 'text', text: { body: 'hello' } }],
  });
  assert.equal((await post(channel.id, body, metaSignature(body, APP_SECRET))).statusCode, 200);
  await worker.drain();
  const job = await h.store.db.selectFrom('jobs').select(['status', 'last_error']).where('name', '=', 'whatsapp.inbound').where(sql<boolean>`payload->>'messageId' = 'wamid.BSUID1'`).executeTakeFirstOrThrow();
  assert.equal(job.status, 'dead');
  assert.match(String(job.last_error), /no sender number.*business-scoped user id/);
  assert.equal((await ok(ws, 'GET', `${CONVERSATIONS}/channels/${channel.id}`)).totalCount, 0);
});
