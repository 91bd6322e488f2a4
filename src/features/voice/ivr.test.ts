import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { assertError } from '../../../test/helpers/assert.js';
import { authBattery } from '../../../test/helpers/auth-cases.js';
import { build, json, type Workspace } from '../../../test/helpers/build.js';
import { CONVERSATIONS, ok, type Json } from '../../../test/helpers/conversations.js';
import { startReceiver } from '../../../test/helpers/receiver.js';
import { IVR, toneWav, untilComplete, voiceChannel } from '../../../test/helpers/voice.js';
import { startFileServer } from '../media/testing.js';

// Calls run on the test's clock, which the tests move fast: a short ring time-out, and leases that
// do not run out while a minute of call time passes in a second (a lease renews on real time).
const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true', TOKEN_TTL_SECONDS: String(7 * 86_400), RING_TIMEOUT_SECONDS: '5' });
const worker = await h.worker({ pollMs: 50, leaseMs: 600_000 });
const files = await startFileServer();
const MAIN = files.serve('/main.wav', { body: toneWav(2), type: 'audio/wav' });
const SUCCESS = files.serve('/thanks.wav', { body: toneWav(0.5, 16000), type: 'audio/wav' });
const FAILED = files.serve('/sorry.wav', { body: toneWav(0.5), type: 'audio/wav' });
const SECRET = 'whsec_' + Buffer.from('voice-webhook-secret-0123456789').toString('base64');
const MISSING = '01890000-0000-7000-8000-000000000000';

async function setup() {
  const ws = await h.workspace();
  const calls = await startReceiver();
  const completions = await startReceiver();
  const channel = await voiceChannel(h, ws, { postCallWebhookUrl: calls.url('/calls'), webhookSecret: SECRET });
  return { ws, channel, calls, completions };
}

const request = (channelId: string, to: string, webhookUrl: string, extra: Json = {}) => ({
  ChannelId: channelId,
  DestinationNumber: to,
  AudioFileUrl: MAIN,
  SuccessMessageFileUrl: SUCCESS,
  FailedMessageFileUrl: FAILED,
  Options: [
    { Digit: '1', Description: 'Confirm' },
    { Digit: '3', Description: 'Cancel' },
  ],
  WebhookUrl: webhookUrl,
  MaxAudioRetries: 1,
  InputTimeoutMs: 2000,
  ...extra,
});

async function call(ws: Workspace, body: Json) {
  const res = await ws.api('POST', IVR, body);
  assert.equal(res.statusCode, 200, res.body);
  const record = json(res) as Json;
  const done = await untilComplete(h, ws, record.id);
  await worker.drain();
  return { record, done };
}

