import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertError } from '../../../test/helpers/assert.js';
import { build, json } from '../../../test/helpers/build.js';
import { CONVERSATIONS, ok, type Json } from '../../../test/helpers/conversations.js';
import { startReceiver } from '../../../test/helpers/receiver.js';
import { voiceChannel } from '../../../test/helpers/voice.js';

const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true', TOKEN_TTL_SECONDS: String(7 * 86_400) });
const worker = await h.worker({ pollMs: 50 });
const MISSING = '01890000-0000-7000-8000-000000000000';
const inboundCall = (channelId: string, body: Json) => h.admin('POST', `/admin/v1/sandbox/channels/${channelId}/inbound-call`, body);

test('a sandbox inbound call, answered then missed: the Call Webhook (type 1) at each status, timeline events, unread and lost, the call list', async () => {
  const ws = await h.workspace();
  const calls = await startReceiver();
  const channel = await voiceChannel(h, ws, { postCallWebhookUrl: calls.url('/calls') });
  const answered = await inboundCall(channel.id, { from: '966501112200', answered: true, durationSeconds: 42 });
  assert.equal(answered.statusCode, 202, answered.body);
  const { callId } = json(answered);
  await worker.drain();
  h.clock.advance(3_000);
  await worker.drain();
  h.clock.advance(42_000);
  await worker.drain();
  await calls.waitFor(3);
  const hooks = calls.received.map((r) => JSON.parse(r.body) as Json);
  assert.deepEqual(hooks.map((x) => [x.status, x.type, x.callId]), [[8, 1, callId], [0, 1, callId], [1, 1, callId]]);
  assert.deepEqual([hooks[2]!.callerNumber, hooks[2]!.calleeNumber, hooks[2]!.contactNumber, hooks[2]!.callLength], ['+966501112200', channel.phoneNumber.number, '+966501112200', '00:00:42']);

  const missed = json(await inboundCall(channel.id, { from: '966501112200', answered: false }));
  h.clock.advance(3_000);
  await worker.drain();
  await calls.waitFor(5);
  assert.deepEqual(calls.received.slice(3).map((r) => [JSON.parse(r.body).status, JSON.parse(r.body).callId]), [[8, missed.callId], [2, missed.callId]], 'Ringing, Missed');

  const list = await ok(ws, 'GET', `${CONVERSATIONS}/channels/${channel.id}`);
  assert.equal(list.totalCount, 1, 'both calls in one conversation');
  const conversation = list.items[0];
  assert.equal(conversation.unreadCount, 2, 'two inbound calls');
  assert.deepEqual([conversation.lastEventSourceType, conversation.lastEventDirection, conversation.lastEventStatus], [1, 1, 'Missed']);
  assert.equal((await ok(ws, 'GET', `${CONVERSATIONS}/channels/${channel.id}?IsLost=true`)).totalCount, 1, 'a missed call leaves it lost');
  const timeline = await ok(ws, 'GET', `${CONVERSATIONS}/${conversation.id}/timeline?Sorting=CreationTime ASC`);
  assert.deepEqual(timeline.items.map((e: Json) => [e.sourceType, e.direction, e.status, e.durationOrSize]), [[1, 1, 'Answered', '00:00:42'], [1, 1, 'Missed', null]]);
  assert.equal(timeline.items[0].ringingDuration, '00:00:03');

  const page = await ok(ws, 'GET', '/v1/call/list?SkipCount=0&MaxResultCount=1&Sorting=CreationTime ASC');
  assert.equal(page.totalCount, 2);
  assert.deepEqual([page.items[0].id, page.items[0].callType, page.items[0].status, page.items[0].callLength, page.items[0].phoneNumberId], [callId, 1, 1, '00:00:42', channel.phoneNumber.id]);
  const next = await ok(ws, 'GET', '/v1/call/list?skipCount=1&maxResultCount=1&sorting=creationTime asc');
  assert.deepEqual([next.items[0].id, next.items[0].status, next.items[0].pickupTime], [missed.callId, 2, null]);
  assert.equal((await ok(ws, 'GET', '/v1/call/list')).items[0].id, missed.callId, 'newest first by default');
  assertError(await ws.api('GET', '/v1/call/list?Sorting=Status ASC'), 400, 'Wasl:ValidationFailed', ['Sorting']);
});

