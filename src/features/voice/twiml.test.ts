import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, test } from 'node:test';
import { assertError } from '../../../test/helpers/assert.js';
import { build, json, type Workspace } from '../../../test/helpers/build.js';
import type { Json } from '../../../test/helpers/conversations.js';
import { signTwilio, startFakeTwilio, twilioError, type CallScript } from '../../../test/helpers/fake-twilio.js';
import { startReceiver } from '../../../test/helpers/receiver.js';
import { IVR, toneWav, untilComplete, voiceChannel } from '../../../test/helpers/voice.js';
import { startFileServer } from '../media/testing.js';

/**
 * Issue 10's TwiML adapter end to end: a channel whose line is a TwiML provider (the fake Twilio
 * on 127.0.0.1) places the call through Calls.json; the fake then calls Wasl back as Twilio does
 * (signed), Wasl answers each callback with the engine's next step as TwiML, and the record, the
 * Call Webhooks and the completion webhook follow.
 */
const port = await new Promise<number>((resolve) => {
  const probe = createServer().listen(0, '127.0.0.1', () => {
    const { port } = probe.address() as { port: number };
    probe.close(() => resolve(port));
  });
});
const base = `http://127.0.0.1:${port}`;
const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true', PUBLIC_URL: base });
await h.app.listen({ port, host: '127.0.0.1' });
const worker = await h.worker({ pollMs: 20 });
const files = await startFileServer();
const MAIN = files.serve('/main.wav', { body: toneWav(1), type: 'audio/wav' });
const SUCCESS = files.serve('/thanks.wav', { body: toneWav(0.5), type: 'audio/wav' });
const FAILED = files.serve('/sorry.wav', { body: toneWav(0.5), type: 'audio/wav' });
const SCRIPTS: Record<string, CallScript> = {
  '+966500002001': { keys: ['3'] },
  '+966500002002': { keys: [null, null] },
  '+966500002003': { keys: ['9', '1'] },
  '+966500002004': { outcome: 'busy' },
  '+966500002005': { outcome: 'no-answer' },
  '+966500002006': { hold: true },
  '+966500002007': { keys: ['1'] },
  '+966500002011': { hold: true },
  '+966500002012': { hold: true },
};
// Calls.json refused for now: twice for …2009 (then taken), always for …2010.
const refusals = new Map<string, number>();
const twilio = await startFakeTwilio({
  script: (to) => SCRIPTS[to] ?? { keys: ['1'] },
  answer: (form) => {
    const to = form.To?.[0] ?? '';
    if (to === '+966500002008') return [400, twilioError(400, 21215, 'Account not authorized to call +966500002008.')];
    const seen = refusals.get(to) ?? 0;
    refusals.set(to, seen + 1);
    if (to === '+966500002009' && seen < 2) return [429, twilioError(429, 20429, 'Too Many Requests')];
    if (to === '+966500002010') return [503, twilioError(503, 20503, 'Service Unavailable')];
    return undefined;
  },
});
after(() => twilio.close());

async function line(ws: Workspace, postCallWebhookUrl?: string) {
  return voiceChannel(h, ws, { postCallWebhookUrl, voice: { provider: 'twiml', twiml: { baseUrl: twilio.baseUrl, accountSid: twilio.accountSid, authToken: twilio.authToken } } });
}

const untilDone = (ws: Workspace, id: string) => untilComplete(h, ws, id, { moveClock: false });

async function call(to: string, extra: Json = {}) {
  const ws = await h.workspace();
  const calls = await startReceiver();
  const completions = await startReceiver();
  const channel = await line(ws, calls.url('/calls'));
  const res = await ws.api('POST', IVR, { channelId: channel.id, destinationNumber: to, audioFileUrl: MAIN, successMessageFileUrl: SUCCESS, failedMessageFileUrl: FAILED, options: [{ digit: '1', description: 'Yes' }, { digit: '3', description: 'No' }], webhookUrl: completions.url('/ivr'), maxAudioRetries: 1, inputTimeoutMs: 2000, ...extra });
  assert.equal(res.statusCode, 200, res.body);
  const done = await untilDone(ws, json(res).id);
  await twilio.settled();
  await worker.drain();
  return { ws, channel, done, calls, completions, mine: () => twilio.callbacks.filter((c) => c.url.includes(channel.id)) };
}

