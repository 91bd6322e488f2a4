import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createDtmfDetector } from './dtmf-detect.js';
import { concatPcm, dtmfFrequencies, dtmfSequence, dtmfTone, seededRandom, speechLike, toneMix } from './dtmf-generate.js';
import { g711Decode, g711Encode, type G711Law } from './g711.js';

const KEYS = '0123456789*#ABCD';
const silence = (ms: number) => new Int16Array(Math.round(ms * 8));

/** Keys found in `pcm`, fed in 20-ms frames as RTP brings them. */
function detect(pcm: Int16Array, detector = createDtmfDetector()): string {
  const keys: string[] = [];
  for (let i = 0; i < pcm.length; i += 160) keys.push(...detector.push(pcm.subarray(i, i + 160)));
  return keys.join('');
}

function addNoise(pcm: Int16Array, snrDb: number, seed = 1): Int16Array {
  const r = seededRandom(seed);
  let power = 0;
  for (const v of pcm) power += v * v;
  const sigma = Math.sqrt(power / pcm.length / 10 ** (snrDb / 10));
  return Int16Array.from(pcm, (v) => Math.max(-32768, Math.min(32767, Math.round(v + sigma * r.gauss()))));
}

const throughG711 = (law: G711Law, pcm: Int16Array) => g711Decode(law, g711Encode(law, pcm));
const keysWith = (ms: number, pauseMs: number, leadMs = 0, tone = (key: string) => dtmfTone(key, ms)) =>
  concatPcm([silence(leadMs), ...[...KEYS].flatMap((key) => [tone(key), silence(pauseMs)])]);

test('every key is detected once from generated tones, whatever their alignment with the analysis blocks', () => {
  assert.equal(detect(dtmfSequence(KEYS)), KEYS);
  for (let lead = 0; lead < 13; lead += 1.5) assert.equal(detect(keysWith(40, 40, lead)), KEYS, `40-ms tones and pauses, ${lead} ms in`);
  assert.equal(detect(dtmfSequence('5', { toneMs: 3000 })), '5', 'a key held for 3 s is one key');
  assert.equal(detect(dtmfSequence('5555', { toneMs: 60, pauseMs: 40 })), '5555', 'the same key pressed again after a pause');
  assert.deepEqual(dtmfFrequencies('#'), [941, 1477]);
});

test('after a G.711 round trip and with noise at 15 dB SNR, at levels -33…-1 dBm0 and ±1.5 % off frequency', () => {
  for (const law of ['PCMU', 'PCMA'] as G711Law[]) {
    assert.equal(detect(throughG711(law, dtmfSequence(KEYS))), KEYS, law);
    assert.equal(detect(throughG711(law, addNoise(dtmfSequence(KEYS), 15))), KEYS, `${law} + noise`);
  }
  for (const amplitude of [700, 2000, 14000, 20000]) assert.equal(detect(throughG711('PCMU', dtmfSequence(KEYS, { amplitude }))), KEYS, `amplitude ${amplitude}`);
  for (const offset of [-0.015, 0.015]) {
    assert.equal(detect(throughG711('PCMA', addNoise(keysWith(80, 80, 0, (k) => dtmfTone(k, 80, 7000, { offset })), 20))), KEYS, `offset ${offset}`);
  }
  for (const twistDb of [-4, 6]) assert.equal(detect(keysWith(80, 80, 0, (k) => dtmfTone(k, 80, 7000, { twistDb }))), KEYS, `twist ${twistDb} dB`);
});

test('tones too short, too quiet, too twisted or off frequency are refused', () => {
  for (let lead = 0; lead < 13; lead += 2) assert.equal(detect(keysWith(28, 60, lead)), '', `28-ms tones, ${lead} ms in`);
  assert.equal(detect(dtmfSequence(KEYS, { amplitude: 300 })), '', 'below -37 dBm0');
  for (const twistDb of [-9, 11]) assert.equal(detect(keysWith(80, 80, 0, (k) => dtmfTone(k, 80, 7000, { twistDb }))), '', `twist ${twistDb} dB`);
  for (const offset of [-0.035, 0.035]) assert.equal(detect(keysWith(80, 80, 0, (k) => dtmfTone(k, 80, 7000, { offset }))), '', `offset ${offset}`);
  const row = toneMix([{ hz: 697, amplitude: 7000 }], 200);
  assert.equal(detect(row), '', 'one tone of a pair');
});

test('a short break inside a tone is not a new key; a 25-ms pause is', () => {
  const tone = dtmfTone('9', 80);
  assert.equal(detect(concatPcm([tone, silence(12), tone, silence(12), tone])), '9');
  assert.equal(detect(concatPcm([tone, silence(25), tone, silence(25), tone])), '999');
  const detector = createDtmfDetector();
  detector.push(dtmfTone('9', 60));
  assert.equal(detector.active(), '9', 'the key sounding now');
  detector.push(silence(40));
  assert.equal(detector.active(), null);
});

test('no key on silence, white noise, a 1 kHz tone, dial tone, speech-like sound or chords', () => {
  assert.equal(detect(silence(2000)), '');
  const r = seededRandom(7);
  assert.equal(detect(Int16Array.from({ length: 16000 }, () => Math.round(6000 * r.gauss()))), '', 'white noise');
  assert.equal(detect(toneMix([{ hz: 1000, amplitude: 12000 }], 2000)), '', '1 kHz');
  assert.equal(detect(toneMix([{ hz: 350, amplitude: 8000 }, { hz: 440, amplitude: 8000 }], 2000)), '', 'dial tone');
  for (let seed = 1; seed <= 3; seed++) assert.equal(detect(throughG711('PCMU', speechLike(10, seed))), '', `speech-like, seed ${seed}`);
  // Two notes a fifth to two octaves apart, each with its first four harmonics (a piano-ish timbre).
  const note = (k: number) => 440 * 2 ** ((k - 49) / 12);
  const chords = [];
  for (let low = 41; low < 52; low += 2) for (const interval of [7, 12, 19, 24]) {
    chords.push(toneMix([1, 2, 3, 4].flatMap((h) => [{ hz: note(low) * h, amplitude: 5000 / h }, { hz: note(low + interval) * h, amplitude: 5000 / h }]), 200));
  }
  assert.equal(detect(concatPcm(chords)), '', 'chords');
});
