import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertError } from '../../../test/helpers/assert.js';
import { build, json, type Workspace } from '../../../test/helpers/build.js';
import { CONVERSATIONS, conversationSetup, openConversation } from '../../../test/helpers/conversations.js';
import type { EventPatch, NewEvent } from './events.service.js';

// A private events URL lets a workspace's events be written (as deliveries) without a receiver.
const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true' });
const c = h.app.container;
const MISSING = '01890000-0000-7000-8000-000000000000';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

/** Appends events through the producers' API, each in its own transaction (or all in one). */
const append = (ws: Workspace, conversationId: string, ...events: Omit<NewEvent, 'workspaceId' | 'conversationId'>[]) =>
  c.transaction(async (trx) => {
    const out = [];
    for (const e of events) out.push((await c.conversationEvents.append(trx, { workspaceId: ws.id, conversationId, ...e })).event);
    return out;
  });
const update = (ws: Workspace, eventId: string, patch: EventPatch) => c.transaction((trx) => c.conversationEvents.update(trx, ws.id, eventId, patch));

const timeline = async (ws: Workspace, id: string, query = 'Sorting=CreationTime ASC&MaxResultCount=100') => {
  const res = await ws.api('GET', `${CONVERSATIONS}/${id}/timeline?${query}`);
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
};
/** The conversation as List Conversations shows it (LastEvent*, unreadCount, isLost). */
async function item(ws: Workspace, channelId: string, id: string): Promise<Json> {
  const res = await ws.api('GET', `${CONVERSATIONS}/channels/${channelId}?MaxResultCount=100`);
  assert.equal(res.statusCode, 200, res.body);
  const found = json(res).items.find((i: Json) => i.id === id);
  assert.ok(found, `conversation ${id} is listed`);
  return found;
}
const lastEvent = (i: Json) => ({
  sourceType: i.lastEventSourceType,
  direction: i.lastEventDirection,
  status: i.lastEventStatus,
  preview: i.lastEventPreviewBody,
  at: i.lastEventOccurredAt,
  count: i.lastEventsCount,
});
/** Advances the clock a second and answers the new time. */
const tick = () => {
  h.clock.advance(1000);
  return h.clock.now();
};

const TIMELINE_KEYS = [
  'aiAgentId', 'aiSummary', 'assignation', 'attachment', 'body', 'channelId', 'contactId', 'conversationId', 'creationTime', 'direction', 'durationOrSize',
  'errorCode', 'eventId', 'failureReason', 'handlerName', 'internalThread', 'isAi', 'location', 'messageId', 'messageType', 'mimeType', 'ownerUserId',
  'replyTo', 'ringingDuration', 'sourceId', 'sourceType', 'status',
];

