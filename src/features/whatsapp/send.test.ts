import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { assertError } from '../../../test/helpers/assert.js';
import { build, json, type Workspace } from '../../../test/helpers/build.js';
import { CONVERSATIONS, ok, type Json } from '../../../test/helpers/conversations.js';
import { startReceiver } from '../../../test/helpers/receiver.js';

// Tokens that outlive the 24-hour windows these tests step through.
const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true', TOKEN_TTL_SECONDS: String(7 * 86_400) });
const worker = await h.worker({ pollMs: 60_000 });
const c = h.app.container;
const SEND = '/v1/whatsapp/service-account/sendText';
const SECRET = 'whatsapp-channel-secret-0123';
const MISSING = '01890000-0000-7000-8000-000000000000';
const HOUR = 3_600_000;

/** A workspace with a sandbox WhatsApp channel whose message webhook is a local receiver. */
async function setup() {
  const receiver = await startReceiver();
  const ws = await h.workspace();
  const res = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, {
    name: 'WhatsApp',
    type: 2,
    phoneNumber: '+966500000001',
    whatsApp: { provider: 'sandbox' },
    whatsAppWebhookUrl: receiver.url('/whatsapp'),
    webhookSecret: SECRET,
  });
  assert.equal(res.statusCode, 200, res.body);
  return { ws, channel: json(res), receiver };
}

/**
 * Runs the send jobs until `count` webhooks arrived: each job waits for its number's pacing slot
 * (13 ms at 80/s on the test's clock), so the clock moves on between rounds.
 */
async function deliver(receiver: Awaited<ReturnType<typeof startReceiver>>, count: number, stepMs = 13) {
  for (let round = 0; round < 100 && receiver.received.length < count; round++) {
    // Short drains: a message waiting for the slot of the one before it counts as due (queue
    // stats do not see keys), so a full drain would wait out its limit.
    await worker.drain(150);
    h.clock.advance(stepMs);
  }
  await receiver.waitFor(count);
}

/** The customer writes first (what an inbound message will do): the 24-hour window opens now. */
async function customerWrites(ws: Workspace, channelId: string, phoneNumber: string) {
  const { conversation } = await ok(ws, 'POST', `${CONVERSATIONS}/create`, { channelId, phoneNumber });
  await c.transaction((trx) => c.conversationEvents.append(trx, { workspaceId: ws.id, conversationId: conversation.id, sourceType: 2, direction: 1, body: 'مرحبا', status: 'Received', messageType: 'Text' }));
  return conversation as Json;
}

test('sendText inside the window: accepted at once (Pending event, job, webhook), then Sent with the wamid, one event id throughout', async () => {
  const { ws, channel, receiver } = await setup();
  const conversation = await customerWrites(ws, channel.id, '+966500111222');

  const res = await ws.api('POST', SEND, { ChannelId: channel.id, Text: 'Hey from Wasl 👋', ToNumber: '966500111222' });
  assert.equal(res.statusCode, 200, res.body);
  const sent = json(res);
  assert.deepEqual(Object.keys(sent).sort(), ['contactId', 'conversationEventId', 'conversationId', 'message', 'messageId', 'status']);
  assert.equal(sent.status, 'accepted');
  assert.equal(sent.messageId, null);
  assert.equal(sent.conversationId, conversation.id, 'the open conversation');
  assert.equal(sent.contactId, conversation.contactId);

  const pending = await ok(ws, 'GET', `${CONVERSATIONS}/${conversation.id}/timeline`);
  assert.equal(pending.items[0].eventId, sent.conversationEventId);
  // The worker is woken by the commit and may have sent it already: Pending (no wamid yet) or Sent; the webhooks below show Pending came first.
  const first = pending.items[0];
  assert.deepEqual([first.sourceType, first.direction, first.body], [2, 2, 'Hey from Wasl 👋']);
  assert.ok(first.status === 'Pending' ? first.messageId === null : first.status === 'Sent' && /^wamid\./.test(first.messageId), `${first.status} ${first.messageId}`);

  await deliver(receiver, 2);
  const events = receiver.received.map((r) => JSON.parse(r.body) as Json);
  assert.deepEqual(events.map((e) => e.status), ['Pending', 'Sent']);
  for (const [i, e] of events.entries()) {
    assert.equal(e.conversationEventId, sent.conversationEventId);
    assert.deepEqual([e.direction, e.messageType, e.body, e.contactId, e.conversationId, e.channelId, e.workspaceId], ['Outbound', 'Text', 'Hey from Wasl 👋', sent.contactId, conversation.id, channel.id, ws.id]);
    const { headers, body } = receiver.received[i]!;
    assert.equal(headers['x-voxa-signature'], createHmac('sha256', SECRET).update(body).digest('hex'), 'signed with the channel secret');
  }
  assert.equal(events[0]!.messageId, null);
  assert.match(events[1]!.messageId, /^wamid\./);

  const after = await ok(ws, 'GET', `${CONVERSATIONS}/${conversation.id}/timeline`);
  assert.deepEqual([after.items[0].status, after.items[0].messageId], ['Sent', events[1]!.messageId]);
  const listed = await ok(ws, 'GET', `${CONVERSATIONS}/channels/${channel.id}`);
  const item = listed.items.find((i: Json) => i.id === conversation.id);
  assert.deepEqual([item.lastEventDirection, item.lastEventStatus, item.lastEventPreviewBody, item.isLost], [2, 'Sent', 'Hey from Wasl 👋', false]);
});

