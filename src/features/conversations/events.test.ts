import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { Webhook } from 'standardwebhooks';
import { assertError } from '../../../test/helpers/assert.js';
import { build, json, type Workspace } from '../../../test/helpers/build.js';
import { CONVERSATIONS, conversationSetup, openConversation } from '../../../test/helpers/conversations.js';
import { startReceiver, type Receiver } from '../../../test/helpers/receiver.js';

/**
 * Workspace events of conversations (spec §4.4, conversations.webhooks.ts): each sent signed to
 * the events URL in the `{eventType, data}` envelope, with the documented payload, once per
 * change and never for a refused one or a no-op; concurrent creates make one of each.
 */

const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true' });
const worker = await h.worker({ pollMs: 60_000 });
const SECRET = 'conversation-events-secret-0123';

// The served document as one schema resource (as test/openapi.test.ts does).
const doc = json(await h.app.inject({ method: 'GET', url: '/openapi.json' }));
const ROOT = 'https://wasl.invalid/openapi.json';
const ajv = new Ajv2020({ strict: false, allErrors: true });
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (a: Ajv2020) => Ajv2020;
addFormats(ajv);
ajv.addSchema({ ...doc, $id: ROOT });

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;
interface Event {
  eventType: string;
  data: Json;
}

/** The event matches its documented schema, names exactly the documented fields, and the envelope validates. */
function documented(event: Event) {
  const name = `${event.eventType}Webhook`;
  const schema = doc.components.schemas[name];
  assert.ok(schema, `${name} is documented`);
  assert.deepEqual(Object.keys(event.data).sort(), Object.keys(schema.properties).sort(), `${name}: the fields sent are the fields documented`);
  for (const [ref, value] of [[name, event.data], ['WorkspaceEventWebhook', event]] as const) {
    const check = ajv.getSchema(`${ROOT}#/components/schemas/${ref}`)!;
    assert.ok(check(value), `${ref}: ${JSON.stringify(check.errors)} ${JSON.stringify(value)}`);
  }
}

/** Signed with SECRET: X-Voxa-Signature (hex HMAC-SHA256 of the raw body) and Standard Webhooks. */
function signed(receiver: Receiver, index: number) {
  const { headers, body } = receiver.received[index]!;
  assert.equal(headers['content-type'], 'application/json');
  assert.equal(headers['x-voxa-signature'], createHmac('sha256', SECRET).update(body).digest('hex'));
  const std = { 'webhook-id': String(headers['webhook-id']), 'webhook-timestamp': String(headers['webhook-timestamp']), 'webhook-signature': String(headers['webhook-signature']) };
  assert.deepEqual(new Webhook(`whsec_${Buffer.from(SECRET).toString('base64')}`).verify(body, std), JSON.parse(body));
  assert.throws(() => new Webhook(`whsec_${Buffer.from('another-secret-0123456').toString('base64')}`).verify(body, std), 'another secret fails');
}

/** A conversation workspace whose events URL is a local receiver, signed with SECRET. */
async function hooked() {
  h.clock.set(new Date()); // Standard Webhooks checks the timestamp against the real time
  const setup = await conversationSetup(h);
  const receiver = await startReceiver();
  const res = await h.admin('PATCH', `/admin/v1/workspaces/${setup.ws.id}`, { eventsWebhookUrl: receiver.url('/events'), webhookSecret: SECRET });
  assert.equal(res.statusCode, 200, res.body);
  return { ...setup, receiver };
}

