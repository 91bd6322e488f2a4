import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { systemClock } from '../../../lib/clock.js';
import { parseCSeq, parseVia } from './address.js';
import { header } from './message.js';
import { createSipTrunk } from './trunk.js';
import { answered, setupFakeCall as setup } from '../../../../test/helpers/fake-sip-callee.js';

/** Calls that are not answered, digest challenges, and the transaction timers, against the fake callee. */

const unanswered = (r: Awaited<ReturnType<ReturnType<typeof createSipTrunk>['dial']>>) => {
  assert.equal(r.answered, false, JSON.stringify(r));
  return r as Extract<typeof r, { answered: false }>;
};
const branch = (m: Parameters<typeof header>[0]) => parseVia(header(m, 'Via')!).params.branch;

test('486 Busy Here: busy, USER_BUSY, the final response ACKed in its transaction', async (t) => {
  const { callee, dial } = await setup(t, { reject: { status: 486, afterMs: 50 } });
  const r = unanswered(await dial());
  assert.deepEqual({ outcome: r.outcome, cause: r.cause, sipCode: r.sipCode, reason: r.reason }, { outcome: 'busy', cause: 'USER_BUSY', sipCode: 486, reason: '486 Busy Here' });
  await callee.until(() => callee.call()!.acks.length === 1, 2000, 'ACK');
  const c = callee.call()!;
  assert.equal(branch(c.acks[0]!), branch(c.invites[0]!), 'the ACK of a non-2xx has the INVITE branch');
  assert.equal(header(c.acks[0]!, 'CSeq'), '1 ACK');
});

test('603 Decline is rejected; 404 and 484 fail with their causes', async (t) => {
  for (const [status, outcome, cause] of [[603, 'rejected', 'CALL_REJECTED'], [404, 'failed', 'UNALLOCATED_NUMBER'], [484, 'failed', 'INVALID_NUMBER_FORMAT']] as const) {
    const { dial } = await setup(t, { reject: { status, reason: 'Nope' } });
    const r = unanswered(await dial());
    assert.deepEqual([r.outcome, r.cause, r.sipCode, r.reason], [outcome, cause, status, `${status} Nope`]);
  }
});

test('ringing past the ring time-out: CANCEL, the 487 ACKed, no-answer / NO_ANSWER', async (t) => {
  const { callee, dial, rang } = await setup(t, {});
  const started = performance.now();
  const r = unanswered(await dial({ ringTimeoutMs: 300 }));
  const elapsed = performance.now() - started;
  assert.deepEqual([r.outcome, r.cause], ['no-answer', 'NO_ANSWER']);
  assert.ok(elapsed >= 290 && elapsed < 1000, `answered after ${elapsed} ms`);
  assert.equal(rang.length, 1);
  await callee.until(() => callee.call()!.acks.length === 1, 2000, 'ACK of the 487');
  const c = callee.call()!;
  assert.equal(c.cancels.length, 1);
  assert.equal(branch(c.cancels[0]!), branch(c.invites[0]!), 'CANCEL has the branch of the INVITE');
  assert.deepEqual(parseCSeq(header(c.cancels[0]!, 'CSeq')!), { seq: 1, method: 'CANCEL' });
  assert.equal(header(c.cancels[0]!, 'Reason'), 'Q.850;cause=19;text="NO_ANSWER"');
});

test('aborting while it rings: CANCEL, cancelled / ORIGINATOR_CANCEL', async (t) => {
  const { callee, dial } = await setup(t, {});
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 150);
  const r = unanswered(await dial({ signal: controller.signal }));
  assert.deepEqual([r.outcome, r.cause], ['cancelled', 'ORIGINATOR_CANCEL']);
  await callee.until(() => callee.call()?.cancels.length === 1, 2000, 'CANCEL');
  const aborted = new AbortController();
  aborted.abort();
  assert.equal(unanswered(await dial({ signal: aborted.signal })).outcome, 'cancelled', 'an aborted signal dials nothing');
  assert.equal(callee.calls().length, 1);
});

