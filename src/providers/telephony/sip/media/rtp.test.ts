import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildRtp, isRtcp, parseRtp, randomRtpStart } from './rtp.js';

test('a built packet has the RFC 3550 layout and parses back', () => {
  const payload = Buffer.alloc(160, 0xff);
  const packet = buildRtp({ payloadType: 0, sequence: 0xfffe, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, marker: true, payload });
  assert.equal(packet.length, 172);
  assert.deepEqual([...packet.subarray(0, 12)], [0x80, 0x80, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xf0, 0xde, 0xad, 0xbe, 0xef]);
  const parsed = parseRtp(packet)!;
  assert.deepEqual({ ...parsed, payload: parsed.payload.length }, {
    payloadType: 0, marker: true, sequence: 0xfffe, timestamp: 0xfffffff0, ssrc: 0xdeadbeef, csrc: [], extension: null, padding: 0, payload: 160,
  });
  const plain = buildRtp({ payloadType: 101, sequence: 70000, timestamp: 2 ** 32 + 5, ssrc: -1, marker: false, payload: Buffer.from([1, 2, 3, 4]) });
  assert.deepEqual([...plain.subarray(0, 12)], [0x80, 101, 0x11, 0x70, 0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff], 'sequence and timestamp wrap, ssrc is unsigned');
});

test('CSRCs, a header extension and padding are read and stripped from the payload', () => {
  const withCsrc = buildRtp({ payloadType: 8, sequence: 1, timestamp: 2, ssrc: 3, marker: false, csrc: [10, 20], payload: Buffer.from('abc') });
  assert.equal(withCsrc[0], 0x82);
  const a = parseRtp(withCsrc)!;
  assert.deepEqual(a.csrc, [10, 20]);
  assert.equal(a.payload.toString(), 'abc');

  // V=2, P=1, X=1, CC=1 | PT 0 | seq | ts | ssrc | csrc | ext profile 0xBEDE, 1 word | payload | 3 bytes padding
  const raw = Buffer.from([
    0xb1, 0x00, 0, 7, 0, 0, 0, 9, 0, 0, 0, 1,
    0, 0, 0, 42,
    0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0,
    0x61, 0x62,
    0, 0, 3,
  ]);
  const b = parseRtp(raw)!;
  assert.deepEqual(b.csrc, [42]);
  assert.equal(b.extension?.profile, 0xbede);
  assert.deepEqual([...b.extension!.data], [0x10, 0xaa, 0, 0]);
  assert.equal(b.padding, 3);
  assert.equal(b.payload.toString(), 'ab');
});

test('what is not a version-2 RTP packet is refused', () => {
  const good = buildRtp({ payloadType: 0, sequence: 1, timestamp: 1, ssrc: 1, marker: false, payload: Buffer.alloc(4) });
  assert.ok(parseRtp(good));
  assert.equal(parseRtp(good.subarray(0, 11)), null, 'shorter than a header');
  assert.equal(parseRtp(Buffer.from([0x40, ...good.subarray(1)])), null, 'version 1');
  assert.equal(parseRtp(Buffer.from([0x83, ...good.subarray(1)])), null, 'CSRC count past the end');
  assert.equal(parseRtp(Buffer.from([0x90, ...good.subarray(1, 12), 0xbe, 0xde])), null, 'extension header past the end');
  assert.equal(parseRtp(Buffer.from([0x90, ...good.subarray(1, 12), 0, 0, 0, 9])), null, 'extension longer than the packet');
  assert.equal(parseRtp(Buffer.from([0xa0, ...good.subarray(1, 12), 1, 2, 3, 0])), null, 'padding count 0');
  assert.equal(parseRtp(Buffer.from([0xa0, ...good.subarray(1, 12), 1, 2, 3, 9])), null, 'padding larger than the payload');
  assert.equal(parseRtp(Buffer.from([0xa0, ...good.subarray(1, 12), 1, 2, 3, 4]))!.payload.length, 0, 'padding may take the whole payload');
  assert.throws(() => buildRtp({ payloadType: 128, sequence: 0, timestamp: 0, ssrc: 0, marker: false, payload: Buffer.alloc(0) }), RangeError);
});

test('RTCP on the RTP port is told apart (RFC 5761)', () => {
  const senderReport = Buffer.from([0x80, 200, 0, 6, ...Buffer.alloc(24)]);
  assert.ok(isRtcp(senderReport));
  assert.ok(isRtcp(Buffer.from([0x81, 201, 0, 1, 0, 0, 0, 1])));
  assert.ok(!isRtcp(buildRtp({ payloadType: 0, sequence: 1, timestamp: 1, ssrc: 1, marker: true, payload: Buffer.alloc(160) })));
  assert.ok(!isRtcp(buildRtp({ payloadType: 101, sequence: 1, timestamp: 1, ssrc: 1, marker: true, payload: Buffer.alloc(4) })));
});

test('each stream starts at a random SSRC, sequence number and timestamp', () => {
  const starts = Array.from({ length: 200 }, randomRtpStart);
  for (const key of ['ssrc', 'sequence', 'timestamp'] as const) {
    const values = starts.map((s) => s[key]);
    assert.ok(new Set(values).size > 190, `${key} varies`);
    assert.ok(values.every((v) => Number.isInteger(v) && v >= 0 && v <= (key === 'sequence' ? 0xffff : 0xffffffff)));
  }
  assert.ok(starts.some((s) => s.timestamp > 2 ** 31) && starts.some((s) => s.sequence > 2 ** 15), 'the whole range is used');
});
