import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWav, pcm16Of, WavError, wavHeader, wavOf } from './wav.js';

/** One RIFF chunk, padded to an even length as RIFF requires (the pad byte is not in the size). */
function chunk(id: string, body: Buffer, size = body.length): Buffer {
  const head = Buffer.alloc(8);
  head.write(id, 0, 'latin1');
  head.writeUInt32LE(size, 4);
  return Buffer.concat([head, body, Buffer.alloc(body.length % 2)]);
}

function fmt(o: { code?: number; channels?: number; rate?: number; bits?: number; extensible?: number }): Buffer {
  const channels = o.channels ?? 1;
  const rate = o.rate ?? 8000;
  const bits = o.bits ?? 16;
  const body = Buffer.alloc(o.extensible === undefined ? 16 : 40);
  body.writeUInt16LE(o.extensible === undefined ? (o.code ?? 1) : 0xfffe, 0);
  body.writeUInt16LE(channels, 2);
  body.writeUInt32LE(rate, 4);
  body.writeUInt32LE((rate * channels * bits) / 8, 8);
  body.writeUInt16LE((channels * bits) / 8, 12);
  body.writeUInt16LE(bits, 14);
  if (o.extensible !== undefined) {
    body.writeUInt16LE(22, 16); // cbSize
    body.writeUInt16LE(bits, 18); // valid bits
    body.writeUInt32LE(4, 20); // channel mask
    body.writeUInt16LE(o.extensible, 24); // SubFormat GUID, first two bytes
    Buffer.from('000000001000800000aa00389b71', 'hex').copy(body, 26);
  }
  return chunk('fmt ', body);
}

function riff(...chunks: Buffer[]): Buffer {
  const body = Buffer.concat([Buffer.from('WAVE'), ...chunks]);
  return Buffer.concat([chunk('RIFF', body).subarray(0, 8), body]);
}

test('wavOf writes the canonical 44-byte header; parseWav and pcm16Of read it back', () => {
  const pcm = Int16Array.from([0, 1, -1, 32767, -32768, 1234, -4321, 7]);
  const wav = wavOf(pcm);
  assert.equal(wav.length, 44 + 16);
  assert.equal(wav.toString('latin1', 0, 4), 'RIFF');
  assert.equal(wav.readUInt32LE(4), wav.length - 8);
  assert.deepEqual(wav.subarray(0, 44), wavHeader(16));
  assert.deepEqual(parseWav(wav), { sampleRate: 8000, channels: 1, bitsPerSample: 16, format: 'pcm', dataOffset: 44, dataLength: 16, durationMs: 1 });
  assert.deepEqual(pcm16Of(wav), pcm);
  assert.equal(parseWav(wavOf(new Int16Array(8000))).durationMs, 1000);
  assert.equal(parseWav(wavOf(new Int16Array(16000), 16000)).sampleRate, 16000);
});

test('chunks are walked: LIST/fact before and after fmt, odd sizes padded, data after unknown chunks', () => {
  const samples = Buffer.alloc(8000 * 2, 1);
  const wav = riff(chunk('LIST', Buffer.from('INFOISFT\x05\x00\x00\x00abcde', 'latin1')), fmt({}), chunk('fact', Buffer.alloc(3)), chunk('data', samples));
  const info = parseWav(wav);
  assert.equal(info.dataLength, samples.length);
  assert.equal(info.dataOffset, wav.length - samples.length);
  assert.equal(info.durationMs, 1000);
  assert.equal(pcm16Of(wav)[0], 257);
  // data before fmt is still found
  const reversed = riff(chunk('data', Buffer.alloc(160)), fmt({}));
  assert.equal(parseWav(reversed).durationMs, 10);
});

test('format codes: µ-law 7, A-law 6, float 3, WAVE_FORMAT_EXTENSIBLE by its SubFormat, others as numbers', () => {
  const data = chunk('data', Buffer.alloc(8000));
  assert.equal(parseWav(riff(fmt({ code: 7, bits: 8 }), data)).format, 'mulaw');
  assert.equal(parseWav(riff(fmt({ code: 6, bits: 8 }), data)).format, 'alaw');
  assert.equal(parseWav(riff(fmt({ code: 7, bits: 8 }), data)).durationMs, 1000, 'one byte a sample');
  assert.equal(parseWav(riff(fmt({ code: 3, bits: 32 }), data)).format, 'float');
  assert.equal(parseWav(riff(fmt({ code: 0x55 }), data)).format, 0x55);
  const ext = parseWav(riff(fmt({ extensible: 1, channels: 2, rate: 48000, bits: 24 }), chunk('data', Buffer.alloc(48000 * 6))));
  assert.deepEqual([ext.format, ext.channels, ext.sampleRate, ext.bitsPerSample, ext.durationMs], ['pcm', 2, 48000, 24, 1000]);
  assert.equal(parseWav(riff(fmt({ extensible: 7, bits: 8 }), data)).format, 'mulaw');
  assert.equal(pcm16Of(riff(fmt({ extensible: 1 }), chunk('data', Buffer.alloc(4)))).length, 2, 'an extensible 8 kHz mono s16 WAV is telephony PCM too');
});

test('a streamed (unsized) or truncated data chunk keeps the bytes that are there', () => {
  const unsized = Buffer.concat([riff(fmt({})).subarray(0, 36), chunk('data', Buffer.alloc(0), 0xffffffff), Buffer.alloc(1600)]);
  unsized.writeUInt32LE(0xffffffff, 4);
  assert.equal(parseWav(unsized).dataLength, 1600);
  assert.equal(parseWav(unsized).durationMs, 100);
  const cut = riff(fmt({}), chunk('data', Buffer.alloc(1600))).subarray(0, 44 + 800);
  assert.equal(parseWav(cut).dataLength, 800);
});

test('junk is refused with WavError', () => {
  const refused = (buf: Buffer, why: RegExp) => assert.throws(() => parseWav(buf), (e: unknown) => e instanceof WavError && why.test((e as Error).message));
  refused(Buffer.alloc(0), /RIFF\/WAVE/);
  refused(Buffer.from('hello, this is a text file renamed .wav'), /RIFF\/WAVE/);
  refused(Buffer.concat([Buffer.from('RIFF\0\0\0\0AVI '), Buffer.alloc(40)]), /RIFF\/WAVE/);
  refused(riff(chunk('data', Buffer.alloc(10))), /no fmt/);
  refused(riff(fmt({})), /no data/);
  refused(riff(chunk('fmt ', Buffer.alloc(8)), chunk('data', Buffer.alloc(10))), /shorter than 16/);
  refused(riff(fmt({ channels: 0 }), chunk('data', Buffer.alloc(10))), /zero channels/);
  refused(riff(fmt({ rate: 0 }), chunk('data', Buffer.alloc(10))), /zero/);
  const shortExt = riff(chunk('fmt ', Buffer.from(fmt({ extensible: 1 }).subarray(8, 8 + 18))), chunk('data', Buffer.alloc(4)));
  shortExt.writeUInt16LE(0xfffe, 20);
  refused(shortExt, /EXTENSIBLE/);
});

test('pcm16Of refuses anything but 8 kHz mono 16-bit PCM', () => {
  const data = chunk('data', Buffer.alloc(64));
  for (const f of [fmt({ rate: 16000 }), fmt({ channels: 2 }), fmt({ code: 7, bits: 8 }), fmt({ bits: 24 })]) {
    assert.throws(() => pcm16Of(riff(f, data)), /not an 8 kHz mono 16-bit PCM WAV/);
  }
});