test('answered, key 3: Calls.json, the TwiML steps, the prompts fetched as WAVs, the record, the Call Webhooks and the completion webhook', async () => {
  const { ws, channel, done, calls, completions, mine } = await call('+966500002001');
  assert.deepEqual([done.status, done.result, done.pressedDigit, done.hangupCause], [4, 1, '3', 'NORMAL_CLEARING'], JSON.stringify(done));
  assert.ok(done.ringingAt && done.answeredAt);
  const cbs = mine();
  assert.ok(cbs.every((c) => c.status === 200), JSON.stringify(cbs.map((c) => [c.status, c.body])));
  assert.deepEqual(cbs.map((c) => new URL(c.url).searchParams.get('ev')), ['status', 'status', 'answer', 'gather', 'played', 'status']);
  assert.match(cbs[2]!.body, /<Gather numDigits="1" timeout="2" action="[^"]+\?ev=gather&amp;s=1" method="POST" actionOnEmptyResult="true"><Play>http:\/\/127\.0\.0\.1:\d+\/main\.wav<\/Play><\/Gather>/);
  assert.match(cbs[4]!.body, /<Hangup\/>/);
  assert.deepEqual(twilio.plays.filter((p) => p.url === MAIN || p.url === SUCCESS).slice(-2), [{ url: MAIN, wav: true }, { url: SUCCESS, wav: true }]);
  const list = json(await ws.api('GET', '/v1/call/list')) as Json;
  assert.deepEqual([list.items[0].callType, list.items[0].status, list.items[0].contactNumber], [2, 1, '+966500002001']);
  const placed = twilio.requests.find((r) => r.form.To?.[0] === '+966500002001')!;
  assert.equal(placed.form.From?.[0], channel.phoneNumber.number, "the channel's number calls");
  assert.match(placed.form.Url?.[0] ?? '', new RegExp(`^${base}/webhooks/voice/${channel.id}/twiml/${done.callId}\\?ev=answer$`));
  await completions.waitFor(1);
  assert.deepEqual([JSON.parse(completions.received[0]!.body).result, JSON.parse(completions.received[0]!.body).pressedDigit], [1, '3']);
  await calls.waitFor(3);
  assert.deepEqual(calls.received.map((r) => JSON.parse(r.body).status), [8, 0, 1]);
});

test('no key after every play (one retry): NoInput, the main prompt gathered twice, each time-out coming back without Digits', async () => {
  const { done, mine } = await call('+966500002002');
  assert.deepEqual([done.status, done.result, done.pressedDigit], [4, 2, null]);
  const gathers = mine().filter((c) => c.url.includes('ev=gather'));
  assert.equal(gathers.length, 2);
  assert.ok(gathers.every((g) => g.params.Digits === undefined));
});

test('an invalid key, then a valid one: the failed prompt, the main prompt again, DigitPressed 1', async () => {
  const { done, mine } = await call('+966500002003');
  assert.deepEqual([done.status, done.result, done.pressedDigit], [4, 1, '1']);
  assert.deepEqual(mine().filter((c) => c.url.includes('ev=played')).map((c) => new URL(c.url).searchParams.get('p')), ['failed', 'success']);
});

test('busy and no answer, as Twilio reports them by StatusCallback: Busy / DestinationBusy, NoAnswer / NotAnswered; the Call Webhook says so', async () => {
  const busy = await call('+966500002004');
  assert.deepEqual([busy.done.status, busy.done.result, busy.done.hangupCause, busy.done.answeredAt], [6, 5, 'USER_BUSY', null]);
  await busy.calls.waitFor(2);
  assert.deepEqual(busy.calls.received.map((r) => JSON.parse(r.body).status), [8, 4]);
  const missed = await call('+966500002005');
  assert.deepEqual([missed.done.status, missed.done.result, missed.done.hangupCause], [5, 4, 'NO_ANSWER']);
});