/** Sends what is due and answers the `count` events that arrived since `from` (checked: signed, documented). */
async function arrived(receiver: Receiver, from: number, count: number): Promise<Event[]> {
  await worker.drain();
  await receiver.waitFor(from + count);
  await worker.drain();
  assert.equal(receiver.received.length, from + count, `no more than expected: ${receiver.received.slice(from).map((r) => r.body.slice(0, 60)).join(' | ')}`);
  const events: Event[] = [];
  for (let i = from; i < from + count; i++) {
    signed(receiver, i);
    const event = JSON.parse(receiver.received[i]!.body) as Event;
    if (event.eventType !== 'ContactCreated') documented(event);
    events.push(event);
  }
  return events;
}
/** The one event of this type among `events`. */
function only(events: Event[], type: string): Json {
  const found = events.filter((e) => e.eventType === type);
  assert.equal(found.length, 1, `one ${type} in ${events.map((e) => e.eventType)}`);
  return found[0]!.data;
}
/** Nothing was sent since `from` once everything due is done. */
async function quiet(receiver: Receiver, from: number, why: string) {
  await worker.drain();
  assert.equal(receiver.received.length, from, `${why}: ${receiver.received.slice(from).map((r) => r.body.slice(0, 80)).join(' | ')}`);
}
async function call(ws: Workspace, path: string, body?: unknown): Promise<Json> {
  const res = await ws.api('POST', `${CONVERSATIONS}/${path}`, body);
  assert.equal(res.statusCode, 200, `${path}: ${res.body}`);
  return json(res);
}
const ids = (c: Json) => ({ id: c.id, conversationId: c.id, workspaceId: c.workspaceId, channelId: c.channelId, contactId: c.contactId });

test('ConversationCreated: the conversation as Create answers it, signed; once per new conversation, never for create-or-get', async () => {
  const { ws, channel, sara, receiver } = await hooked();
  const created = await openConversation(ws, channel.id, '+966500100001', { ContactName: 'Hana' });
  const first = await arrived(receiver, 0, 2);
  assert.deepEqual(only(first, 'ConversationCreated'), created.conversation);
  assert.equal(only(first, 'ContactCreated').id, created.contactId);

  const again = await openConversation(ws, channel.id, '0500100001', { ContactName: 'Other' });
  assert.equal(again.conversation.id, created.conversation.id);
  await quiet(receiver, 2, 'create-or-get of the open conversation sends nothing');

  // The same contact on a second channel: a new conversation, no new contact.
  const second = json(await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'Second', type: 2, phoneNumber: '+966500000002' }));
  const other = await openConversation(ws, second.id, '+966500100001');
  assert.equal(other.contactId, created.contactId);
  const [onSecond] = await arrived(receiver, 2, 1);
  assert.deepEqual(onSecond, { eventType: 'ConversationCreated', data: other.conversation });

  // Created with an assignee: created (as it was made), then assigned.
  const assigned = await openConversation(ws, channel.id, '+966500100002', { AssignToUserId: sara.userId });
  const events = await arrived(receiver, 3, 3);
  assert.deepEqual(only(events, 'ConversationCreated'), { ...assigned.conversation, assigneeId: null, assigneeName: null });
  const change = only(events, 'AssignedUserIdChanged');
  assert.deepEqual([change.id, change.assignedUserId, change.previousAssignedUserId], [assigned.conversation.id, sara.id, null]);
  assert.equal(assigned.conversation.assigneeId, sara.id);
});

test('AssignedUserIdChanged: the documented payload for a user, an AI agent and nobody; nothing when the assignment stays', async () => {
  const { ws, channel, sara, omar, agent, receiver } = await hooked();
  const { conversation } = await openConversation(ws, channel.id, '+966500100010');
  await arrived(receiver, 0, 2);
  const base = { ...ids({ ...conversation, workspaceId: ws.id }), assignedTeamId: null, assignedByUserId: null, assignedByUserName: ws.clientId };

  const steps: [Json, Json][] = [
    [{ AssignedUserId: sara.userId }, { assignedUserId: sara.id, assignedAiAgentId: null, previousAssignedUserId: null, previousAssignedAiAgentId: null, status: 1 }],
    [{ assignedUserId: omar.id, assignedAiAgentId: null }, { assignedUserId: omar.id, assignedAiAgentId: null, previousAssignedUserId: sara.id, previousAssignedAiAgentId: null, status: 1 }],
    [{ assignedAiAgentId: agent.id }, { assignedUserId: null, assignedAiAgentId: agent.id, previousAssignedUserId: omar.id, previousAssignedAiAgentId: null, status: 1 }],
    [{}, { assignedUserId: null, assignedAiAgentId: null, previousAssignedUserId: null, previousAssignedAiAgentId: agent.id, status: 1 }],
  ];
  let from = 2;
  for (const [body, expected] of steps) {
    h.clock.advance(1000);
    assert.deepEqual(await call(ws, `${conversation.id}/assign`, body), {});
    const [event] = await arrived(receiver, from++, 1);
    assert.deepEqual(event, { eventType: 'AssignedUserIdChanged', data: { ...base, ...expected, creationTime: h.clock.now().toISOString() } }, JSON.stringify(body));
  }

  await call(ws, `${conversation.id}/assign`, { assignedUserId: null, assignedAiAgentId: null });
  await call(ws, `${conversation.id}/assign`, { assignedUserId: sara.id });
  await arrived(receiver, from++, 1);
  await call(ws, `${conversation.id}/assign`, { AssignedUserId: sara.userId.toUpperCase() });
  await quiet(receiver, from, 'unassigning the unassigned, or assigning the same user (any spelling), sends nothing');
  const timeline = json(await ws.api('GET', `${CONVERSATIONS}/${conversation.id}/timeline`));
  assert.equal(timeline.totalCount, 5, 'and writes no Assignation event');

  // `status` is the conversation's: 2 once closed.
  await call(ws, `${conversation.id}/close`);
  await arrived(receiver, from++, 1);
  await call(ws, `${conversation.id}/assign`, { assignedUserId: omar.id });
  const [closed] = await arrived(receiver, from, 1);
  assert.deepEqual([closed!.eventType, closed!.data.status, closed!.data.previousAssignedUserId], ['AssignedUserIdChanged', 2, sara.id]);
});