test('timeline: PagedResultOfConversationTimelineDto in camelCase, every field of ConversationTimelineDto and its nested DTOs', async () => {
  const { ws, channel, sara, agent } = await conversationSetup(h);
  const { conversation, contactId } = await openConversation(ws, channel.id, '+966500300001', { ContactName: 'Layla' });
  const id = conversation.id;
  const callId = '01900000-0000-7000-8000-0000000000c1';
  const base = { conversationId: id, contactId, channelId: channel.id };

  const callAt = tick();
  const [call] = await append(ws, id, {
    sourceType: 1, direction: 1, at: callAt, sourceId: callId, status: 'Answered', durationSeconds: 150, ringingSeconds: 15,
    attachment: 'https://media.example.com/rec.mp3', ownerUserId: sara.id, handlerName: 'Sara', aiSummary: { summary: 'Asked about prices', transcription: 'Hello…' },
  });
  const inAt = tick();
  const [inbound] = await append(ws, id, { sourceType: 2, direction: 1, at: inAt, status: 'Received', body: 'Where are you?', messageType: 'Text', externalId: 'wamid.IN1' });
  const outAt = tick();
  const [reply] = await append(ws, id, {
    sourceType: 2, direction: 2, at: outAt, status: 'Failed', errorCode: 131047, failureReason: 'Re-engagement message', isAi: true, aiAgentId: agent.id,
    messageType: 'Location', mimeType: 'image/jpeg', sizeBytes: 2048, attachment: 'https://media.example.com/map.jpg', externalId: 'wamid.OUT1',
    replyToEventId: inbound!.id, location: { latitude: 24.7136, longitude: 46.6753, name: 'Head office', address: 'King Fahd Rd, Riyadh' },
  });
  tick();
  assert.equal((await ws.api('POST', `${CONVERSATIONS}/${id}/assign`, { AssignedUserId: sara.id })).statusCode, 200);
  const noteAt = tick();
  const note = await ws.api('POST', `${CONVERSATIONS}/${id}/notes`, { text: 'VIP, call back' });
  assert.equal(note.statusCode, 200, note.body);
  tick();
  for (const messageBody of ['Who takes this?', 'Me']) {
    assert.equal((await ws.api('POST', `/v1/conversations/events/${call!.id}/threads/messages`, { messageBody })).statusCode, 200);
  }

  const page = await timeline(ws, id);
  assert.deepEqual(Object.keys(page).sort(), ['items', 'totalCount']);
  assert.equal(page.totalCount, 5);
  for (const e of page.items) assert.deepEqual(Object.keys(e).sort(), TIMELINE_KEYS, 'every field, camelCase, even when null');
  const [callItem, inItem, replyItem, assignItem, noteItem] = page.items;

  const thread = json(await ws.api('GET', `/v1/conversations/events/${call!.id}/threads/messages`)).thread;
  assert.deepEqual(callItem, {
    ...base, eventId: call!.id, sourceType: 1, sourceId: callId, direction: 1, creationTime: callAt.toISOString(), status: 'Answered', errorCode: null,
    failureReason: null, isAi: false, attachment: 'https://media.example.com/rec.mp3', ownerUserId: sara.id, aiAgentId: null, durationOrSize: '00:02:30',
    ringingDuration: '00:00:15', body: null, handlerName: 'Sara', aiSummary: { summary: 'Asked about prices', transcription: 'Hello…' }, replyTo: null,
    internalThread: { id: thread.id, isResolved: false, messageCount: 2 }, location: null, assignation: null, messageType: null, mimeType: null, messageId: null,
  });
  assert.deepEqual(inItem, {
    ...base, eventId: inbound!.id, sourceType: 2, sourceId: null, direction: 1, creationTime: inAt.toISOString(), status: 'Received', errorCode: null,
    failureReason: null, isAi: false, attachment: null, ownerUserId: null, aiAgentId: null, durationOrSize: null, ringingDuration: null, body: 'Where are you?',
    handlerName: null, aiSummary: null, replyTo: null, internalThread: null, location: null, assignation: null, messageType: 'Text', mimeType: null, messageId: 'wamid.IN1',
  });
  assert.deepEqual(replyItem, {
    ...base, eventId: reply!.id, sourceType: 2, sourceId: null, direction: 2, creationTime: outAt.toISOString(), status: 'Failed', errorCode: 131047,
    failureReason: 'Re-engagement message', isAi: true, attachment: 'https://media.example.com/map.jpg', ownerUserId: null, aiAgentId: agent.id,
    durationOrSize: '2048', ringingDuration: null, body: null, handlerName: null, aiSummary: null,
    replyTo: { repliedToEventId: inbound!.id, repliedToBody: 'Where are you?' }, internalThread: null,
    location: { latitude: 24.7136, longitude: 46.6753, name: 'Head office', address: 'King Fahd Rd, Riyadh' }, assignation: null,
    messageType: 'Location', mimeType: 'image/jpeg', messageId: 'wamid.OUT1',
  });
  assert.equal(assignItem.sourceType, 3);
  assert.equal(assignItem.direction, 3);
  assert.deepEqual(assignItem.assignation, {
    assignedUserId: sara.id, assignedUserName: 'Sara', assignedAiAgentId: null, assignedAiAgentName: null, assignedByUserId: null, assignedByUserName: ws.clientId,
  });
  assert.deepEqual(noteItem, json(note), 'the note as POST …/notes answered it');
  assert.deepEqual([noteItem.sourceType, noteItem.direction, noteItem.body, noteItem.handlerName, noteItem.creationTime], [4, 3, 'VIP, call back', ws.clientId, noteAt.toISOString()]);
});

