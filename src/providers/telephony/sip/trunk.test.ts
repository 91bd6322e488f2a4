import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { parseNameAddr, parseVia } from './address.js';
import { header } from './message.js';
import { answered, prompt, setupFakeCall as setup } from '../../../../test/helpers/fake-sip-callee.js';

/** Answered calls against the fake callee on 127.0.0.1: keys, prompts, hang-ups, codecs, early media, TCP. */

test('answered, a key by RFC 4733 stops the prompt at once; hang-up sends BYE with a Q.850 reason', async (t) => {
  const { callee, dial, rang } = await setup(t, { answerAfterMs: 50, actions: [{ at: 300, press: '5' }] });
  const call = answered(await dial());
  assert.equal(rang.length, 1, '180 Ringing reported once');
  const started = performance.now();
  const outcome = await call.gather(prompt(3000), { timeoutMs: 3000 });
  const elapsed = performance.now() - started;
  assert.equal('digit' in outcome && outcome.digit, '5', JSON.stringify(outcome));
  assert.ok(elapsed < 1200, `barge-in: the key ended the 3 s prompt after ${elapsed} ms`);
  await new Promise((r) => setTimeout(r, 100));
  const voiced = callee.call()!.rtp.voiced;
  assert.ok(voiced > 5 && voiced < 60, `the prompt went out until the key only: ${voiced} voiced packets of 150`);
  assert.deepEqual([...callee.call()!.rtp.payloadTypes], [8], 'PCMA, first in the default order, chosen by the callee');

  const end = await call.hangUp();
  assert.equal(end.by, 'us');
  assert.equal(end.cause, 'NORMAL_CLEARING');
  assert.deepEqual(await call.ended, end);
  await callee.until(() => callee.call()!.byes.length === 1, 3000, 'BYE');
  const c = callee.call()!;
  const bye = c.byes[0]!;
  assert.equal(header(bye, 'Reason'), 'Q.850;cause=16;text="NORMAL_CLEARING"');
  assert.equal(bye.uri, 'sip:callee@127.0.0.1:' + callee.port, "BYE goes to the callee's Contact");
  assert.equal(parseNameAddr(header(bye, 'To')!).params.tag !== undefined, true);

  // What the INVITE and ACK looked like.
  const invite = c.invites[0]!;
  assert.equal(invite.uri, `sip:+966500111222@127.0.0.1:${callee.port}`);
  assert.equal(parseNameAddr(header(invite, 'From')!).uri, `sip:+966500000009@127.0.0.1:${callee.port}`, "the dial request's from");
  assert.match(parseVia(header(invite, 'Via')!).params.branch!, /^z9hG4bK/);
  assert.equal(header(invite, 'X-Wasl-Call-Id'), 'call-1');
  assert.match(invite.body, /m=audio \d+ RTP\/AVP 8 0 101\r\n/);
  assert.match(invite.body, /a=fmtp:101 0-16\r\na=ptime:20\r\na=sendrecv/);
  assert.equal(c.viaMismatch, false, 'Via names the address and port we send from');
  assert.equal(c.acks.length, 1);
  assert.equal(header(c.acks[0]!, 'CSeq'), '1 ACK');
  assert.equal(c.acks[0]!.uri, `sip:callee@127.0.0.1:${callee.port}`, 'ACK of the 2xx goes to its Contact');
  assert.notEqual(parseVia(header(c.acks[0]!, 'Via')!).params.branch, parseVia(header(invite, 'Via')!).params.branch, 'the ACK of a 2xx has its own branch');
  assert.equal(await call.hangUp(), end, 'hanging up twice is safe');
});

test('a key by in-band tone when the callee takes no telephone-event', async (t) => {
  const { dial } = await setup(t, { answerAfterMs: 20, telephoneEvent: false, actions: [{ at: 200, press: '7', via: 'inband' }] });
  const call = answered(await dial());
  const outcome = await call.gather(null, { timeoutMs: 3000 });
  assert.equal('digit' in outcome && outcome.digit, '7', JSON.stringify(outcome));
  await call.hangUp();
});

test('no key: the time-out counts from the end of the prompt', async (t) => {
  const { dial } = await setup(t, { answerAfterMs: 20 });
  const call = answered(await dial());
  const started = performance.now();
  const outcome = await call.gather(prompt(300), { timeoutMs: 300 });
  const elapsed = performance.now() - started;
  assert.deepEqual(outcome, { timeout: true });
  assert.ok(elapsed >= 560 && elapsed < 1500, `300 ms prompt + 300 ms time-out took ${elapsed} ms`);
  await call.hangUp();
});

test('the callee hangs up mid-prompt: play answers early with the end, by the callee', async (t) => {
  const { callee, dial } = await setup(t, { answerAfterMs: 20, actions: [{ at: 300, hangUp: true }] });
  const call = answered(await dial());
  const started = performance.now();
  const result = await call.play(prompt(3000));
  assert.ok(performance.now() - started < 1500, 'play stopped at the BYE');
  assert.equal(result.ended?.by, 'callee');
  assert.equal(result.ended?.cause, 'NORMAL_CLEARING');
  assert.deepEqual(await call.ended, result.ended);
  await callee.until(() => callee.call()!.responses.some((r) => r.status === 200), 2000, '200 to the BYE');
  const after = callee.call()!.rtp.packets;
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(callee.call()!.rtp.packets, after, 'no RTP after the end');
  assert.deepEqual(await call.gather(null, { timeoutMs: 100 }), { ended: result.ended });
  assert.equal((await call.hangUp()).by, 'callee', 'hanging up an ended call answers its end');
});