test('ConversationStatusChanged: close, reopen, and the reopen an inbound customer event causes; nothing when unchanged', async () => {
  const { ws, channel, receiver } = await hooked();
  const { conversation } = await openConversation(ws, channel.id, '+966500100020');
  await arrived(receiver, 0, 2);
  const base = ids({ ...conversation, workspaceId: ws.id });
  const byApi = { changedByUserId: null, changedByName: ws.clientId };

  h.clock.advance(1000);
  assert.equal((await call(ws, `${conversation.id}/close`)).status, 'Closed');
  const [closed] = await arrived(receiver, 2, 1);
  assert.deepEqual(closed, { eventType: 'ConversationStatusChanged', data: { ...base, status: 2, previousStatus: 1, ...byApi, creationTime: h.clock.now().toISOString() } });
  await call(ws, `${conversation.id}/close`);
  await quiet(receiver, 3, 'closing a closed conversation sends nothing');

  h.clock.advance(1000);
  assert.equal((await call(ws, `${conversation.id}/reopen`)).status, 'Open');
  const [reopened] = await arrived(receiver, 3, 1);
  assert.deepEqual(reopened, { eventType: 'ConversationStatusChanged', data: { ...base, status: 1, previousStatus: 2, ...byApi, creationTime: h.clock.now().toISOString() } });
  await call(ws, `${conversation.id}/reopen`);
  await quiet(receiver, 4, 'reopening an open conversation sends nothing');

  await call(ws, `${conversation.id}/close`);
  await arrived(receiver, 4, 1);
  const c = h.app.container;
  const append = (direction: number, body: string) =>
    c.transaction((trx) => c.conversationEvents.append(trx, { workspaceId: ws.id, conversationId: conversation.id, sourceType: 2, direction, body, status: direction === 1 ? 'Received' : 'Sent', messageType: 'Text' }));
  await append(2, 'we are closed');
  await quiet(receiver, 5, 'an outbound message leaves it closed');
  assert.equal(json(await ws.api('GET', `${CONVERSATIONS}/${conversation.id}`)).status, 'Closed');

  h.clock.advance(1000);
  await append(1, 'hello again');
  const [byCustomer] = await arrived(receiver, 5, 1);
  assert.deepEqual(byCustomer, {
    eventType: 'ConversationStatusChanged',
    data: { ...base, status: 1, previousStatus: 2, changedByUserId: null, changedByName: null, creationTime: h.clock.now().toISOString() },
  });
  assert.equal(json(await ws.api('GET', `${CONVERSATIONS}/${conversation.id}`)).status, 'Open');
  await append(1, 'still there?');
  await quiet(receiver, 6, 'an inbound message on an open conversation changes no status');
});