test('timeline: Sorting ASC / DESC, paging, totalCount; a bad Sorting → 400; a missing or another workspace\'s conversation → 404', async () => {
  const { ws, channel } = await conversationSetup(h);
  const { conversation } = await openConversation(ws, channel.id, '+966500300002');
  const id = conversation.id;
  const at = h.clock.now().getTime();
  // Appended out of order: the timeline is ordered by when events happened.
  const events = await append(ws, id, ...[3, 1, 4, 0, 2].map((i) => ({ sourceType: 2, direction: 1, body: `m${i}`, at: new Date(at + i * 1000) })));
  assert.equal(events.length, 5);

  const bodies = (p: Json) => p.items.map((e: Json) => e.body);
  assert.deepEqual(bodies(await timeline(ws, id, 'Sorting=CreationTime ASC')), ['m0', 'm1', 'm2', 'm3', 'm4']);
  assert.deepEqual(bodies(await timeline(ws, id, 'Sorting=CreationTime DESC')), ['m4', 'm3', 'm2', 'm1', 'm0']);
  assert.deepEqual(bodies(await timeline(ws, id, 'sorting=creationTime desc')), ['m4', 'm3', 'm2', 'm1', 'm0'], 'names and values in any case');
  assert.deepEqual(bodies(await timeline(ws, id, '')), ['m4', 'm3', 'm2', 'm1', 'm0'], 'newest first by default');

  const second = await timeline(ws, id, 'Sorting=CreationTime ASC&SkipCount=2&MaxResultCount=2');
  assert.equal(second.totalCount, 5);
  assert.deepEqual(bodies(second), ['m2', 'm3']);
  const last = await timeline(ws, id, 'Sorting=CreationTime DESC&SkipCount=4&MaxResultCount=2');
  assert.deepEqual([last.totalCount, bodies(last)], [5, ['m0']]);
  const beyond = await timeline(ws, id, 'SkipCount=10');
  assert.deepEqual([beyond.totalCount, beyond.items], [5, []]);

  assertError(await ws.api('GET', `${CONVERSATIONS}/${id}/timeline?Sorting=Body ASC`), 400, 'Wasl:ValidationFailed', ['Sorting']);
  assertError(await ws.api('GET', `${CONVERSATIONS}/${id}/timeline?Sorting=CreationTime SIDEWAYS`), 400, 'Wasl:ValidationFailed', ['Sorting']);
  assertError(await ws.api('GET', `${CONVERSATIONS}/${MISSING}/timeline`), 404, 'Wasl:Conversation:NotFound');
  const other = await h.workspace();
  assertError(await other.api('GET', `${CONVERSATIONS}/${id}/timeline`), 404, 'Wasl:Conversation:NotFound');

  const empty = await openConversation(ws, channel.id, '+966500300003');
  assert.deepEqual(await timeline(ws, empty.conversation.id), { totalCount: 0, items: [] });
});