test('407 challenge: the INVITE again with Proxy-Authorization, next CSeq, same Call-ID and tag', async (t) => {
  const challenge = { status: 407 as const, realm: 'trunk.example', username: 'acme', password: 's3cret' };
  const { callee, dial } = await setup(t, { challenge, answerAfterMs: 20 }, { username: 'acme', password: 's3cret' });
  const call = answered(await dial());
  const c = callee.call()!;
  assert.equal(c.invites.length, 2);
  const [first, second] = c.invites as [typeof c.invites[0], typeof c.invites[0]];
  assert.equal(header(second, 'Call-ID'), header(first, 'Call-ID'));
  assert.equal(header(second, 'From'), header(first, 'From'));
  assert.equal(header(second, 'CSeq'), '2 INVITE');
  assert.notEqual(branch(second), branch(first));
  assert.match(header(second, 'Proxy-Authorization')!, /^Digest username="acme", realm="trunk\.example", .*qop=auth, nc=00000001, cnonce="/);
  await callee.until(() => c.acks.length === 2, 2000, 'the 407 and the 200 both ACKed');
  assert.equal(header(c.acks[1]!, 'CSeq'), '2 ACK');
  assert.ok(header(c.acks[1]!, 'Proxy-Authorization'), 'the ACK of the 2xx carries the credentials');
  await call.hangUp();
});

test('401 with a wrong password: 403 rejected; without credentials: failed CALL_REJECTED', async (t) => {
  const challenge = { status: 401 as const, realm: 'r', username: 'acme', password: 'right', qop: false };
  const wrong = await setup(t, { challenge, answerAfterMs: 20 }, { username: 'acme', password: 'wrong' });
  const r1 = unanswered(await wrong.dial());
  assert.deepEqual([r1.outcome, r1.cause, r1.sipCode], ['rejected', 'CALL_REJECTED', 403]);
  assert.match(header(wrong.callee.call()!.invites[1]!, 'Authorization')!, /^Digest /);
  const none = await setup(t, { challenge, answerAfterMs: 20 });
  const r2 = unanswered(await none.dial());
  assert.deepEqual([r2.outcome, r2.cause, r2.sipCode], ['failed', 'CALL_REJECTED', 401]);
  assert.match(r2.reason, /authentication failed/);
  const otherRealm = await setup(t, { challenge, answerAfterMs: 20 }, { username: 'acme', password: 'right', realm: 'elsewhere' });
  assert.equal(unanswered(await otherRealm.dial()).sipCode, 401, 'a challenge for another realm is not answered');
});

test('no codec in common: 488 → failed / INCOMPATIBLE_DESTINATION', async (t) => {
  const { dial } = await setup(t, { answerAfterMs: 20, codecs: ['PCMA'] }, { codecs: ['PCMU'] });
  const r = unanswered(await dial());
  assert.deepEqual([r.outcome, r.cause, r.sipCode], ['failed', 'INCOMPATIBLE_DESTINATION', 488]);
});

test('Timer A: lost INVITEs are sent again with the same branch; Timer B: none answered → RECOVERY_ON_TIMER_EXPIRE', async (t) => {
  const lossy = await setup(t, { dropInvites: 2, answerAfterMs: 10 }, {}, { timers: { t1Ms: 40 } });
  const call = answered(await lossy.dial());
  const invites = lossy.callee.call()!.invites;
  assert.ok(invites.length >= 3);
  assert.equal(new Set(invites.map(branch)).size, 1);
  await call.hangUp();

  const dead = await setup(t, { dropInvites: 1000 }, {}, { timers: { t1Ms: 10 } });
  const started = performance.now();
  const r = unanswered(await dead.dial({ ringTimeoutMs: 5000 }));
  assert.deepEqual([r.outcome, r.cause], ['failed', 'RECOVERY_ON_TIMER_EXPIRE']);
  assert.ok(performance.now() - started >= 600, 'after 64·T1');
  const sent = dead.callee.call()!.invites.length;
  assert.ok(sent >= 6 && sent <= 8, `Timer A doubling from T1 within 64·T1: ${sent} sends`);
});

test('no response at all by the ring time-out: failed / RECOVERY_ON_TIMER_EXPIRE at once', async (t) => {
  const { dial } = await setup(t, { dropInvites: 1000 }, {}, { timers: { t1Ms: 10 } });
  const started = performance.now();
  const r = unanswered(await dial({ ringTimeoutMs: 200 }));
  assert.deepEqual([r.outcome, r.cause], ['failed', 'RECOVERY_ON_TIMER_EXPIRE']);
  assert.ok(performance.now() - started < 500);
  assert.match(r.reason, /No response from the SIP server within 200 ms/);
});

test('a host that does not resolve fails at once as NETWORK_OUT_OF_ORDER', async () => {
  const trunk = createSipTrunk({ host: 'no-such-trunk.invalid' }, { channelId: 'c', phoneNumber: null, clock: systemClock });
  const r = unanswered(await trunk.dial({ callId: 'x', from: '+1', to: '+2', ringTimeoutMs: 1000 }));
  assert.deepEqual([r.outcome, r.cause], ['failed', 'NETWORK_OUT_OF_ORDER']);
  assert.match(r.reason, /no-such-trunk\.invalid/);
});
