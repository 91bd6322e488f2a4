import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { g711Decode, g711Encode, g711Silence, type G711Law } from './g711.js';

const every16Bit = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

test('encoding matches the ITU-T G.191 reference bit for bit on all 65 536 samples, and known vectors', () => {
  // Hashes of the code of every sample -32768..32767 from a literal port of G.191's g711.c
  // (ulaw_compress / alaw_compress); A-law's is also Python audioop's.
  assert.equal(sha256(g711Encode('PCMU', every16Bit)), '90c29de505fb68e766118303bd552a16005dcf810873698bee1d8f3b247ce28c');
  assert.equal(sha256(g711Encode('PCMA', every16Bit)), '38488f6fd710f4686360edc4d38639f96c491595ef93f8eb8d62d5e07ca6ce7b');
  const samples = Int16Array.from([-32768, -32124, -5000, -1000, -100, -9, -8, -4, -1, 0, 1, 4, 7, 8, 100, 1000, 5000, 32124, 32767]);
  assert.deepEqual([...g711Encode('PCMU', samples)], [0, 0, 43, 78, 115, 126, 126, 127, 127, 255, 255, 254, 254, 254, 242, 206, 171, 128, 128]);
  assert.deepEqual([...g711Encode('PCMA', samples)], [42, 42, 6, 122, 83, 85, 85, 85, 85, 213, 213, 213, 213, 213, 211, 250, 134, 170, 170]);
});

test('decoding gives the G.711 tables', () => {
  const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
  const u = g711Decode('PCMU', codes);
  const a = g711Decode('PCMA', codes);
  assert.deepEqual([...u.slice(0, 8)], [-32124, -31100, -30076, -29052, -28028, -27004, -25980, -24956]);
  assert.deepEqual([...u.slice(120, 136)], [-56, -48, -40, -32, -24, -16, -8, 0, 32124, 31100, 30076, 29052, 28028, 27004, 25980, 24956]);
  assert.deepEqual([...u.slice(248)], [56, 48, 40, 32, 24, 16, 8, 0]);
  assert.deepEqual([...a.slice(0, 8)], [-5504, -5248, -6016, -5760, -4480, -4224, -4992, -4736]);
  assert.deepEqual([...a.slice(120, 136)], [-944, -912, -1008, -976, -816, -784, -880, -848, 5504, 5248, 6016, 5760, 4480, 4224, 4992, 4736]);
  assert.deepEqual([...a.slice(248)], [944, 912, 1008, 976, 816, 784, 880, 848]);
  assert.equal(sha256(new Uint8Array(u.buffer)), '3dab54339e520bb2c924826e3b72a917a2b612e9fd12fc867500f1d983a75827');
  assert.equal(sha256(new Uint8Array(a.buffer)), 'e04788d110e58ff8c70c93b8480190d973e3b67876b6119abbaec766cc75c174');
  assert.equal(u[g711Silence('PCMU')], 0);
  assert.equal(a[g711Silence('PCMA')], 8); // A-law has no zero: its smallest step is ±8
});

for (const law of ['PCMU', 'PCMA'] as G711Law[]) {
  test(`${law}: a decoded value encodes to its own code; round-trip error within half a step of its segment`, () => {
    const codes = Uint8Array.from({ length: 256 }, (_, i) => i);
    const again = g711Encode(law, g711Decode(law, codes));
    for (let c = 0; c < 256; c++) {
      if (law === 'PCMU' && c === 0x7f) assert.equal(again[c], 0xff, 'µ-law -0 decodes to 0, which encodes as +0');
      else assert.equal(again[c], c, `code ${c}`);
    }
    const back = g711Decode(law, g711Encode(law, every16Bit));
    let worstRelative = 0;
    for (let i = 0; i < every16Bit.length; i++) {
      const x = every16Bit[i]!;
      const error = Math.abs(back[i]! - x);
      const magnitude = Math.abs(x);
      // Steps: µ-law 8·2^seg over ±8159·4, A-law 16 in the first two segments then doubling per segment.
      const clip = law === 'PCMU' ? 32124 : 32256;
      if (magnitude > clip) {
        assert.ok(error <= magnitude - clip + (law === 'PCMU' ? 1 : 512), `clipped ${x} → ${back[i]}`);
        continue;
      }
      const bound = law === 'PCMU' ? Math.max(8, (magnitude + 132) / 32) : Math.max(16, magnitude / 16);
      assert.ok(error <= bound, `${law} ${x} → ${back[i]} (error ${error} > ${bound})`);
      if (magnitude >= 1024) worstRelative = Math.max(worstRelative, error / magnitude);
    }
    assert.ok(worstRelative < 0.066, `relative error ${worstRelative}`);
  });

  test(`${law}: a sine at -10 dBFS survives with the SNR G.711 promises (> 35 dB)`, () => {
    const pcm = Int16Array.from({ length: 8000 }, (_, n) => Math.round(10362 * Math.sin((2 * Math.PI * 1004 * n) / 8000)));
    const back = g711Decode(law, g711Encode(law, pcm));
    let signal = 0;
    let noise = 0;
    for (let i = 0; i < pcm.length; i++) {
      signal += pcm[i]! ** 2;
      noise += (back[i]! - pcm[i]!) ** 2;
    }
    const snr = 10 * Math.log10(signal / noise);
    assert.ok(snr > 35 && snr < 42, `SNR ${snr.toFixed(1)} dB`);
  });
}

test('encoding fills a given buffer and decoding a given array', () => {
  const out = new Uint8Array(4);
  assert.equal(g711Encode('PCMU', Int16Array.from([0, 0, 0, 0]), out), out);
  assert.deepEqual([...out], [0xff, 0xff, 0xff, 0xff]);
  const pcm = new Int16Array(2);
  assert.equal(g711Decode('PCMA', Uint8Array.from([0xd5, 0x55]), pcm), pcm);
  assert.deepEqual([...pcm], [8, -8]);
});