test('sendText outside the window → 422 Voxa:WhatsApp:ServiceWindowExpired, and nothing is written', async () => {
  const { ws, channel, receiver } = await setup();
  // A number that never wrote: no window at all; the contact is not even made.
  const never = await ws.api('POST', SEND, { channelId: channel.id, text: 'hello', toNumber: '+966500222333' });
  assertError(never, 422, 'Voxa:WhatsApp:ServiceWindowExpired');
  assert.equal(json(never).error.data.lastInboundAt, null);
  assert.equal(json(await ws.api('GET', '/v1/contacts')).totalCount, 0);

  // A customer who wrote 24 hours ago: closed at exactly 24 h.
  const conversation = await customerWrites(ws, channel.id, '+966500444555');
  h.clock.advance(24 * HOUR - 1);
  assert.equal((await ws.api('POST', SEND, { channelId: channel.id, text: 'just in time', toNumber: '+966500444555' })).statusCode, 200);
  h.clock.advance(1);
  const late = await ws.api('POST', SEND, { channelId: channel.id, text: 'too late', toNumber: '+966500444555' });
  assertError(late, 422, 'Voxa:WhatsApp:ServiceWindowExpired');
  assert.match(json(late).error.message, /send a template/);
  const timeline = await ok(ws, 'GET', `${CONVERSATIONS}/${conversation.id}/timeline`);
  assert.deepEqual(timeline.items.map((e: Json) => e.body), ['just in time', 'مرحبا'], 'the refused text is not in the timeline');
  await deliver(receiver, 2);
  assert.equal(receiver.received.length, 2, 'Pending and Sent of the one accepted text only');
});

test('a send to a known recipient (one round trip) follows what changed since: a closed conversation, a deleted contact, a closed window', async () => {
  const { ws, channel } = await setup();
  const phone = '+966500999000';
  const first = await customerWrites(ws, channel.id, phone);
  const send = (text: string) => ws.api('POST', SEND, { channelId: channel.id, text, toNumber: phone });
  // The messages of a conversation's timeline, newest first (its status changes have no body).
  const bodies = async (id: string) => (await ok(ws, 'GET', `${CONVERSATIONS}/${id}/timeline`)).items.map((e: Json) => e.body).filter((b: unknown) => b !== null);
  // The first send reads the recipient; the second goes to the conversation it left.
  assert.equal(json(await send('one')).conversationId, first.id);
  assert.equal(json(await send('two')).conversationId, first.id);

  // Closed since: the send goes to a new conversation (the window is the contact's, still open), not into the closed one.
  await ok(ws, 'POST', `${CONVERSATIONS}/${first.id}/close`);
  const three = json(await send('three'));
  assert.notEqual(three.conversationId, first.id);
  assert.deepEqual(await bodies(first.id), ['two', 'one', 'مرحبا']);
  assert.deepEqual(await bodies(three.conversationId), ['three']);

  // The contact deleted since: its number is a new contact's, who never wrote → 422, nothing written to the old one.
  assert.equal((await ws.api('DELETE', `/v1/contacts/${three.contactId}`)).statusCode, 204);
  assertError(await send('four'), 422, 'Voxa:WhatsApp:ServiceWindowExpired');
  assert.deepEqual(await bodies(three.conversationId), ['three']);

  // A new contact who writes, then the window closes after a send: refused, as the long way refuses it.
  const fresh = await customerWrites(ws, channel.id, phone);
  assert.equal(json(await send('five')).conversationId, fresh.id);
  h.clock.advance(24 * HOUR);
  // A template passes outside the window (which way it went, the answer cannot tell: a failed check falls back).
  const template = await ws.api('POST', '/v1/whatsapp/service-account/sendTemplate', { channelId: channel.id, toNumber: phone, templateName: 'hello_world', language: 'en_US' });
  assert.equal(template.statusCode, 200, template.body);
  assert.equal(json(template).conversationId, fresh.id);
  assertError(await send('six'), 422, 'Voxa:WhatsApp:ServiceWindowExpired');
  const shown = await bodies(fresh.id); // newest first: the template, five, the customer's message; six refused
  assert.equal(shown.length, 3, JSON.stringify(shown));
  assert.deepEqual(shown.slice(1), ['five', 'مرحبا']);
});