test('append: lastActivityAt and LastEvent* follow each event; lastEventsCount counts the run; the preview is 200 characters; an earlier event only joins the timeline', async () => {
  const { ws, channel, sara } = await conversationSetup(h);
  const { conversation } = await openConversation(ws, channel.id, '+966500300004');
  const id = conversation.id;
  const state = async () => item(ws, channel.id, id);

  const fresh = await state();
  assert.deepEqual(lastEvent(fresh), { sourceType: null, direction: null, status: null, preview: null, at: null, count: 0 });

  const first = tick();
  await append(ws, id, { sourceType: 2, direction: 1, status: 'Received', body: 'one' });
  await append(ws, id, { sourceType: 2, direction: 1, status: 'Received', body: 'two' });
  const third = tick();
  await append(ws, id, { sourceType: 2, direction: 1, status: 'Received', body: 'three' });
  let now = await state();
  assert.deepEqual(lastEvent(now), { sourceType: 2, direction: 1, status: 'Received', preview: 'three', at: third.toISOString(), count: 3 });
  assert.equal(now.lastActivityAt, third.toISOString());
  assert.ok(first < third);

  const long = `${'ب'.repeat(150)} ${'x'.repeat(100)}`;
  const replyAt = tick();
  await append(ws, id, { sourceType: 2, direction: 2, status: 'Sent', body: long });
  now = await state();
  assert.deepEqual(lastEvent(now), { sourceType: 2, direction: 2, status: 'Sent', preview: long.slice(0, 200), at: replyAt.toISOString(), count: 1 });
  assert.equal([...now.lastEventPreviewBody].length, 200);
  await append(ws, id, { sourceType: 2, direction: 2, status: 'Sent', body: null, messageType: 'Image' });
  assert.deepEqual(lastEvent(await state()).preview, null, 'a message without text has no preview');
  assert.equal(lastEvent(await state()).count, 2);

  // An emoji across the 200th code unit is kept whole or left out, never halved.
  const emoji = `${'a'.repeat(199)}😀 and more`;
  await append(ws, id, { sourceType: 2, direction: 1, body: emoji });
  const preview: string = lastEvent(await state()).preview;
  assert.ok(preview === `${'a'.repeat(199)}😀` || preview === 'a'.repeat(199), `preview ends ${JSON.stringify(preview.slice(-3))}`);
  assert.equal(lastEvent(await state()).count, 1);

  // A call, then an internal event: each kind starts its own run.
  const callAt = tick();
  await append(ws, id, { sourceType: 1, direction: 1, status: 'Missed' });
  assert.deepEqual(lastEvent(await state()), { sourceType: 1, direction: 1, status: 'Missed', preview: null, at: callAt.toISOString(), count: 1 });
  const assignAt = tick();
  assert.equal((await ws.api('POST', `${CONVERSATIONS}/${id}/assign`, { AssignedUserId: sara.id })).statusCode, 200);
  now = await state();
  assert.deepEqual(lastEvent(now), { sourceType: 3, direction: 3, status: null, preview: null, at: assignAt.toISOString(), count: 1 });
  assert.equal(now.lastActivityAt, assignAt.toISOString(), 'every kind of event is activity');

  // An event from before the last one (a late webhook): in the timeline, not the last event.
  const before = now;
  await append(ws, id, { sourceType: 2, direction: 1, status: 'Received', body: 'late', at: new Date(callAt.getTime() - 500) });
  now = await state();
  assert.deepEqual(lastEvent(now), lastEvent(before));
  assert.equal(now.lastActivityAt, before.lastActivityAt);
  const all = await timeline(ws, id);
  assert.equal(all.totalCount, 9);
  assert.deepEqual(all.items.map((e: Json) => e.body).slice(-4), [emoji, 'late', null, null], 'the late message sits where it happened');
  assert.equal(now.unreadCount, 6, 'it is still unread');
});

test('append: unreadCount grows only with inbound calls and messages; POST …/read resets it', async () => {
  const { ws, channel } = await conversationSetup(h);
  const { conversation } = await openConversation(ws, channel.id, '+966500300005');
  const id = conversation.id;
  const unread = async () => (await item(ws, channel.id, id)).unreadCount;

  await append(ws, id, { sourceType: 2, direction: 1, body: 'hi' }, { sourceType: 1, direction: 1, status: 'Missed' });
  assert.equal(await unread(), 2);
  assert.equal(json(await ws.api('GET', `${CONVERSATIONS}/${id}`)).unreadCount, 2, 'Get Conversation shows it too');

  await append(ws, id, { sourceType: 2, direction: 2, body: 'hello', status: 'Sent' }, { sourceType: 1, direction: 2, status: 'Answered' });
  assert.equal((await ws.api('POST', `${CONVERSATIONS}/${id}/notes`, { text: 'noted' })).statusCode, 200);
  await append(ws, id, { sourceType: 3, direction: 3 }, { sourceType: 5, direction: 3, status: 'Open' });
  assert.equal(await unread(), 2, 'outbound, notes, assignations and status changes are not unread');

  const read = await ws.api('POST', `${CONVERSATIONS}/${id}/read`);
  assert.equal(read.statusCode, 200, read.body);
  assert.equal(json(read).unreadCount, 0);
  assert.equal(await unread(), 0);
  await append(ws, id, { sourceType: 2, direction: 1, body: 'again' });
  assert.equal(await unread(), 1);
});

