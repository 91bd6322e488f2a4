import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertError } from '../../../test/helpers/assert.js';
import { build, json } from '../../../test/helpers/build.js';
import { CONVERSATIONS, conversationSetup, openConversation } from '../../../test/helpers/conversations.js';

const h = await build();
const MISSING = '01890000-0000-7000-8000-000000000000';

const CONVERSATION_KEYS = [
  'assignedAiAgentId', 'assigneeId', 'assigneeName', 'channel', 'channelId', 'contactId', 'contactName', 'contactType', 'id', 'isAiAssignee',
  'lastActivityAt', 'phoneNumber', 'sentiment', 'status', 'tags', 'unreadCount',
];

test('create: finds or creates the contact, answers {conversation, contactId} with string enums; a second call returns the same', async () => {
  const { ws, channel } = await conversationSetup(h);
  const now = h.clock.now().toISOString();
  const first = await openConversation(ws, channel.id, '+966500888777', { ContactName: 'Ahmed Ali', AssignToUserId: null, AssignToAiAgentId: null });
  assert.deepEqual(Object.keys(first).sort(), ['contactId', 'conversation']);
  const c = first.conversation;
  assert.deepEqual(Object.keys(c).sort(), CONVERSATION_KEYS);
  assert.equal(c.status, 'Open');
  assert.equal(c.contactType, 'Individual');
  assert.equal(c.contactName, 'Ahmed Ali');
  assert.equal(c.phoneNumber, '+966500888777');
  assert.equal(c.channelId, channel.id);
  assert.equal(c.contactId, first.contactId);
  assert.deepEqual(c.channel, { id: channel.id, name: 'Main Line', type: 'WhatsApp', icon: channel.icon, phoneNumber: '+966500000001' });
  assert.deepEqual(c.tags, []);
  assert.equal(c.unreadCount, 0);
  assert.equal(c.isAiAssignee, false);
  assert.equal(c.lastActivityAt, now);

  const contact = json(await ws.api('GET', `/v1/contacts/${first.contactId}`));
  assert.equal(contact.name, 'Ahmed Ali');

  const again = await openConversation(ws, channel.id, '966500888777', { contactName: 'Someone Else' });
  assert.equal(again.conversation.id, c.id, 'the open conversation is returned');
  assert.equal(again.contactId, first.contactId);
  assert.equal(json(await ws.api('GET', `/v1/contacts/${first.contactId}`)).name, 'Ahmed Ali', 'an existing contact keeps its name');

  const noName = await openConversation(ws, channel.id, '+966500111222');
  assert.equal(noName.conversation.contactName, '+966500111222', 'ContactName defaults to the number');

  const got = await ws.api('GET', `${CONVERSATIONS}/${c.id}`);
  assert.equal(got.statusCode, 200);
  assert.deepEqual(json(got), c);
});

test('create: bad input → 400 naming the field, unknown channel → 404, both assignees → 422; nothing written', async () => {
  const { ws, channel, sara, agent } = await conversationSetup(h);
  assertError(await ws.api('POST', `${CONVERSATIONS}/create`, { ChannelId: channel.id, PhoneNumber: 'abc' }), 400, 'Wasl:ValidationFailed', ['phoneNumber']);
  assertError(await ws.api('POST', `${CONVERSATIONS}/create`, { ChannelId: 'nope', PhoneNumber: '+966500000002' }), 400, 'Wasl:ValidationFailed', ['channelId']);
  assertError(await ws.api('POST', `${CONVERSATIONS}/create`, { ChannelId: MISSING, PhoneNumber: '+966500000002' }), 404, 'Wasl:Channel:NotFound');
  assertError(await ws.api('POST', `${CONVERSATIONS}/create`, { ChannelId: channel.id, PhoneNumber: '+966500000002', AssignToUserId: sara.id, AssignToAiAgentId: agent.id }), 422, 'Wasl:Conversation:BothAssignees');
  assertError(await ws.api('POST', `${CONVERSATIONS}/create`, { ChannelId: channel.id, PhoneNumber: '+966500000002', AssignToUserId: MISSING }), 400, 'Wasl:ValidationFailed', ['assignToUserId']);
  assertError(await ws.api('POST', `${CONVERSATIONS}/create`, { ChannelId: channel.id, PhoneNumber: '+966500000002', AssignToUserId: agent.id }), 400, 'Wasl:ValidationFailed', ['assignToUserId']);
  assert.equal(json(await ws.api('GET', '/v1/contacts')).totalCount, 0, 'no contact was made');
  assert.equal(json(await ws.api('GET', `${CONVERSATIONS}/channels/${channel.id}`)).totalCount, 0);
  assertError(await ws.api('GET', `${CONVERSATIONS}/${MISSING}`), 404, 'Wasl:Conversation:NotFound');
});

test('create with assignment; assign a user, an AI agent, nobody; timeline has Assignation events', async () => {
  const { ws, channel, sara, omar, agent } = await conversationSetup(h);
  const { conversation } = await openConversation(ws, channel.id, '+966500000010', { AssignToUserId: sara.userId });
  const get = async () => json(await ws.api('GET', `${CONVERSATIONS}/${conversation.id}`));
  assert.equal((await get()).assigneeId, sara.id);
  assert.equal((await get()).assigneeName, 'Sara');

  const assign = (body: object) => ws.api('POST', `${CONVERSATIONS}/${conversation.id}/assign`, body);
  const toOmar = await assign({ AssignedUserId: omar.id, AssignedAiAgentId: null });
  assert.equal(toOmar.statusCode, 200, toOmar.body);
  assert.deepEqual(json(toOmar), {});
  assert.equal((await get()).assigneeId, omar.id);

  assert.equal((await assign({ assignedAiAgentId: agent.id })).statusCode, 200);
  const ai = await get();
  assert.deepEqual([ai.assigneeId, ai.assignedAiAgentId, ai.isAiAssignee, ai.assigneeName], [null, agent.id, true, 'Nour (AI)']);

  assertError(await assign({ assignedUserId: sara.id, assignedAiAgentId: agent.id }), 422, 'Wasl:Conversation:BothAssignees');
  assertError(await assign({ assignedUserId: MISSING }), 400, 'Wasl:ValidationFailed', ['assignedUserId']);
  assertError(await assign({ assignedAiAgentId: sara.id }), 400, 'Wasl:ValidationFailed', ['assignedAiAgentId']);

  assert.equal((await assign({})).statusCode, 200);
  const none = await get();
  assert.deepEqual([none.assigneeId, none.assignedAiAgentId, none.isAiAssignee], [null, null, false]);
  assert.equal((await assign({})).statusCode, 200, 'unassigning twice is fine');

  const timeline = json(await ws.api('GET', `${CONVERSATIONS}/${conversation.id}/timeline?Sorting=CreationTime ASC`));
  assert.equal(timeline.totalCount, 4, 'sara, omar, agent, nobody: one event per change');
  assert.deepEqual(
    timeline.items.map((e: { assignation: { assignedUserName: string | null; assignedAiAgentName: string | null } }) => e.assignation.assignedUserName ?? e.assignation.assignedAiAgentName),
    ['Sara', 'Omar', 'Nour (AI)', null],
  );
  const first = timeline.items[0];
  assert.equal(first.sourceType, 3);
  assert.equal(first.direction, 3);
  assert.equal(first.assignation.assignedByUserName, ws.clientId);
});
