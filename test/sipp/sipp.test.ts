import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test, type TestContext } from 'node:test';
import { systemClock } from '../../src/lib/clock.js';
import { verifyDigest } from '../../src/providers/telephony/sip/digest.js';
import { toneMix } from '../../src/providers/telephony/sip/media/dtmf-generate.js';
import { g711Encode } from '../../src/providers/telephony/sip/media/g711.js';
import { buildRtp } from '../../src/providers/telephony/sip/media/rtp.js';
import { createSipTrunk, type SipTrunkSettings } from '../../src/providers/telephony/sip/trunk.js';
import type { DialResult, LiveCall } from '../../src/providers/telephony/port.js';
import { answered, prompt } from '../helpers/fake-sip-callee.js';
import { inbandPackets, rfc4733Packets, writePcap, type TimedPacket } from './pcap.js';
import { freeMediaPort, freePort } from './ports.js';

/**
 * The SIP trunk against sipp as the callee (test/sipp/*.xml, one UAS scenario per case). sipp
 * comes from the Debian package sip-tester, which .ci/run installs; without it these tests skip.
 * Keys reach us as RTP that sipp replays from pcap files written here from our own RTP code
 * (`play_pcap_audio` sends through a raw socket, so those cases need root and skip otherwise).
 */

const here = dirname(fileURLToPath(import.meta.url));
const hasSipp = !spawnSync('sipp', ['-v'], { stdio: 'ignore' }).error;
const isRoot = process.getuid?.() === 0;
const noSipp = hasSipp ? false : 'sipp is not on PATH: install the Debian package sip-tester (.ci/run does) to run the SIP trunk against it';
const noPcap = noSipp || (isRoot ? false : 'sipp replays RTP from pcap through a raw socket, which needs root');
if (noSipp) console.log(`# skipped: ${noSipp}`);

interface SippRun {
  exited: Promise<{ code: number | null; errors: string }>;
  /** What the scenario's <log> actions wrote. */
  logs(): string;
  dial(over?: Partial<SipTrunkSettings> & { ringTimeoutMs?: number; signal?: AbortSignal }): Promise<DialResult>;
  rang: Date[];
}