test('a call that is answered and confirmed: the record, the completion webhook (signed), the Call Webhook at each status, the timeline and the call list', async () => {
  const { ws, channel, calls, completions } = await setup();
  const res = await ws.api('POST', IVR, request(channel.id, '966500001001', completions.url('/ivr'), { ExternalId: 'appt-1' }));
  assert.equal(res.statusCode, 200, res.body);
  const record = json(res) as Json;
  assert.deepEqual(
    { ...record, id: undefined, creationTime: undefined },
    {
      id: undefined,
      workspaceId: ws.id,
      channelId: channel.id,
      externalId: 'appt-1',
      destinationNumber: '+966500001001',
      audioFileUrl: MAIN,
      ttsText: null,
      ttsVoice: 1,
      audioType: 1,
      welcomeMessageFileUrl: null,
      successMessageFileUrl: SUCCESS,
      failedMessageFileUrl: FAILED,
      options: [
        { digit: '1', description: 'Confirm' },
        { digit: '3', description: 'Cancel' },
      ],
      webhookUrl: completions.url('/ivr'),
      maxAudioRetries: 1,
      inputTimeoutMs: 2000,
      digitTimeoutMs: 3000,
      status: 0,
      result: 0,
      pressedDigit: null,
      initiatedAt: null,
      ringingAt: null,
      answeredAt: null,
      completedAt: null,
      callId: null,
      errorMessage: null,
      hangupCause: null,
      creationTime: undefined,
    },
  );
  const done = await untilComplete(h, ws, record.id);
  await worker.drain();
  assert.deepEqual([done.status, done.result, done.pressedDigit, done.hangupCause, done.errorMessage], [4, 1, '1', 'NORMAL_CLEARING', null]);
  const times = [done.initiatedAt, done.ringingAt, done.answeredAt, done.completedAt].map((t: string) => Date.parse(t));
  assert.ok(times.every((t, i) => !Number.isNaN(t) && (i === 0 || t >= times[i - 1]!)), `the four timestamps in order: ${times}`);
  assert.ok(times[2]! - times[1]! >= 2000, 'it rang before it was answered');

  await completions.waitFor(1);
  const hook = completions.received[0]!;
  assert.equal(hook.headers['x-voxa-signature'], createHmac('sha256', SECRET).update(hook.body).digest('hex'), "signed with the channel's secret");
  const payload = JSON.parse(hook.body) as Json;
  assert.deepEqual(Object.keys(payload).sort(), ['answeredAt', 'callDurationSeconds', 'callId', 'channelId', 'completedAt', 'creationTime', 'destinationNumber', 'errorMessage', 'externalId', 'hangupCause', 'id', 'initiatedAt', 'pressedDigit', 'result', 'ringingAt', 'status', 'workspaceId']);
  assert.deepEqual([payload.id, payload.externalId, payload.status, payload.result, payload.pressedDigit, payload.callId], [record.id, 'appt-1', 4, 1, '1', done.callId]);
  assert.equal(payload.callDurationSeconds, Math.round((times[3]! - times[2]!) / 1000));

  await calls.waitFor(3);
  const statuses = calls.received.map((r) => JSON.parse(r.body) as Json);
  assert.deepEqual(statuses.map((s) => [s.status, s.type, s.callId]), [[8, 2, done.callId], [0, 2, done.callId], [1, 2, done.callId]], 'Ringing, Active, Completed');
  const last = statuses[2]!;
  assert.deepEqual([last.callerNumber, last.calleeNumber, last.contactNumber, last.callLength], [channel.phoneNumber.number, '+966500001001', '+966500001001', `00:00:0${payload.callDurationSeconds}`]);
  assert.ok(last.contactId);

  const list = await ok(ws, 'GET', '/v1/call/list?skipCount=0&maxResultCount=10&sorting=creationTime desc');
  assert.equal(list.totalCount, 1);
  assert.deepEqual([list.items[0].id, list.items[0].callType, list.items[0].status, list.items[0].contactNumber, list.items[0].hangupCause], [done.callId, 2, 1, '+966500001001', 'NORMAL_CLEARING']);
  assert.match(list.items[0].ringingDuration, /^00:00:0[2-9]$/);

  const conversations = await ok(ws, 'GET', `${CONVERSATIONS}/channels/${channel.id}`);
  const timeline = await ok(ws, 'GET', `${CONVERSATIONS}/${conversations.items[0].id}/timeline`);
  const event = timeline.items[0];
  assert.deepEqual([event.sourceType, event.direction, event.status, event.sourceId, event.handlerName], [1, 2, 'Answered', done.callId, 'IVR']);
  assert.equal(event.durationOrSize, last.callLength);
  assert.equal(conversations.items[0].lastEventSourceType, 1);
});

test('every sandbox ending: busy, no answer, failed, declined, no input, invalid then valid, callee hangs up mid-prompt, another key', async () => {
  const { ws, channel, calls, completions } = await setup();
  const cases: [string, Json, [number, number, string | null, string | null], number[]][] = [
    ['966500000486', {}, [6, 5, null, 'USER_BUSY'], [8, 4]],
    ['966500000480', {}, [5, 4, null, 'NO_ANSWER'], [8, 5]],
    ['966500000503', {}, [7, 6, null, 'NORMAL_TEMPORARY_FAILURE'], [7]],
    ['966500000603', {}, [6, 5, null, 'CALL_REJECTED'], [8, 4]],
    ['966500000900', {}, [4, 2, null, 'NORMAL_CLEARING'], [8, 0, 1]],
    ['966500000901', {}, [4, 1, '1', 'NORMAL_CLEARING'], [8, 0, 1]],
    ['966500000902', {}, [4, 2, null, 'NORMAL_CLEARING'], [8, 0, 1]],
    ['966500001003', {}, [4, 1, '3', 'NORMAL_CLEARING'], [8, 0, 1]],
    ['966500001007', { MaxAudioRetries: 0 }, [4, 3, '7', 'NORMAL_CLEARING'], [8, 0, 1]],
  ];
  for (const [to, extra, [status, result, digit, cause], hooks] of cases) {
    const before = calls.received.length;
    const { done } = await call(ws, request(channel.id, to, completions.url('/ivr'), extra));
    assert.deepEqual([done.status, done.result, done.pressedDigit, done.hangupCause], [status, result, digit, cause], to);
    if (status === 7) assert.match(done.errorMessage, /could not be placed: Service Unavailable \(SIP 503\)/);
    await calls.waitFor(before + hooks.length);
    assert.deepEqual(calls.received.slice(before).map((r) => JSON.parse(r.body).status), hooks, `${to}: the Call Webhook's statuses`);
  }
  await completions.waitFor(cases.length);
  assert.deepEqual(completions.received.map((r) => JSON.parse(r.body).status), cases.map((c) => c[2][0]), 'one completion webhook per request');
});