test('ConversationTagsChanged: the set, what was added and removed; nothing when the set is unchanged', async () => {
  const { ws, channel, receiver } = await hooked();
  const tag = async (name: string) => json(await ws.api('POST', '/v1/tags/service-account', { name })).id as string;
  const [a, b, c] = [await tag('VIP'), await tag('Lead'), await tag('Late')];
  const { conversation } = await openConversation(ws, channel.id, '+966500100030');
  await arrived(receiver, 0, 2);
  const base = { ...ids({ ...conversation, workspaceId: ws.id }), changedByUserId: null, changedByName: ws.clientId };

  const steps: [string[], string[], string[], string[]][] = [
    [[a, b], [a, b], [a, b], []],
    [[b, c], [b, c], [c], [a]],
    [[], [], [], [b, c]],
  ];
  let from = 2;
  for (const [tagIds, set, added, removed] of steps) {
    h.clock.advance(1000);
    const answer = await call(ws, `${conversation.id}/tags`, { tagIds });
    assert.deepEqual(answer.tags.map((t: Json) => t.id).sort(), [...set].sort());
    const [event] = await arrived(receiver, from++, 1);
    assert.equal(event!.eventType, 'ConversationTagsChanged');
    const { removedTagIds, ...rest } = event!.data;
    assert.deepEqual(rest, { ...base, tagIds: set, addedTagIds: added, creationTime: h.clock.now().toISOString() });
    assert.deepEqual([...removedTagIds].sort(), [...removed].sort());
  }

  await call(ws, `${conversation.id}/tags`, { tagIds: [] });
  await call(ws, `${conversation.id}/tags`, { tagIds: [c, a] });
  await arrived(receiver, from++, 1);
  await call(ws, `${conversation.id}/tags`, { TagIds: [a, c.toUpperCase(), a] });
  await quiet(receiver, from, 'the same set (any order, spelling or repetition) sends nothing');
});

test('a refused change sends nothing and writes nothing', async () => {
  const { ws, channel, sara, agent, receiver } = await hooked();
  const mine = await openConversation(ws, channel.id, '+966500100040');
  await arrived(receiver, 0, 2);
  const tagId = json(await ws.api('POST', '/v1/tags/service-account', { name: 'Kept' })).id;
  await call(ws, `${mine.conversation.id}/tags`, { tagIds: [tagId] });
  await call(ws, `${mine.conversation.id}/assign`, { assignedUserId: sara.id });
  await call(ws, `${mine.conversation.id}/close`);
  const other = await openConversation(ws, channel.id, '+966500100040');
  await arrived(receiver, 2, 4);
  const id = mine.conversation.id;
  const state = async () => ({
    conversation: json(await ws.api('GET', `${CONVERSATIONS}/${id}`)),
    timeline: json(await ws.api('GET', `${CONVERSATIONS}/${id}/timeline?MaxResultCount=100`)),
    list: json(await ws.api('GET', `${CONVERSATIONS}/channels/${channel.id}`)),
  });
  const before = await state();

  const missing = '01890000-0000-7000-8000-000000000000';
  assertError(await ws.api('POST', `${CONVERSATIONS}/${id}/assign`, { assignedUserId: sara.id, assignedAiAgentId: agent.id }), 422, 'Wasl:Conversation:BothAssignees');
  assertError(await ws.api('POST', `${CONVERSATIONS}/${id}/assign`, { assignedUserId: missing }), 400, 'Wasl:ValidationFailed', ['assignedUserId']);
  assertError(await ws.api('POST', `${CONVERSATIONS}/${id}/assign`, { assignedAiAgentId: sara.id }), 400, 'Wasl:ValidationFailed', ['assignedAiAgentId']);
  assertError(await ws.api('POST', `${CONVERSATIONS}/${id}/tags`, { tagIds: [missing] }), 400, 'Wasl:ValidationFailed', ['tagIds']);
  assertError(await ws.api('POST', `${CONVERSATIONS}/${id}/reopen`), 409, 'Wasl:Conversation:AlreadyOpen');
  assertError(await ws.api('POST', `${CONVERSATIONS}/${missing}/close`), 404, 'Wasl:Conversation:NotFound');
  assertError(await ws.api('POST', `${CONVERSATIONS}/create`, { ChannelId: channel.id, PhoneNumber: '+966500100041', AssignToUserId: sara.id, AssignToAiAgentId: agent.id }), 422, 'Wasl:Conversation:BothAssignees');
  assertError(await ws.api('POST', `${CONVERSATIONS}/create`, { ChannelId: channel.id, PhoneNumber: '+966500100042', AssignToAiAgentId: missing }), 400, 'Wasl:ValidationFailed', ['assignToAiAgentId']);
  assertError(await ws.api('POST', `${CONVERSATIONS}/create`, { ChannelId: missing, PhoneNumber: '+966500100043' }), 404, 'Wasl:Channel:NotFound');

  await quiet(receiver, 6, 'no event for a refused change');
  assert.deepEqual(await state(), before, 'nothing written');
  assert.equal(json(await ws.api('GET', '/v1/contacts')).totalCount, 1, 'no contact made by a refused create');
  assert.equal(json(await ws.api('GET', `${CONVERSATIONS}/${other.conversation.id}`)).status, 'Open');
});