test('inbound-call: bad input → 400; an unknown channel → 404; a WhatsApp-only or SIP line → 422; admin only', async () => {
  const ws = await h.workspace();
  const channel = await voiceChannel(h, ws);
  assertError(await inboundCall(channel.id, { from: 'nobody' }), 400, 'Wasl:ValidationFailed', ['from']);
  assertError(await inboundCall(channel.id, {}), 400, 'Wasl:ValidationFailed', ['from']);
  assertError(await inboundCall(channel.id, { from: '966501112200', durationSeconds: -1 }), 400, 'Wasl:ValidationFailed', ['durationSeconds']);
  assertError(await inboundCall(MISSING, { from: '966501112200' }), 404, 'Wasl:Channel:NotFound');
  const wa = json(await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'WA', type: 2 }));
  assertError(await inboundCall(wa.id, { from: '966501112200' }), 422, 'Wasl:Channel:NotSandboxVoice');
  const sip = await voiceChannel(h, ws, { voice: { provider: 'sip', sip: { host: '127.0.0.1', password: 'pw-secret-1' } } });
  assertError(await inboundCall(sip.id, { from: '966501112200' }), 422, 'Wasl:Channel:NotSandboxVoice');
  assertError(await ws.api('POST', `/admin/v1/sandbox/channels/${channel.id}/inbound-call`, { from: '966501112200' }), 401, 'Wasl:Unauthorized');
  assert.equal((await ok(ws, 'GET', '/v1/call/list')).totalCount, 0, 'no call was made');
});

test('a SIP line: settings stored, the password sealed and shown only as hasPassword; kept when the settings change without it', async () => {
  const ws = await h.workspace();
  const channel = await voiceChannel(h, ws, { voice: { provider: 'sip', sip: { host: 'trunk.example.com', username: 'wasl', password: 'very-secret-sip-pw', codecs: ['PCMU'] } } });
  assert.deepEqual(channel.voice, { provider: 'sip', sip: { host: 'trunk.example.com', port: 5060, transport: 'udp', username: 'wasl', realm: null, fromNumber: null, codecs: ['PCMU'], hasPassword: true } });
  const row = await h.store.db.selectFrom('channels').select(['voice', 'provider_secrets']).where('id', '=', channel.id).executeTakeFirstOrThrow();
  assert.ok(!JSON.stringify(row).includes('very-secret-sip-pw'), 'sealed, never in the clear');
  const changed = json(await h.admin('PATCH', `/admin/v1/channels/${channel.id}`, { voice: { provider: 'sip', sip: { host: 'trunk2.example.com', port: 5080 } } }));
  assert.deepEqual([changed.voice.sip.host, changed.voice.sip.port, changed.voice.sip.hasPassword], ['trunk2.example.com', 5080, true]);
  const line = await h.app.container.channels.voiceOf(channel.id);
  assert.equal(line?.settings?.provider === 'sip' && line.settings.sip.password, 'very-secret-sip-pw', 'the adapter gets it opened');
  const sandbox = json(await h.admin('PATCH', `/admin/v1/channels/${channel.id}`, { voice: { provider: 'sandbox' } }));
  assert.deepEqual(sandbox.voice, { provider: 'sandbox' });
  const back = json(await h.admin('PATCH', `/admin/v1/channels/${channel.id}`, { voice: { provider: 'sip', sip: { host: 'trunk.example.com' } } }));
  assert.equal(back.voice.sip.hasPassword, false, "another provider in between: the old password does not come back");
  assertError(await h.admin('PATCH', `/admin/v1/channels/${channel.id}`, { voice: { provider: 'sip', sip: {} } }), 400, 'Wasl:ValidationFailed', ['voice.sip.host']);
  assertError(await h.admin('PATCH', `/admin/v1/channels/${channel.id}`, { voice: { provider: 'sip' } }), 400, 'Wasl:ValidationFailed', ['voice.sip']);
  assertError(await h.admin('PATCH', `/admin/v1/channels/${channel.id}`, { voice: { provider: 'pbx' } }), 400, 'Wasl:ValidationFailed', ['voice.provider']);
});