test('externalId: the same request again answers the first record (Idempotent-Replayed) and calls no one again; per workspace', async () => {
  const { ws, channel, completions } = await setup();
  const body = request(channel.id, '966500001001', completions.url('/ivr'), { ExternalId: 'once' });
  const first = await ws.api('POST', IVR, body);
  const again = await ws.api('POST', IVR, { ...body, DestinationNumber: '966500001003' });
  assert.equal(again.statusCode, 200);
  assert.equal(again.headers['idempotent-replayed'], 'true');
  assert.equal(first.headers['idempotent-replayed'], undefined);
  assert.equal(json(again).id, json(first).id);
  await untilComplete(h, ws, json(first).id);
  const list = await ok(ws, 'GET', '/v1/call/list');
  assert.equal(list.totalCount, 1, 'one call');
  const other = await setup();
  const theirs = await other.ws.api('POST', IVR, request(other.channel.id, '966500001001', completions.url('/ivr'), { ExternalId: 'once' }));
  assert.notEqual(json(theirs).id, json(first).id, 'another workspace may use the same externalId');
  await untilComplete(h, other.ws, json(theirs).id);
});

test('any casing and both option spellings; TTS prompts (Arabic, English) rendered once per text and voice', async () => {
  const { ws, channel, completions } = await setup();
  const camel = {
    channelId: channel.id,
    destinationNumber: '+966 50 000 1001',
    ttsText: 'مرحباً، لتأكيد موعدك اضغط واحد.',
    ttsVoice: 'male',
    options: [{ digit: '1', label: 'Confirm' }],
    webhookUrl: completions.url('/ivr'),
  };
  const { record, done } = await call(ws, camel);
  assert.deepEqual([record.ttsVoice, record.audioType, record.options, record.maxAudioRetries, record.inputTimeoutMs], [0, 2, [{ digit: '1', description: 'Confirm' }], 2, 6000]);
  assert.deepEqual([done.status, done.result, done.pressedDigit], [4, 1, '1']);
  const mixed = { CHANNELID: channel.id, destinationnumber: '966500001001', TtsText: camel.ttsText, TTSVOICE: 0, OPTIONS: [{ DIGIT: '1', description: 'x' }], WebHookUrl: completions.url('/ivr') };
  await call(ws, mixed);
  const cached = await h.store.db.selectFrom('tts_prompts' as never).selectAll().execute();
  assert.equal(cached.length, 1, 'rendered once for the same text and voice');
  await call(ws, { ...camel, ttsText: 'Press one to confirm.', ttsVoice: 'Female' });
  assert.equal((await h.store.db.selectFrom('tts_prompts' as never).selectAll().execute()).length, 2);
});

test('a prompt that cannot be fetched or is not a WAV: the call is not placed; Failed / TechnicalFailure naming the field', async () => {
  const { ws, channel, completions } = await setup();
  const notWav = files.serve('/page.wav', { body: Buffer.from('<html>not audio</html>'), type: 'audio/wav' });
  for (const [field, url, reason] of [
    ['AudioFileUrl', files.url('/missing.wav'), /audioFileUrl: the file could not be fetched: it answered HTTP 404/],
    ['AudioFileUrl', notWav, /audioFileUrl: the file is not a WAV file/],
    ['WelcomeMessageFileUrl', files.url('/missing.wav'), /welcomeMessageFileUrl: .*404/],
  ] as const) {
    const { done } = await call(ws, request(channel.id, '966500001001', completions.url('/ivr'), { [field]: url }));
    assert.deepEqual([done.status, done.result, done.callId, done.initiatedAt], [7, 6, null, null]);
    assert.match(done.errorMessage, reason);
  }
  assert.equal((await ok(ws, 'GET', '/v1/call/list')).totalCount, 0, 'nobody was called');
});