test('sendText: bad input → 400 naming the field; unknown, foreign or WhatsApp-less channel → 404 / 422', async () => {
  const { ws, channel } = await setup();
  const other = await setup();
  assertError(await ws.api('POST', SEND, { channelId: channel.id, text: 'x', toNumber: 'not a number' }), 400, 'Wasl:ValidationFailed', ['toNumber']);
  assertError(await ws.api('POST', SEND, { channelId: channel.id, text: '   ', toNumber: '+966500111222' }), 400, 'Wasl:ValidationFailed', ['text']);
  assertError(await ws.api('POST', SEND, { channelId: channel.id, text: 'x'.repeat(4097), toNumber: '+966500111222' }), 400, 'Wasl:ValidationFailed', ['text']);
  assertError(await ws.api('POST', SEND, { text: 'x', toNumber: '+966500111222' }), 400, 'Wasl:ValidationFailed', ['channelId']);
  assertError(await ws.api('POST', SEND, { channelId: MISSING, text: 'x', toNumber: '+966500111222' }), 404, 'Wasl:Channel:NotFound');
  assertError(await ws.api('POST', SEND, { channelId: other.channel.id, text: 'x', toNumber: '+966500111222' }), 404, 'Wasl:Channel:NotFound');
  const voice = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'Phone', type: 1, phoneNumber: '+966500000009' });
  assert.equal(voice.statusCode, 200, voice.body);
  assertError(await ws.api('POST', SEND, { channelId: json(voice).id, text: 'x', toNumber: '+966500111222' }), 422, 'Wasl:Channel:NoWhatsApp');
  assert.equal(json(await ws.api('GET', '/v1/contacts')).totalCount, 0, 'no contact was made');
});

test('messages to one conversation go out in the order they were accepted, each once', async () => {
  const { ws, channel, receiver } = await setup();
  await customerWrites(ws, channel.id, '+966500777888');
  const ids: string[] = [];
  for (const n of [1, 2, 3, 4, 5]) ids.push((await ok(ws, 'POST', SEND, { channelId: channel.id, text: `message ${n}`, toNumber: '+966500777888' })).conversationEventId);
  await deliver(receiver, 10);
  const sentOrder = receiver.received.map((r) => JSON.parse(r.body) as Json).filter((e) => e.status === 'Sent').map((e) => e.conversationEventId);
  assert.deepEqual(sentOrder, ids, 'each sent once, in the order accepted');
});

const webhookStatuses = (receiver: Awaited<ReturnType<typeof startReceiver>>) => receiver.received.map((r) => JSON.parse(r.body) as Json);

test('sandbox statuses: Delivered and Read follow through the status pipeline, one webhook each, billable, the timeline and list follow', async () => {
  const { ws, channel, receiver } = await setup();
  const conversation = await customerWrites(ws, channel.id, '+966500123123');
  const sent = await ok(ws, 'POST', SEND, { channelId: channel.id, text: 'status please', toNumber: '+966500123123' });
  await deliver(receiver, 4, 100);
  const events = webhookStatuses(receiver);
  assert.deepEqual(events.map((e) => e.status), ['Pending', 'Sent', 'Delivered', 'Read']);
  assert.ok(events.every((e) => e.conversationEventId === sent.conversationEventId));
  assert.equal(new Set(events.slice(1).map((e) => e.messageId)).size, 1, 'one wamid from Sent on');
  assert.deepEqual(events.map((e) => e.isBillable), [false, false, true, true]);
  const timeline = await ok(ws, 'GET', `${CONVERSATIONS}/${conversation.id}/timeline`);
  assert.equal(timeline.items[0].status, 'Read');
  const item = (await ok(ws, 'GET', `${CONVERSATIONS}/channels/${channel.id}`)).items.find((i: Json) => i.id === conversation.id);
  assert.equal(item.lastEventStatus, 'Read');

  // Meta repeats and reorders callbacks: a duplicate Delivered and a late Sent change nothing.
  const wamid = events[1]!.messageId as string;
  await c.transaction(async (trx) => {
    for (const status of ['delivered', 'sent', 'read'] as const) await c.queue.enqueue(trx, 'whatsapp.status', { channelId: channel.id, messageId: wamid, status });
  });
  await worker.drain();
  assert.equal(receiver.received.length, 4, 'no webhook for callbacks that move nothing');
});

