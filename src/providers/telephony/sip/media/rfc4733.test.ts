import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  createTelephoneEventReceiver, decodeTelephoneEvent, DTMF_KEYS, encodeTelephoneEvent, eventOfKey, keyOfEvent, telephoneEventPayloads,
} from './rfc4733.js';

test('the payload layout of RFC 4733 §2.3: event, E bit, R bit, volume, duration', () => {
  assert.deepEqual([...encodeTelephoneEvent({ event: 11, end: true, volume: 10, duration: 800 })], [11, 0x8a, 0x03, 0x20]);
  assert.deepEqual([...encodeTelephoneEvent({ event: 5, end: false, volume: 63, duration: 0xffff })], [5, 0x3f, 0xff, 0xff]);
  assert.deepEqual(decodeTelephoneEvent(Buffer.from([11, 0x8a, 0x03, 0x20])), { event: 11, end: true, volume: 10, duration: 800 });
  assert.deepEqual(decodeTelephoneEvent(Buffer.from([1, 0x40 | 7, 0, 160])), { event: 1, end: false, volume: 7, duration: 160 }, 'the reserved bit is ignored');
  assert.equal(decodeTelephoneEvent(Buffer.from([1, 2, 3])), null);
});

test('events 0–15 are the keys 0-9 * # A-D, both ways', () => {
  assert.equal(DTMF_KEYS.length, 16);
  for (let event = 0; event < 16; event++) assert.equal(eventOfKey(keyOfEvent(event)!), event);
  assert.deepEqual([keyOfEvent(0), keyOfEvent(9), keyOfEvent(10), keyOfEvent(11), keyOfEvent(12), keyOfEvent(15)], ['0', '9', '*', '#', 'A', 'D']);
  assert.equal(keyOfEvent(16), null, 'flash');
  assert.equal(keyOfEvent(32), null, 'fax tones');
  assert.equal(eventOfKey('d'), 15);
  assert.throws(() => eventOfKey('E'), RangeError);
  assert.throws(() => eventOfKey('12'), RangeError);
});

/** Packets of presses the way a gateway sends them: one timestamp per press, sequence numbers rising. */
function press(key: string, timestamp: number, ms = 100, ssrc = 1234) {
  return telephoneEventPayloads(key, ms).map((p) => ({ ...p, ssrc, timestamp }));
}

test('a sender emits a marker start, updates with a growing duration, then the end packet three times', () => {
  const packets = telephoneEventPayloads('#', 100);
  const events = packets.map((p) => decodeTelephoneEvent(p.payload)!);
  assert.deepEqual(packets.map((p) => p.marker), [true, false, false, false, false, false, false]);
  assert.deepEqual(events.map((e) => e.duration), [160, 320, 480, 640, 800, 800, 800]);
  assert.deepEqual(events.map((e) => e.end), [false, false, false, false, true, true, true]);
  assert.ok(events.every((e) => e.event === 11 && e.volume === 10));
});

test('each press is reported once: on its first packet, not again for its updates and three end packets', () => {
  const rx = createTelephoneEventReceiver();
  const keys = [...press('1', 1000), ...press('2', 3000), ...press('2', 5000)].map((p) => rx.receive(p));
  assert.deepEqual(keys.filter(Boolean), ['1', '2', '2'], 'the same key pressed twice is two presses (two timestamps)');
  assert.equal(keys[0], '1', 'reported at the start, not at the end');
});

test('a press whose start and updates were lost is reported from its end packet alone', () => {
  const rx = createTelephoneEventReceiver();
  const onlyEnds = press('7', 8000).filter((p) => decodeTelephoneEvent(p.payload)!.end);
  assert.deepEqual(onlyEnds.map((p) => rx.receive(p)), ['7', null, null]);
  const onlyOneUpdate = press('8', 16000).slice(2, 3);
  assert.deepEqual(onlyOneUpdate.map((p) => rx.receive(p)), ['8']);
});

test('a late duplicate of an older press, reordering and a second stream (SSRC) are told apart', () => {
  const rx = createTelephoneEventReceiver();
  const first = press('3', 100);
  const second = press('4', 2000);
  assert.equal(rx.receive(first[0]!), '3');
  assert.equal(rx.receive(second[0]!), '4');
  assert.equal(rx.receive(first.at(-1)!), null, 'the end of press 3 arrives after press 4 began');
  assert.equal(rx.receive(second[2]!), null);
  assert.equal(rx.receive({ ...press('3', 100, 100, 999)[0]! }), '3', 'another SSRC with the same timestamp is another press');
});

test('an event longer than 8.2 s continues in a new segment without being a second press', () => {
  const rx = createTelephoneEventReceiver();
  const segment1 = [
    { marker: true, payload: encodeTelephoneEvent({ event: 0, end: false, volume: 10, duration: 160 }) },
    { marker: false, payload: encodeTelephoneEvent({ event: 0, end: false, volume: 10, duration: 0xff00 }) },
  ];
  assert.deepEqual(segment1.map((p) => rx.receive({ ...p, ssrc: 5, timestamp: 0xffff0000 })), ['0', null]);
  const next = 0xffff0000 + 0xffff; // wraps past 2^32
  assert.equal(rx.receive({ marker: false, payload: encodeTelephoneEvent({ event: 0, end: false, volume: 10, duration: 160 }), ssrc: 5, timestamp: next >>> 0 }), null);
  assert.equal(rx.receive({ marker: false, payload: encodeTelephoneEvent({ event: 0, end: true, volume: 10, duration: 800 }), ssrc: 5, timestamp: next >>> 0 }), null);
  assert.equal(rx.receive({ marker: true, payload: encodeTelephoneEvent({ event: 0, end: false, volume: 10, duration: 160 }), ssrc: 5, timestamp: (next + 4000) >>> 0 }), '0', 'then a new press of the same key');
});

test('non-DTMF events and short payloads are ignored', () => {
  const rx = createTelephoneEventReceiver();
  assert.equal(rx.receive({ ssrc: 1, timestamp: 1, marker: true, payload: encodeTelephoneEvent({ event: 16, end: false, volume: 10, duration: 160 }) }), null);
  assert.equal(rx.receive({ ssrc: 1, timestamp: 2, marker: true, payload: Buffer.from([1, 2]) }), null);
  assert.equal(rx.receive({ ssrc: 1, timestamp: 3, marker: true, payload: encodeTelephoneEvent({ event: 15, end: false, volume: 10, duration: 160 }) }), 'D');
});
