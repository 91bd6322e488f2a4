import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { build, json, type Workspace } from '../helpers/build.js';
import { ok } from '../helpers/conversations.js';
import { startFakeSipCallee } from '../helpers/fake-sip-callee.js';
import { startReceiver } from '../helpers/receiver.js';
import { IVR, toneWav, untilComplete, voiceChannel } from '../helpers/voice.js';
import { startFileServer } from '../../src/features/media/testing.js';

/**
 * Issue 10 end to end over SIP: a channel whose line is a SIP trunk (the in-repo fake callee on
 * 127.0.0.1) gets the SIP adapter from the registry; an outbound IVR request is dialled as an
 * INVITE, the prompt goes out as RTP, the callee's key (RFC 4733) is the IVR's answer, and the
 * completion webhook and Call Webhooks follow.
 */
const h = await build({ WEBHOOK_ALLOW_PRIVATE: 'true' });
const worker = await h.worker({ pollMs: 50 });
const files = await startFileServer();
const MAIN = files.serve('/main.wav', { body: toneWav(2), type: 'audio/wav' });

const untilDone = (ws: Workspace, id: string) => untilComplete(h, ws, id, { moveClock: false });

test('an IVR call over a SIP trunk: INVITE with the channel number, the prompt as RTP, key 3 by RFC 4733, BYE; the record, webhooks and call list follow', async () => {
  const callee = await startFakeSipCallee({ ringAfterMs: 20, answerAfterMs: 100, actions: [{ at: 500, press: '3' }] });
  after(() => callee.close());
  const ws = await h.workspace();
  const calls = await startReceiver();
  const completions = await startReceiver();
  const channel = await voiceChannel(h, ws, { postCallWebhookUrl: calls.url('/calls'), voice: { provider: 'sip', sip: { host: '127.0.0.1', port: callee.port, codecs: ['PCMU'] } } });
  const res = await ws.api('POST', IVR, { channelId: channel.id, destinationNumber: '966500111222', audioFileUrl: MAIN, options: [{ digit: '1', description: 'Yes' }, { digit: '3', description: 'No' }], webhookUrl: completions.url('/ivr') });
  assert.equal(res.statusCode, 200, res.body);
  const done = await untilDone(ws, json(res).id);
  assert.deepEqual([done.status, done.result, done.pressedDigit, done.hangupCause], [4, 1, '3', 'NORMAL_CLEARING'], JSON.stringify(done));
  const c = callee.call()!;
  assert.equal(c.invites.length, 1);
  assert.match(c.invites[0]!.uri, /^sip:\+966500111222@127\.0\.0\.1:/);
  assert.equal(c.byes.length, 1, 'we hung up');
  assert.ok(c.rtp.voiced > 5, `the prompt went out as RTP (${c.rtp.voiced} voiced packets)`);
  assert.deepEqual([...c.rtp.payloadTypes], [0], 'PCMU, as the channel offers');
  await worker.drain();
  await completions.waitFor(1);
  assert.deepEqual([JSON.parse(completions.received[0]!.body).result, JSON.parse(completions.received[0]!.body).pressedDigit], [1, '3']);
  await calls.waitFor(3);
  assert.deepEqual(calls.received.map((r) => JSON.parse(r.body).status), [8, 0, 1]);
  const list = await ok(ws, 'GET', '/v1/call/list');
  assert.deepEqual([list.items[0].callType, list.items[0].status, list.items[0].contactNumber], [2, 1, '+966500111222']);
});

test('a busy SIP callee (486): Busy / DestinationBusy, USER_BUSY, the Call Webhook says RejectedByCallee', async () => {
  const callee = await startFakeSipCallee({ ringAfterMs: 10, reject: { status: 486, reason: 'Busy Here', afterMs: 50 } });
  after(() => callee.close());
  const ws = await h.workspace();
  const completions = await startReceiver();
  const channel = await voiceChannel(h, ws, { voice: { provider: 'sip', sip: { host: '127.0.0.1', port: callee.port } } });
  const res = await ws.api('POST', IVR, { channelId: channel.id, destinationNumber: '966500111223', audioFileUrl: MAIN, options: [{ digit: '1', description: 'Yes' }], webhookUrl: completions.url('/ivr') });
  const done = await untilDone(ws, json(res).id);
  assert.deepEqual([done.status, done.result, done.hangupCause, done.answeredAt], [6, 5, 'USER_BUSY', null]);
});