test('append: isLost — inbound message → true, reply → false, inbound missed call → true, answered call → false; a note changes nothing', async () => {
  const { ws, channel, sara } = await conversationSetup(h);
  const { conversation } = await openConversation(ws, channel.id, '+966500300006');
  const id = conversation.id;
  const lost = async () => (await item(ws, channel.id, id)).isLost;
  const lostIds = async () => json(await ws.api('GET', `${CONVERSATIONS}/channels/${channel.id}?IsLost=true`)).items.map((i: Json) => i.id);

  assert.equal(await lost(), false, 'a new conversation is not lost');
  await append(ws, id, { sourceType: 2, direction: 1, body: 'anyone?' });
  assert.equal(await lost(), true);
  assert.deepEqual(await lostIds(), [id], 'the IsLost filter agrees');
  assert.equal((await ws.api('POST', `${CONVERSATIONS}/${id}/notes`, { text: 'looking' })).statusCode, 200);
  assert.equal(await lost(), true, 'an internal note answers nobody');
  await append(ws, id, { sourceType: 2, direction: 2, body: 'yes', status: 'Sent' });
  assert.equal(await lost(), false);
  assert.deepEqual(await lostIds(), []);
  await append(ws, id, { sourceType: 1, direction: 1, status: 'Missed' });
  assert.equal(await lost(), true);
  await append(ws, id, { sourceType: 1, direction: 1, status: 'Answered' });
  assert.equal(await lost(), false);
  await append(ws, id, { sourceType: 1, direction: 1, status: 'NoAnswer' });
  assert.equal(await lost(), true);
  await append(ws, id, { sourceType: 1, direction: 2, status: 'Missed' });
  assert.equal(await lost(), false, 'our own call, even unanswered, is a reply');

  // Messages that arrive late (after an assignment written in the meantime): the flag follows the last customer event by time.
  const t = tick().getTime();
  tick();
  assert.equal((await ws.api('POST', `${CONVERSATIONS}/${id}/assign`, { AssignedUserId: sara.id })).statusCode, 200);
  await append(ws, id, { sourceType: 2, direction: 1, body: 'late question', at: new Date(t) });
  assert.equal(await lost(), true, 'the late inbound message is the last customer event');
  await append(ws, id, { sourceType: 2, direction: 2, body: 'late answer', status: 'Sent', at: new Date(t + 500) });
  assert.equal(await lost(), false);
  await append(ws, id, { sourceType: 2, direction: 1, body: 'later still, but earlier', at: new Date(t + 200) });
  assert.equal(await lost(), false, 'an inbound message before our answer was answered');
  assert.equal((await item(ws, channel.id, id)).lastEventSourceType, 3, 'the assignment stays the last event');
});