test('sandbox scripted failures: refused at send (131026) → Failed with the code; accepted then failed (131049) → Sent, Failed', async () => {
  const { ws, channel, receiver } = await setup();
  await customerWrites(ws, channel.id, '+966550131026');
  const refused = await ok(ws, 'POST', SEND, { channelId: channel.id, text: 'never arrives', toNumber: '+966550131026' });
  await deliver(receiver, 2, 100);
  const first = webhookStatuses(receiver).filter((e) => e.conversationEventId === refused.conversationEventId);
  assert.deepEqual(first.map((e) => [e.status, e.errorCode, e.messageId]), [['Pending', null, null], ['Failed', 131026, null]]);
  assert.match(first[1]!.errorReason, /not on WhatsApp/);

  await customerWrites(ws, channel.id, '+966550131049');
  const dropped = await ok(ws, 'POST', SEND, { channelId: channel.id, text: 'dropped by Meta', toNumber: '+966550131049' });
  await deliver(receiver, 5, 100);
  const second = webhookStatuses(receiver).filter((e) => e.conversationEventId === dropped.conversationEventId);
  assert.deepEqual(second.map((e) => [e.status, e.errorCode]), [['Pending', null], ['Sent', null], ['Failed', 131049]]);
  const conversationId = dropped.conversationId as string;
  const timeline = await ok(ws, 'GET', `${CONVERSATIONS}/${conversationId}/timeline`);
  assert.deepEqual([timeline.items[0].status, timeline.items[0].errorCode], ['Failed', 131049]);
  assert.match(timeline.items[0].failureReason, /Meta chose not to deliver/);
});

test('Idempotency-Key: a replay answers the first answer and sends nothing; another body → 422; a refused request frees its key; per workspace; 24 hours', async () => {
  const { ws, channel, receiver } = await setup();
  const conversation = await customerWrites(ws, channel.id, '+966500321321');
  const body = { ChannelId: channel.id, Text: 'once only', ToNumber: '+966500321321' };
  const key = { 'idempotency-key': 'order-7781-confirmation' };
  const first = await ws.api('POST', SEND, body, key);
  assert.equal(first.statusCode, 200, first.body);
  assert.equal(first.headers['idempotent-replayed'], undefined);
  const again = await ws.api('POST', SEND, { channelId: channel.id, text: 'once only', toNumber: '+966500321321' }, key);
  assert.equal(again.statusCode, 200, again.body);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.deepEqual(json(again), json(first), 'the same answer (the body read the same in either casing)');
  assertError(await ws.api('POST', SEND, { ...body, Text: 'something else' }, key), 422, 'Wasl:Idempotency:KeyReused');
  await deliver(receiver, 2);
  const timeline = await ok(ws, 'GET', `${CONVERSATIONS}/${conversation.id}/timeline`);
  assert.deepEqual(timeline.items.map((e: Json) => e.body), ['once only', 'مرحبا'], 'sent once');

  // A refused request (window closed for this number) leaves its key free for the corrected retry.
  const refusedKey = { 'idempotency-key': 'first-contact-1' };
  assertError(await ws.api('POST', SEND, { ...body, ToNumber: '+966500654654' }, refusedKey), 422, 'Voxa:WhatsApp:ServiceWindowExpired');
  await customerWrites(ws, channel.id, '+966500654654');
  assert.equal((await ws.api('POST', SEND, { ...body, ToNumber: '+966500654654' }, refusedKey)).statusCode, 200);

  // Keys belong to their workspace: another uses the same key for its own send.
  const other = await setup();
  await customerWrites(other.ws, other.channel.id, '+966500321321');
  const theirs = await other.ws.api('POST', SEND, { ...body, ChannelId: other.channel.id }, key);
  assert.equal(theirs.statusCode, 200);
  assert.equal(theirs.headers['idempotent-replayed'], undefined);

  // After 24 hours the key is free again (a new window for the customer first).
  h.clock.advance(24 * 3_600_000);
  await customerWrites(ws, channel.id, '+966500321321');
  const later = await ws.api('POST', SEND, body, key);
  assert.equal(later.statusCode, 200, later.body);
  assert.equal(later.headers['idempotent-replayed'], undefined);
  assert.notEqual(json(later).conversationEventId, json(first).conversationEventId);

  for (const bad of ['has spaces in it', 'x'.repeat(256), 'naïve']) {
    assertError(await ws.api('POST', SEND, body, { 'idempotency-key': bad }), 400, 'Wasl:ValidationFailed', ['Idempotency-Key']);
  }
});