async function sipp(t: TestContext, scenario: string, pcaps: Record<string, TimedPacket[]> = {}, options: { tcp?: boolean } = {}): Promise<SippRun> {
  const dir = mkdtempSync(join(tmpdir(), 'wasl-sipp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // sipp looks for pcap files next to the scenario: both go in a fresh directory.
  copyFileSync(join(here, scenario), join(dir, scenario));
  for (const [name, packets] of Object.entries(pcaps)) writePcap(join(dir, name), packets);
  const transport = options.tcp ? 'tcp' : 'udp';
  const port = (await freePort(transport))!;
  const mediaPort = await freeMediaPort();
  const args = ['-sf', scenario, '-i', '127.0.0.1', '-p', String(port), '-mi', '127.0.0.1', '-mp', String(mediaPort), '-m', '1', '-nostdin', '-timeout', '20s', '-timeout_error', '-trace_err', '-error_file', join(dir, 'errors.log'), '-trace_logs', '-log_file', join(dir, 'logs.log'), ...(options.tcp ? ['-t', 't1'] : [])];
  const child = spawn('sipp', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; errors: string }>((resolve) =>
    child.on('exit', (code) => {
      let errors = stderr;
      try {
        errors += readFileSync(join(dir, 'errors.log'), 'utf8');
      } catch {}
      resolve({ code, errors });
    }),
  );
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  // Ready once it holds its port.
  for (let i = 0; i < 150 && (await freePort(transport, port)) !== null; i++) await new Promise((r) => setTimeout(r, 20));
  const rang: Date[] = [];
  return {
    exited,
    rang,
    logs: () => {
      try {
        return readFileSync(join(dir, 'logs.log'), 'utf8');
      } catch {
        return '';
      }
    },
    dial: ({ ringTimeoutMs, signal, ...settings } = {}) =>
      createSipTrunk({ host: '127.0.0.1', port, transport, ...settings }, { channelId: 'ch-sipp', phoneNumber: '+966500000001', clock: systemClock }).dial({
        callId: 'sipp-call',
        from: '+966500000001',
        to: '+966500111222',
        ringTimeoutMs: ringTimeoutMs ?? 5000,
        onRinging: (at) => rang.push(at),
        ...(signal && { signal }),
      }),
  };
}

async function passed(run: SippRun) {
  const { code, errors } = await run.exited;
  assert.equal(code, 0, `sipp failed (exit ${code}):\n${errors}`);
}

const keyOf = async (call: LiveCall, timeoutMs = 4000) => {
  const outcome = await call.gather(null, { timeoutMs });
  return 'digit' in outcome ? outcome.digit : JSON.stringify(outcome);
};

test('sipp: answer, then every key by RFC 4733 in one call', { skip: noPcap }, async (t) => {
  const keys = '0123456789*#';
  const run = await sipp(t, 'uas-answer-key.xml', { 'key.pcap': rfc4733Packets(keys, { toneMs: 100, gapMs: 250 }) });
  const call = answered(await run.dial());
  assert.equal(run.rang.length, 1);
  const got: string[] = [];
  for (const _ of keys) got.push(await keyOf(call));
  assert.equal(got.join(''), keys);
  await call.hangUp();
  await passed(run);
});

test('sipp: a key by in-band tone (no telephone-event negotiated)', { skip: noPcap }, async (t) => {
  const run = await sipp(t, 'uas-inband-key.xml', { 'key.pcap': inbandPackets('8', 'PCMU') });
  const call = answered(await run.dial());
  assert.equal(await keyOf(call), '8');
  await call.hangUp();
  await passed(run);
});

test('sipp: 486 busy', { skip: noSipp }, async (t) => {
  const run = await sipp(t, 'uas-busy.xml');
  const r = await run.dial();
  assert.deepEqual(r.answered ? r : [r.outcome, r.cause, r.sipCode], ['busy', 'USER_BUSY', 486]);
  await passed(run);
});

test('sipp: rings past the ring time-out, CANCEL, 487', { skip: noSipp }, async (t) => {
  const run = await sipp(t, 'uas-ring-cancel.xml');
  const r = await run.dial({ ringTimeoutMs: 400 });
  assert.deepEqual(r.answered ? r : [r.outcome, r.cause], ['no-answer', 'NO_ANSWER']);
  assert.equal(run.rang.length, 1);
  await passed(run);
});

test('sipp: the callee hangs up mid-prompt', { skip: noSipp }, async (t) => {
  const run = await sipp(t, 'uas-hangup-mid-prompt.xml');
  const call = answered(await run.dial());
  const result = await call.play(prompt(5000));
  assert.equal(result.ended?.by, 'callee');
  assert.equal(result.ended?.cause, 'NORMAL_CLEARING');
  await passed(run);
});

test('sipp: no input, the gather times out and we hang up', { skip: noSipp }, async (t) => {
  const run = await sipp(t, 'uas-no-input.xml');
  const call = answered(await run.dial());
  assert.deepEqual(await call.gather(prompt(300), { timeoutMs: 500 }), { timeout: true });
  await call.hangUp();
  await passed(run);
});

test('sipp: an invalid digit, then a valid one', { skip: noPcap }, async (t) => {
  const run = await sipp(t, 'uas-invalid-then-valid.xml', { 'first.pcap': rfc4733Packets('9'), 'second.pcap': rfc4733Packets('1') });
  const call = answered(await run.dial());
  assert.equal(await keyOf(call), '9');
  // The engine would now say "invalid" and ask again: a prompt with barge-in.
  assert.equal(await keyOf(call), '1');
  await call.hangUp();
  await passed(run);
});

test('sipp: 407 challenge answered with Proxy-Authorization', { skip: noPcap }, async (t) => {
  const run = await sipp(t, 'uas-407-challenge.xml', { 'key.pcap': rfc4733Packets('4') });
  const call = answered(await run.dial({ username: 'acme', password: 's3cret' }));
  assert.equal(await keyOf(call), '4');
  await call.hangUp();
  await passed(run);
  // sipp's verifyauth reads Authorization only: the scenario logged what it got, checked here.
  const credentials = /PROXY-AUTHORIZATION (Digest .*)/.exec(run.logs())?.[1];
  assert.ok(credentials, run.logs());
  assert.ok(verifyDigest(credentials, { method: 'INVITE', username: 'acme', password: 's3cret', realm: 'sipp.test', nonce: '4f1a9c0e7b2d' }), credentials);
});

test('sipp: 401 challenge, the credentials checked by sipp (verifyauth)', { skip: noPcap }, async (t) => {
  const run = await sipp(t, 'uas-401-challenge.xml', { 'key.pcap': rfc4733Packets('0') });
  const call = answered(await run.dial({ username: 'acme', password: 's3cret' }));
  assert.equal(await keyOf(call), '0');
  await call.hangUp();
  await passed(run);
});

test('sipp: early media (183 with SDP and audio) before the answer', { skip: noPcap }, async (t) => {
  const tone = toneMix([{ hz: 425, amplitude: 4000 }], 400);
  const early = Array.from({ length: 20 }, (_, i) => ({ atMs: i * 20, rtp: buildRtp({ payloadType: 0, sequence: i, timestamp: i * 160, ssrc: 7, marker: i === 0, payload: Buffer.from(g711Encode('PCMU', tone.subarray(i * 160, i * 160 + 160))) }) }));
  const run = await sipp(t, 'uas-early-media.xml', { 'early.pcap': early, 'key.pcap': rfc4733Packets('6') });
  const call = answered(await run.dial());
  assert.equal(run.rang.length, 1, '183 reported as ringing');
  assert.equal(await keyOf(call), '6', 'the early tone is not a key; the key after the answer is');
  await call.hangUp();
  await passed(run);
});

test('sipp: an A-law-only answer; the key arrives as an A-law tone', { skip: noPcap }, async (t) => {
  const run = await sipp(t, 'uas-alaw-only.xml', { 'key.pcap': inbandPackets('3', 'PCMA') });
  const call = answered(await run.dial({ codecs: ['PCMU', 'PCMA'] }));
  assert.equal(await keyOf(call), '3');
  await call.hangUp();
  await passed(run);
});

test('sipp over TCP: answer, key, BYE', { skip: noPcap }, async (t) => {
  const run = await sipp(t, 'uas-answer-key.xml', { 'key.pcap': rfc4733Packets('2') }, { tcp: true });
  const call = answered(await run.dial());
  assert.equal(await keyOf(call), '2');
  await call.hangUp();
  await passed(run);
});