test('A-law-only answer to a µ-law-first offer: RTP goes out as PCMA', async (t) => {
  const { callee, dial } = await setup(t, { answerAfterMs: 20, codecs: ['PCMA'] }, { codecs: ['PCMU', 'PCMA'] });
  const call = answered(await dial());
  assert.match(callee.call()!.invites[0]!.body, /m=audio \d+ RTP\/AVP 0 8 101/);
  await call.play(prompt(200));
  assert.deepEqual([...callee.call()!.rtp.payloadTypes], [8]);
  assert.ok(callee.call()!.rtp.voiced >= 9 && callee.call()!.rtp.voiced <= 11, `${callee.call()!.rtp.voiced} voiced packets for 200 ms`);
  await call.hangUp();
});

test('early media: 183 with SDP, then a 200 without SDP keeps the early answer', async (t) => {
  const { callee, dial, rang } = await setup(t, { ringAfterMs: null, earlyMediaAfterMs: 30, answerAfterMs: 300, answerWithoutSdp: true, codecs: ['PCMU'], actions: [{ at: 100, press: '9' }] });
  const call = answered(await dial());
  assert.equal(rang.length, 1, '183 counts as ringing');
  const outcome = await call.gather(prompt(2000), { timeoutMs: 2000 });
  assert.equal('digit' in outcome && outcome.digit, '9');
  assert.deepEqual([...callee.call()!.rtp.payloadTypes], [0], 'the codec of the 183');
  await call.hangUp();
});

test('no RTP from the callee: the call ends with MEDIA_TIMEOUT and a BYE', async (t) => {
  const { callee, dial } = await setup(t, { answerAfterMs: 20, sendRtp: false }, {}, { mediaTimeoutMs: 300 });
  const call = answered(await dial());
  const end = await call.ended;
  assert.equal(end.cause, 'MEDIA_TIMEOUT');
  assert.equal(end.by, 'network');
  await callee.until(() => callee.call()!.byes.length > 0, 3000, 'BYE');
});

test('TCP transport: answer, key, hang-up over one connection', async (t) => {
  const { callee, dial } = await setup(t, { answerAfterMs: 20, actions: [{ at: 150, press: '#' }] }, {}, { tcp: true });
  const call = answered(await dial());
  assert.match(header(callee.call()!.invites[0]!, 'Via')!, /^SIP\/2\.0\/TCP /);
  assert.match(header(callee.call()!.invites[0]!, 'Contact')!, /;transport=tcp>/);
  const outcome = await call.gather(null, { timeoutMs: 3000 });
  assert.equal('digit' in outcome && outcome.digit, '#');
  await call.hangUp();
  await callee.until(() => callee.call()!.byes.length === 1, 3000, 'BYE over TCP');
});

test('aborting after the answer hangs up with BYE', async (t) => {
  const { callee, dial } = await setup(t, { answerAfterMs: 20 });
  const controller = new AbortController();
  const call = answered(await dial({ signal: controller.signal }));
  controller.abort();
  const end = await call.ended;
  assert.equal(end.by, 'us');
  await callee.until(() => callee.call()!.byes.length === 1, 3000, 'BYE');
});

test('in the dialog: a lost ACK is sent again for the retransmitted 200; INFO keys; re-INVITE answered with our SDP; a BYE Reason read', async (t) => {
  const { callee, dial } = await setup(t, {
    answerAfterMs: 20,
    dropAcks: 1,
    actions: [
      { at: 100, request: 'INFO', contentType: 'application/dtmf-relay', body: 'Signal=*\r\nDuration=160\r\n' },
      { at: 600, request: 'INVITE' },
      { at: 700, request: 'OPTIONS' },
      { at: 800, hangUp: true, reason: 'Q.850;cause=17;text="busy"' },
    ],
  });
  const call = answered(await dial());
  await callee.until(() => callee.call()!.acks.length === 2, 3000, 'the second ACK');
  assert.equal(header(callee.call()!.acks[1]!, 'CSeq'), '1 ACK');
  assert.equal(await call.gather(null, { timeoutMs: 2000 }).then((o) => ('digit' in o ? o.digit : JSON.stringify(o))), '*');
  const end = await call.ended;
  assert.deepEqual([end.by, end.cause], ['callee', 'USER_BUSY']);
  await callee.until(() => callee.call()!.responses.length === 4, 2000, '200 to the BYE');
  const responses = callee.call()!.responses;
  assert.deepEqual(responses.map((r) => `${r.status} ${header(r, 'CSeq')}`), ['200 101 INFO', '200 102 INVITE', '200 103 OPTIONS', '200 104 BYE']);
  assert.equal(responses[1]!.body, callee.call()!.invites[0]!.body, 'the re-INVITE gets our offer again');
  assert.match(header(responses[1]!, 'Contact')!, /^<sip:wasl@127\.0\.0\.1:\d+>$/);
});