test('Idempotency-Key under concurrency: one send; the others 409 (still running) or the replayed answer; a dead request leaves its key free at once', async () => {
  const { ws, channel } = await setup();
  const conversation = await customerWrites(ws, channel.id, '+966500987987');
  const body = { channelId: channel.id, text: 'exactly once', toNumber: '+966500987987' };
  const key = { 'idempotency-key': 'concurrent-1' };
  const answers = await Promise.all(Array.from({ length: 8 }, () => ws.api('POST', SEND, body, key)));
  for (const a of answers) assert.ok(a.statusCode === 200 || a.statusCode === 409, `${a.statusCode} ${a.body}`);
  for (const a of answers.filter((x) => x.statusCode === 409)) assertError(a, 409, 'Wasl:Idempotency:InProgress');
  const sent = answers.filter((a) => a.statusCode === 200);
  assert.equal(sent.filter((a) => a.headers['idempotent-replayed'] === undefined).length, 1, 'one request did the work');
  assert.equal(new Set(sent.map((a) => json(a).conversationEventId)).size, 1);
  const timeline = await ok(ws, 'GET', `${CONVERSATIONS}/${conversation.id}/timeline`);
  assert.equal(timeline.items.filter((e: Json) => e.body === 'exactly once').length, 1);

  // A request still running elsewhere holds the key's lock (here a session of our own, on PostgreSQL:
  // the embedded store has one connection); when its node dies the lock goes with it, and the key is free at once.
  if (process.env.DATABASE_URL) {
    const elsewhere = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await elsewhere.connect();
    await elsewhere.query('BEGIN');
    await elsewhere.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`idempotency:${ws.id}:held-1`]);
    assertError(await ws.api('POST', SEND, body, { 'idempotency-key': 'held-1' }), 409, 'Wasl:Idempotency:InProgress');
    await elsewhere.end(); // the session ends without committing: what a SIGKILLed node's connection does
    const taken = await ws.api('POST', SEND, body, { 'idempotency-key': 'held-1' });
    assert.equal(taken.statusCode, 200, taken.body);
    assert.equal(taken.headers['idempotent-replayed'], undefined);
  }
});

test('a throttled send (130429) waits for the provider and stays Pending; it is not failed before its last attempt', async () => {
  const { ws, channel, receiver } = await setup();
  await customerWrites(ws, channel.id, '+966550130429');
  const sent = await ok(ws, 'POST', SEND, { channelId: channel.id, text: 'slow down', toNumber: '+966550130429' });
  await deliver(receiver, 1);
  for (let round = 0; round < 5; round++) {
    await worker.drain(150);
    h.clock.advance(13);
  }
  const job = await h.store.db.selectFrom('jobs').select(['status', 'attempts', 'run_at']).where('name', '=', 'whatsapp.send').where(sql<boolean>`payload->>'eventId' = ${sent.conversationEventId}`).executeTakeFirstOrThrow();
  assert.equal(job.status, 'pending');
  assert.equal(job.attempts, 1);
  assert.ok(job.run_at.getTime() - h.clock.now().getTime() > 50_000, 'retried after the provider’s delay, not at once');
  const timeline = await ok(ws, 'GET', `${CONVERSATIONS}/${sent.conversationId}/timeline`);
  assert.equal(timeline.items[0].status, 'Pending');
  assert.deepEqual(receiver.received.map((r) => (JSON.parse(r.body) as Json).status), ['Pending'], 'no Failed webhook yet');
});