test('a callback with a wrong or missing signature → 403 and nothing changes; a retried callback gets the same TwiML and moves nothing', async () => {
  const ws = await h.workspace();
  const channel = await line(ws);
  const res = await ws.api('POST', IVR, { channelId: channel.id, destinationNumber: '+966500002006', audioFileUrl: MAIN, options: [{ digit: '1', description: 'Yes' }], webhookUrl: 'http://127.0.0.1:9/ivr' });
  const id = json(res).id;
  let record: Json;
  const deadline = Date.now() + 20_000;
  for (;;) {
    assert.ok(Date.now() < deadline, 'the call was not placed');
    record = json(await ws.api('GET', `${IVR}/${id}`));
    if (record.callId && twilio.requests.some((r) => r.form.To?.[0] === '+966500002006' && r.form.Url?.[0]?.includes(record.callId))) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const url = (q: string) => `${base}/webhooks/voice/${channel.id}/twiml/${record.callId}?${q}`;
  const params = { CallSid: 'CA1', AccountSid: twilio.accountSid, CallStatus: 'completed', CallDuration: '5' };
  const forged = await fetch(url('ev=status'), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signTwilio('not-the-token', url('ev=status'), params) }, body: new URLSearchParams(params).toString() });
  assert.equal(forged.status, 403);
  assert.equal(((await forged.json()) as Json).error.code, 'Wasl:Voice:BadSignature');
  const unsigned = await h.app.inject({ method: 'POST', url: `/webhooks/voice/${channel.id}/twiml/${record.callId}?ev=status`, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(params).toString() });
  assertError(unsigned, 403, 'Wasl:Voice:BadSignature');
  assert.deepEqual(json(await ws.api('GET', `${IVR}/${id}`)), record, 'nothing changed');

  const answered = await twilio.post(url('ev=answer'), { CallSid: 'CA1', CallStatus: 'in-progress' });
  assert.match(answered.body, /ev=gather&amp;s=1/);
  // The provider sends the same callback twice at once: one moves the engine, the other gets its answer.
  const [pressed, twice] = await Promise.all([twilio.post(url('ev=gather&s=1'), { CallSid: 'CA1', Digits: '1' }), twilio.post(url('ev=gather&s=1'), { CallSid: 'CA1', Digits: '1' })]);
  assert.equal(twice.body, pressed.body);
  assert.match(pressed.body, /<Hangup\/>/);
  const late = await twilio.post(url('ev=gather&s=1'), { CallSid: 'CA1', Digits: '7' });
  assert.equal(late.body, pressed.body, 'a retried callback gets the stored answer, whatever it says');
  await twilio.post(url('ev=status'), params);
  await twilio.post(url('ev=status'), params);
  const done = await untilDone(ws, id);
  assert.deepEqual([done.status, done.result, done.pressedDigit], [4, 1, '1']);
});

test('a TTS prompt: Wasl renders it and serves it at PUBLIC_URL/voice/prompts/{key}.wav, which the provider fetches as a WAV', async () => {
  const { done } = await call('+966500002007', { audioFileUrl: undefined, ttsText: 'Press one to confirm.' });
  assert.deepEqual([done.status, done.result], [4, 1]);
  const tts = twilio.plays.filter((p) => p.url.startsWith(`${base}/voice/prompts/`));
  assert.ok(tts.length >= 1 && tts.every((p) => p.wav && /\/[0-9a-f]{64}\.wav$/.test(p.url)), JSON.stringify(tts));
  assert.equal((await fetch(`${base}/voice/prompts/${'0'.repeat(64)}.wav`)).status, 404);
});

test('channel settings: authToken stored sealed and shown only as hasAuthToken; voice.twiml and its authToken required', async () => {
  const ws = await h.workspace();
  const channel = await line(ws);
  assert.deepEqual(channel.voice, { provider: 'twiml', twiml: { baseUrl: twilio.baseUrl, accountSid: twilio.accountSid, fromNumber: null, hasAuthToken: true } });
  assert.ok(!JSON.stringify(channel).includes(twilio.authToken));
  const missing = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'L', type: 1, voice: { provider: 'twiml' } });
  assertError(missing, 400, 'Wasl:ValidationFailed', ['voice.twiml']);
  const noToken = await h.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'L', type: 1, voice: { provider: 'twiml', twiml: { accountSid: 'AC1' } } });
  assertError(noToken, 400, 'Wasl:ValidationFailed', ['voice.twiml.authToken']);
});