test('update: the last event\'s status becomes lastEventStatus (and the lost flag follows); an older event\'s does not', async () => {
  const { ws, channel, sara } = await conversationSetup(h);
  const { conversation } = await openConversation(ws, channel.id, '+966500300007');
  const id = conversation.id;
  const state = async () => item(ws, channel.id, id);

  tick();
  const [older] = await append(ws, id, { sourceType: 2, direction: 2, status: 'Sent', body: 'first' });
  tick();
  const [last] = await append(ws, id, { sourceType: 2, direction: 2, status: 'Sent', body: 'second' });
  tick();
  const updated = await update(ws, last!.id, { status: 'Delivered' });
  assert.equal(updated.status, 'Delivered');
  let now = await state();
  assert.equal(now.lastEventStatus, 'Delivered');
  assert.equal(now.lastEventPreviewBody, 'second');
  assert.equal(now.lastEventsCount, 2, 'an update is not a new event');
  assert.equal(now.lastActivityAt, last!.creation_time.toISOString(), 'nor new activity');

  await update(ws, older!.id, { status: 'Read' });
  now = await state();
  assert.equal(now.lastEventStatus, 'Delivered', 'an older event leaves the last status alone');
  const items = (await timeline(ws, id)).items;
  assert.deepEqual(items.map((e: Json) => e.status), ['Read', 'Delivered'], 'both changed in the timeline');
  assert.equal((await timeline(ws, id)).totalCount, 2);

  await update(ws, last!.id, { status: 'Failed', errorCode: 131026, failureReason: 'Message undeliverable' });
  const failed = (await timeline(ws, id)).items[1];
  assert.deepEqual([failed.status, failed.errorCode, failed.failureReason], ['Failed', 131026, 'Message undeliverable']);
  assert.equal((await state()).lastEventStatus, 'Failed');

  // A call ringing in, then answered: the lost flag follows its outcome.
  const [call] = await append(ws, id, { sourceType: 1, direction: 1, status: 'Ringing' });
  assert.equal((await state()).isLost, true);
  await update(ws, call!.id, { status: 'Answered', durationSeconds: 61, aiSummary: { summary: 'ok', transcription: null } });
  now = await state();
  assert.deepEqual([now.lastEventStatus, now.isLost], ['Answered', false]);
  const answered = (await timeline(ws, id)).items[2];
  assert.deepEqual([answered.durationOrSize, answered.aiSummary], ['00:01:01', { summary: 'ok', transcription: null }]);

  // A call assigned while it rings, then answered: no longer the last event, but still the last customer event.
  tick();
  const [ringing] = await append(ws, id, { sourceType: 1, direction: 1, status: 'Ringing' });
  tick();
  assert.equal((await ws.api('POST', `${CONVERSATIONS}/${id}/assign`, { AssignedUserId: sara.id })).statusCode, 200);
  assert.equal((await state()).isLost, true);
  await update(ws, ringing!.id, { status: 'Answered' });
  now = await state();
  assert.deepEqual([now.lastEventSourceType, now.lastEventStatus, now.isLost], [3, null, false], 'the lost flag follows the call; LastEvent* stays the assignment');
  await update(ws, call!.id, { status: 'Missed' });
  assert.equal((await state()).isLost, false, 'an older call with a customer event after it changes nothing');

  await assert.rejects(update(ws, MISSING, { status: 'Read' }), { code: 'Wasl:ConversationEvent:NotFound' });
  const other = await h.workspace();
  await assert.rejects(update(other, call!.id, { status: 'Missed' }), { code: 'Wasl:ConversationEvent:NotFound' }, "another workspace's event");
});