test('bad input → 400 naming the field, nothing queued; unknown or foreign channel → 404; a WhatsApp-only channel → 422', async () => {
  const { ws, channel, completions } = await setup();
  const good = request(channel.id, '966500001001', completions.url('/ivr'));
  const bad: [Json, string][] = [
    [{ AudioFileUrl: null }, 'audioFileUrl'],
    [{ TtsText: 'also this' }, 'ttsText'],
    [{ Options: [] }, 'options'],
    [{ Options: [{ Digit: 'x', Description: 'No' }] }, 'options[0].digit'],
    [{ Options: [{ Digit: '12', Description: 'No' }] }, 'options[0].digit'],
    [{ Options: [{ Digit: '1', Description: 'a' }, { Digit: '1', Description: 'b' }] }, 'options'],
    [{ MaxAudioRetries: 6 }, 'maxAudioRetries'],
    [{ InputTimeoutMs: 999 }, 'inputTimeoutMs'],
    [{ DigitTimeoutMs: 10001 }, 'digitTimeoutMs'],
    [{ DestinationNumber: 'call me' }, 'destinationNumber'],
    [{ WebhookUrl: 'ftp://example.com/x' }, 'webhookUrl'],
    [{ TtsVoice: 'Robot' }, 'ttsVoice'],
  ];
  for (const [patch, member] of bad) {
    const body = { ...good, ...patch };
    assertError(await ws.api('POST', IVR, body), 400, 'Wasl:ValidationFailed', [member]);
  }
  assertError(await ws.api('POST', IVR, { ...good, ChannelId: MISSING }), 404, 'Wasl:Channel:NotFound');
  const other = await setup();
  assertError(await ws.api('POST', IVR, { ...good, ChannelId: other.channel.id }), 404, 'Wasl:Channel:NotFound');
  const wa = json(await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'WA', type: 2 }));
  assertError(await ws.api('POST', IVR, { ...good, ChannelId: wa.id }), 422, 'Wasl:Channel:NoVoice');
  const queued = await h.store.db.selectFrom('outbound_ivr' as never).selectAll().where('workspace_id' as never, '=', ws.id as never).execute();
  assert.equal(queued.length, 0, 'nothing written');
});

test("another workspace's request, call and line: 404, never seen in its lists", async () => {
  const mine = await setup();
  const { record } = await call(mine.ws, request(mine.channel.id, '966500001001', mine.completions.url('/ivr')));
  const stranger = await setup();
  assertError(await stranger.ws.api('GET', `${IVR}/${record.id}`), 404, 'Wasl:OutboundIvr:NotFound');
  assertError(await stranger.ws.api('GET', `${IVR}/${MISSING}`), 404, 'Wasl:OutboundIvr:NotFound');
  assertError(await stranger.ws.api('GET', `${IVR}/not-a-uuid`), 400, 'Wasl:ValidationFailed', ['id']);
  assert.equal((await ok(stranger.ws, 'GET', '/v1/call/list')).totalCount, 0);
  assert.equal((await ok(mine.ws, 'GET', '/v1/call/list')).totalCount, 1);
});

authBattery(h, async (ws) => {
  const channel = await voiceChannel(h, ws);
  const created = json(await ws.api('POST', IVR, request(channel.id, '966500000503', 'https://example.com/ivr')));
  return [
    { method: 'POST', url: IVR, body: request(channel.id, '966500000503', 'https://example.com/ivr') },
    { method: 'GET', url: `${IVR}/${created.id}` },
    { method: 'GET', url: '/v1/call/list' },
  ];
});

test('calls are dialled at CALL_STARTS_PER_SECOND per channel: a burst of requests on one line is spread out, another line is not held back', async () => {
  const paced = await build({ WEBHOOK_ALLOW_PRIVATE: 'true', TOKEN_TTL_SECONDS: String(7 * 86_400), CALL_STARTS_PER_SECOND: '1' });
  await paced.worker({ pollMs: 50, leaseMs: 600_000 });
  const ws = await paced.workspace();
  const [a, b] = [(await voiceChannel(paced, ws)).id as string, (await voiceChannel(paced, ws)).id as string];
  // …0503 cannot be reached: each call ends the moment it is dialled, so only the pace spaces them.
  const post = async (channelId: string) => json(await ws.api('POST', IVR, request(channelId, '966500000503', 'http://127.0.0.1:9/unused', { SuccessMessageFileUrl: null, FailedMessageFileUrl: null }))).id as string;
  const first = [await post(a), await post(a), await post(a)];
  const second = [await post(b), await post(b)];
  const records = async (ids: string[]) => Promise.all(ids.map(async (id) => json(await ws.api('GET', `${IVR}/${id}`)) as Json));
  const deadline = Date.now() + 60_000; // a guard against a hang: under a loaded CI machine 20 s was seen too short
  while ((await records([...first, ...second])).some((r) => !r.completedAt)) {
    assert.ok(Date.now() < deadline, 'every call ends');
    paced.clock.advance(100); // the queue hands a paced job back until its slot, on this clock
    await new Promise((r) => setTimeout(r, 10));
  }
  const dialled = async (ids: string[]) => (await records(ids)).map((r) => Date.parse(r.initiatedAt)).sort((a, b) => a - b);
  const one = await dialled(first);
  for (let i = 1; i < one.length; i++) assert.ok(one[i]! - one[i - 1]! >= 1000, `one line: at most one call a second (${one.join(', ')})`);
  const other = await dialled(second);
  assert.ok(other[0]! - one[0]! < 1000, 'the other line dials its first call without waiting for the first line');
});