test('a base URL pointing inside is refused when private addresses are not allowed', async () => {
  const strict = await build();
  const ws = await strict.workspace();
  const res = await strict.admin('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'L', type: 1, voice: { provider: 'twiml', twiml: { baseUrl: twilio.baseUrl, accountSid: 'AC1', authToken: 'x' } } });
  assert.equal(res.statusCode, 400, res.body);
  assert.match(res.body, /voice\.twiml\.baseUrl/);
});

test('the provider refuses the call (Calls.json 400): Failed / TechnicalFailure with its message; no callbacks', async () => {
  const { done, calls } = await call('+966500002008');
  assert.deepEqual([done.status, done.result, done.answeredAt, done.hangupCause], [7, 6, null, 'NORMAL_TEMPORARY_FAILURE']);
  assert.match(done.errorMessage, /Account not authorized to call \+966500002008\. \(21215\)/);
  await calls.waitFor(1);
  assert.deepEqual(calls.received.map((r) => JSON.parse(r.body).status), [7]);
});

test('Calls.json refused for now (429, 503: nothing placed) is tried again after a wait, at most three times; then Failed with the provider\'s message', async () => {
  const taken = await call('+966500002009');
  assert.equal(refusals.get('+966500002009'), 3, 'placed on the third try');
  assert.deepEqual([taken.done.status, taken.done.result, taken.done.pressedDigit], [4, 1, '1'], 'and the call then ran as usual');
  const refused = await call('+966500002010');
  assert.equal(refusals.get('+966500002010'), 3, 'three tries, no more');
  assert.deepEqual([refused.done.status, refused.done.result, refused.done.hangupCause], [7, 6, 'NORMAL_TEMPORARY_FAILURE']);
  assert.match(refused.done.errorMessage, /Service Unavailable \(20503\)/);
});

/** A call the fake accepts and then never calls back about: its sid at the fake, once placed. */
async function heldCall(to: string) {
  const ws = await h.workspace();
  const completions = await startReceiver();
  const channel = await line(ws);
  const id = json(await ws.api('POST', IVR, { channelId: channel.id, destinationNumber: to, audioFileUrl: MAIN, options: [{ digit: '1', description: 'Yes' }], webhookUrl: completions.url('/ivr') })).id as string;
  const deadline = Date.now() + 20_000;
  let sid: string | undefined;
  while (!(sid = [...twilio.calls].find(([, c]) => c.to === to)?.[0]) || !json(await ws.api('GET', `${IVR}/${id}`)).callId) {
    assert.ok(Date.now() < deadline, 'the call was not placed');
    await new Promise((r) => setTimeout(r, 20));
  }
  await worker.drain();
  const record = async () => json(await ws.api('GET', `${IVR}/${id}`)) as Json;
  const asked = () => twilio.requests.filter((r) => r.method === 'GET' && r.path.endsWith(`/Calls/${sid}.json`)).length;
  return { sid, record, asked, completions };
}

test('callbacks that never come: two minutes after the ring time-out Wasl asks the provider, and its final status ends the request as the callback would have', async () => {
  const held = await heldCall('+966500002011');
  twilio.calls.get(held.sid)!.status = 'busy';
  h.clock.advance(h.config.ringTimeoutSeconds * 1000 + 2 * 60_000 - 1_000);
  await worker.drain();
  assert.equal(held.asked(), 0, 'not asked before its time');
  assert.equal((await held.record()).completedAt, null);
  h.clock.advance(1_001);
  await worker.drain();
  assert.equal(held.asked(), 1, 'asked at the call resource');
  const done = await held.record();
  assert.deepEqual([done.status, done.result, done.hangupCause], [6, 5, 'USER_BUSY']);
  await held.completions.waitFor(1);
  assert.equal(JSON.parse(held.completions.received[0]!.body).status, 6, 'the completion webhook went out');
});

test('a call the provider still calls in progress past the 15-minute limit is hung up at the provider and fails: RECOVERY_ON_TIMER_EXPIRE', async () => {
  const held = await heldCall('+966500002012');
  twilio.calls.get(held.sid)!.status = 'in-progress';
  h.clock.advance(h.config.ringTimeoutSeconds * 1000 + 2 * 60_000 + 1);
  await worker.drain();
  assert.equal(held.asked(), 1);
  assert.equal((await held.record()).completedAt, null, 'a call still going is left alone');
  for (let minute = 0; minute < 16; minute += 2) {
    h.clock.advance(2 * 60_000);
    await worker.drain();
  }
  assert.ok(held.asked() >= 8, `asked every two minutes (${held.asked()})`);
  assert.ok(twilio.requests.some((r) => r.method === 'POST' && r.path.endsWith(`/Calls/${held.sid}.json`) && r.form.Status?.[0] === 'completed'), 'hung up with Status=completed');
  assert.equal(twilio.calls.get(held.sid)!.status, 'completed');
  const done = await held.record();
  assert.deepEqual([done.status, done.result, done.hangupCause], [7, 6, 'RECOVERY_ON_TIMER_EXPIRE']);
  assert.match(done.errorMessage, /ran past the 15-minute limit without ending \(the provider said "in-progress"\); it was hung up/);
});
