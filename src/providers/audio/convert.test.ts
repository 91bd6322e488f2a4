import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWav, pcm16Of } from '../../lib/wav.js';
import { AudioConversionError, createAudioConverter } from './convert.js';
import { sample, SAMPLES, type SampleKind } from './testing.js';

const converter = createAudioConverter();

/** What file-type calls each sample (the converter's `inputFormat`). */
const FORMAT: Record<SampleKind, string> = {
  'wav s16 44.1 kHz stereo': 'wav',
  'wav µ-law 8 kHz': 'wav',
  'wav A-law 8 kHz': 'wav',
  'wav 24-bit stereo (WAVE_FORMAT_EXTENSIBLE)': 'wav',
  'wav float 48 kHz': 'wav',
  mp3: 'mp3',
  'ogg opus': 'opus',
  'ogg vorbis': 'ogg',
  'm4a aac': 'm4a',
  'mp4 aac (isom brand)': 'mp4',
  'adts aac': 'aac',
  flac: 'flac',
  'webm opus': 'webm',
  'amr-nb': 'amr',
  'amr-wb': 'amr',
  '3gp amr-nb': '3gp',
};

const refusal = (reason: AudioConversionError['reason'], message?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof AudioConversionError, String(err));
  assert.equal(err.reason, reason, err.message);
  if (message) assert.match(err.message, message);
  assert.doesNotMatch(err.message, /\/tmp|node_modules|wasl-audio|0x[0-9a-f]{6}/, 'no path or address in the message');
  return true;
};

test('every accepted format becomes 8 kHz mono 16-bit PCM of the same length (±60 ms), the same bytes every time', async () => {
  // All at once: the converter queues them by the CPUs it has.
  await Promise.all(
    (Object.keys(SAMPLES) as SampleKind[]).map(async (kind) => {
      const input = await sample(kind, 1.5);
      const first = await converter.toTelephonyWav(input);
      const info = parseWav(first.wav);
      assert.deepEqual([info.sampleRate, info.channels, info.bitsPerSample, info.format, info.dataOffset], [8000, 1, 16, 'pcm', 44], kind);
      assert.equal(first.inputFormat, FORMAT[kind], kind);
      assert.ok(Math.abs(first.durationMs - 1500) <= 60, `${kind}: ${first.durationMs} ms`);
      assert.equal(first.durationMs, info.durationMs);
      assert.ok(pcm16Of(first.wav).some((s) => Math.abs(s) > 2000), `${kind}: the tone is there`);
      const again = await converter.toTelephonyWav(input);
      assert.ok(again.wav.equals(first.wav), `${kind}: identical bytes on a rerun`);
    }),
  );
});

test('refused before ffmpeg runs: empty, junk, text renamed .wav, an image', async () => {
  await assert.rejects(converter.toTelephonyWav(Buffer.alloc(0)), refusal('unsupported', /empty/));
  const junk = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 251));
  await assert.rejects(converter.toTelephonyWav(junk), refusal('unsupported', /not a recognised audio format/));
  await assert.rejects(converter.toTelephonyWav(Buffer.from('RIFF? no: just a note saved as prompt.wav\n'.repeat(20))), refusal('unsupported', /text/));
  const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
  await assert.rejects(converter.toTelephonyWav(png), refusal('unsupported', /image\/png/));
});

test('the right magic bytes over broken audio: undecodable, with ffmpeg\'s reason and no local path', async () => {
  const mp3 = await sample('mp3', 1);
  await assert.rejects(converter.toTelephonyWav(mp3.subarray(0, 120)), refusal('undecodable'));
  // An M4A cut before its index (moov) goes through the temporary file: its path must not leak.
  const m4a = await sample('m4a aac', 1);
  await assert.rejects(converter.toTelephonyWav(m4a.subarray(0, 2000)), refusal('undecodable', /could not be decoded|no audio/));
  const header = Buffer.concat([Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1'), Buffer.alloc(40)]);
  await assert.rejects(converter.toTelephonyWav(header), refusal('undecodable'));
});

test('a duration cap: refused past it (decoding stops a second after), accepted up to it', async () => {
  const long = await sample('ogg opus', 4);
  await assert.rejects(converter.toTelephonyWav(long, { maxDurationMs: 2000 }), refusal('too-long', /longer than the limit of 2 s/));
  const ok = await converter.toTelephonyWav(await sample('ogg opus', 2), { maxDurationMs: 2000 });
  assert.equal(ok.durationMs, 2000);
});

test('a time-out kills ffmpeg; a missing binary is an operator error that names no path', async () => {
  const hasty = createAudioConverter({ timeoutMs: 1 });
  await assert.rejects(hasty.toTelephonyWav(await sample('flac', 1)), refusal('timeout', /longer than 0.001 s/));
  const missing = createAudioConverter({ ffmpegPath: '/nonexistent/dir/ffmpeg-missing' });
  await assert.rejects(missing.toTelephonyWav(await sample('flac', 1)), (err: Error) => {
    assert.ok(!(err instanceof AudioConversionError));
    assert.match(err.message, /could not be started \(ENOENT\)/);
    assert.doesNotMatch(err.message, /nonexistent/);
    return true;
  });
});

test('conversions beyond maxConcurrent wait their turn and all finish', async () => {
  const one = createAudioConverter({ maxConcurrent: 1 });
  const input = await sample('mp3', 0.5);
  const results = await Promise.all([1, 2, 3].map(() => one.toTelephonyWav(input)));
  assert.ok(results.every((r) => r.wav.equals(results[0]!.wav)));
});