test('append: an inbound customer event reopens a closed conversation (StatusChange event, ConversationStatusChanged), unless another of the pair is open', async () => {
  const { ws, channel } = await conversationSetup(h);
  const patch = await h.admin('PATCH', `/admin/v1/workspaces/${ws.id}`, { eventsWebhookUrl: 'http://127.0.0.1:9/events' });
  assert.equal(patch.statusCode, 200, patch.body);
  const { conversation } = await openConversation(ws, channel.id, '+966500300008');
  const id = conversation.id;
  const get = async () => json(await ws.api('GET', `${CONVERSATIONS}/${id}`));
  const statusEvents = async () =>
    (await h.store.db.selectFrom('webhook_deliveries').select('body').where('workspace_id', '=', ws.id).where('event_type', '=', 'ConversationStatusChanged').orderBy('creation_time').orderBy('id').execute()).map(
      (d) => JSON.parse(d.body).data,
    );

  tick();
  assert.equal((await ws.api('POST', `${CONVERSATIONS}/${id}/close`)).statusCode, 200);
  tick();
  // Our side writing or noting on a closed conversation leaves it closed.
  await append(ws, id, { sourceType: 2, direction: 2, body: 'follow-up', status: 'Sent' }, { sourceType: 4, direction: 3, body: 'memo' });
  assert.equal((await get()).status, 'Closed');
  assert.equal((await statusEvents()).length, 1);

  const at = tick();
  await append(ws, id, { sourceType: 2, direction: 1, body: 'back again' });
  const reopened = await get();
  assert.equal(reopened.status, 'Open');
  assert.equal((await item(ws, channel.id, id)).closedAt, null);
  const events = await statusEvents();
  assert.equal(events.length, 2);
  assert.deepEqual([events[1].id, events[1].status, events[1].previousStatus], [id, 1, 2]);
  const items = (await timeline(ws, id)).items;
  assert.deepEqual(
    items.map((e: Json) => [e.sourceType, e.direction, e.status]),
    [[5, 3, 'Closed'], [2, 2, 'Sent'], [4, 3, null], [5, 3, 'Open'], [2, 1, null]],
    'the reopening comes just before the message that caused it',
  );
  assert.equal(items[3].creationTime, at.toISOString());
  const state = await item(ws, channel.id, id);
  assert.deepEqual([state.lastEventSourceType, state.lastEventDirection, state.lastEventPreviewBody, state.unreadCount, state.isLost], [2, 1, 'back again', 1, true]);

  // Closed again, and a new conversation opened for the same contact: a late inbound event on the old one leaves it closed.
  tick();
  assert.equal((await ws.api('POST', `${CONVERSATIONS}/${id}/close`)).statusCode, 200);
  const next = await openConversation(ws, channel.id, '+966500300008');
  assert.notEqual(next.conversation.id, id);
  await append(ws, id, { sourceType: 1, direction: 1, status: 'Missed' });
  assert.equal((await get()).status, 'Closed');
  assert.equal(json(await ws.api('GET', `${CONVERSATIONS}/${next.conversation.id}`)).status, 'Open');
  assert.equal((await statusEvents()).length, 3, 'only the close');
  assert.equal((await timeline(ws, id)).totalCount, 7, 'the call is in its timeline');
});

test('timeline paging over 1,000 events appended in one transaction: every page in order, first to last', async () => {
  const { ws, channel } = await conversationSetup(h);
  const { conversation } = await openConversation(ws, channel.id, '+966500300009');
  const id = conversation.id;
  const start = h.clock.now().getTime();
  const N = 1000;
  await append(ws, id, ...Array.from({ length: N }, (_, i) => ({ sourceType: 2, direction: 1 + (i % 2), body: `#${i}`, at: new Date(start + i * 1000) })));

  const state = await item(ws, channel.id, id);
  assert.deepEqual([state.lastEventPreviewBody, state.unreadCount, state.lastEventOccurredAt], [`#${N - 1}`, N / 2, new Date(start + (N - 1) * 1000).toISOString()]);
  const seen: string[] = [];
  for (let skip = 0; skip < N; skip += 300) {
    const page = await timeline(ws, id, `Sorting=CreationTime ASC&SkipCount=${skip}&MaxResultCount=300`);
    assert.equal(page.totalCount, N);
    assert.equal(page.items.length, Math.min(300, N - skip));
    seen.push(...page.items.map((e: Json) => e.body));
  }
  assert.deepEqual(seen, Array.from({ length: N }, (_, i) => `#${i}`));
  const last = await timeline(ws, id, `Sorting=CreationTime DESC&SkipCount=${N - 3}&MaxResultCount=10`);
  assert.deepEqual(last.items.map((e: Json) => e.body), ['#2', '#1', '#0']);
  const newest = await timeline(ws, id, 'Sorting=CreationTime DESC&MaxResultCount=2');
  assert.deepEqual(newest.items.map((e: Json) => e.body), [`#${N - 1}`, `#${N - 2}`]);
});