/** How many deliveries of this event type the workspace has (one per event: one events URL). */
async function deliveries(ws: Workspace, eventType: string) {
  const res = await h.admin('GET', `/admin/v1/webhooks/deliveries?workspaceId=${ws.id}&eventType=${eventType}&MaxResultCount=1`);
  assert.equal(res.statusCode, 200, res.body);
  return json(res).totalCount as number;
}

test('20 concurrent creates for one new number: one contact, one conversation, one ContactCreated and one ConversationCreated', async () => {
  const { ws, channel, receiver } = await hooked();
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => ws.api('POST', `${CONVERSATIONS}/create`, { ChannelId: channel.id, PhoneNumber: '+966500100050', ContactName: `Racer ${i}` })));
  assert.deepEqual(results.map((r) => r.statusCode), Array(20).fill(200), results.map((r) => r.body).join('\n'));
  const answers = results.map((r) => json(r));
  assert.equal(new Set(answers.map((a) => a.conversation.id)).size, 1, 'one conversation');
  assert.equal(new Set(answers.map((a) => a.contactId)).size, 1, 'one contact');
  assert.equal(json(await ws.api('GET', '/v1/contacts')).totalCount, 1);
  assert.equal(json(await ws.api('GET', `${CONVERSATIONS}/channels/${channel.id}`)).totalCount, 1);
  assert.deepEqual([await deliveries(ws, 'ContactCreated'), await deliveries(ws, 'ConversationCreated')], [1, 1]);
  const events = await arrived(receiver, 0, 2);
  assert.equal(only(events, 'ConversationCreated').id, answers[0]!.conversation.id);
  assert.equal(only(events, 'ContactCreated').id, answers[0]!.contactId);
});

test('20 concurrent creates for 20 numbers: 20 conversations, 20 ConversationCreated', async () => {
  const { ws, channel, receiver } = await hooked();
  const phones = Array.from({ length: 20 }, (_, i) => `+9665001001${String(i).padStart(2, '0')}`);
  const results = await Promise.all(phones.map((PhoneNumber) => ws.api('POST', `${CONVERSATIONS}/create`, { ChannelId: channel.id, PhoneNumber })));
  assert.deepEqual(results.map((r) => r.statusCode), Array(20).fill(200), results.map((r) => r.body).join('\n'));
  const answers = results.map((r) => json(r));
  assert.equal(new Set(answers.map((a) => a.conversation.id)).size, 20);
  assert.deepEqual(answers.map((a) => a.conversation.phoneNumber), phones);
  const list = json(await ws.api('GET', `${CONVERSATIONS}/channels/${channel.id}?MaxResultCount=50`));
  assert.equal(list.totalCount, 20);
  assert.deepEqual(list.items.map((c: Json) => c.id).sort(), answers.map((a) => a.conversation.id).sort());
  assert.deepEqual([await deliveries(ws, 'ContactCreated'), await deliveries(ws, 'ConversationCreated')], [20, 20]);
  const events = await arrived(receiver, 0, 40);
  assert.deepEqual(events.filter((e) => e.eventType === 'ConversationCreated').map((e) => e.data.id).sort(), answers.map((a) => a.conversation.id).sort());
});
