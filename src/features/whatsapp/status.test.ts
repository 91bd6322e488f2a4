import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { nextStatus, stepsTo, type MessageStatus } from './status.js';

const ALL: MessageStatus[] = ['Pending', 'Sent', 'Delivered', 'Read', 'Failed'];

test('forward only: each step, Failed final and only before delivery', () => {
  assert.equal(nextStatus('Pending', 'Sent'), 'Sent');
  assert.equal(nextStatus('Sent', 'Read'), 'Read', 'read implies delivered');
  assert.equal(nextStatus('Read', 'Delivered'), 'Read', 'a late delivered changes nothing');
  assert.equal(nextStatus('Delivered', 'Sent'), 'Delivered');
  assert.equal(nextStatus('Sent', 'Failed'), 'Failed');
  assert.equal(nextStatus('Failed', 'Read'), 'Failed', 'failed is final');
  assert.equal(nextStatus('Delivered', 'Failed'), 'Delivered', 'a delivered message did not fail');
  for (const s of ALL) assert.equal(nextStatus(s, s), s, 'a duplicate changes nothing');
});

test('a skipped step is implied and reported: read on a sent message passes through delivered', () => {
  assert.deepEqual(stepsTo('Sent', 'Read'), ['Delivered', 'Read']);
  assert.deepEqual(stepsTo('Pending', 'Read'), ['Sent', 'Delivered', 'Read']);
  assert.deepEqual(stepsTo('Pending', 'Delivered'), ['Sent', 'Delivered']);
  assert.deepEqual(stepsTo('Delivered', 'Read'), ['Read']);
  assert.deepEqual(stepsTo('Pending', 'Failed'), ['Failed']);
  assert.deepEqual(stepsTo('Sent', 'Failed'), ['Failed']);
  assert.deepEqual(stepsTo('Read', 'Delivered'), [], 'late');
  assert.deepEqual(stepsTo('Delivered', 'Failed'), [], 'a delivered message did not fail');
  for (const s of ALL) assert.deepEqual(stepsTo(s, s), [], 'a duplicate');
});

test('property: any order and duplication of a message\'s callbacks ends in the same state, reporting every step once and in order', () => {
  // What Meta reports for one message: some of Sent, Delivered, Read — or some of Sent, Failed.
  const outcome = fc.oneof(fc.subarray<MessageStatus>(['Sent', 'Delivered', 'Read'], { minLength: 1 }), fc.subarray<MessageStatus>(['Sent', 'Failed'], { minLength: 1 }));
  // Each callback arrives 1–3 times, in an order set by random keys.
  const key = fc.double({ noNaN: true });
  const arrivals = outcome.chain((set) =>
    fc
      .tuple(fc.array(key, { minLength: set.length, maxLength: set.length }), fc.array(fc.tuple(fc.constantFrom(...set), key), { maxLength: set.length * 2 }))
      .map(([keys, extra]) => ({
        set,
        order: [...set.map((s, i) => [s, keys[i]!] as const), ...extra].sort((a, b) => a[1] - b[1]).map(([s]) => s),
      })),
  );
  fc.assert(
    fc.property(arrivals, ({ set, order }) => {
      let state: MessageStatus = 'Pending';
      const seen: MessageStatus[] = [];
      for (const s of order) {
        const steps = stepsTo(state, s);
        assert.equal(steps.at(-1) ?? state, nextStatus(state, s));
        seen.push(...steps);
        state = steps.at(-1) ?? state;
      }
      const final = set.includes('Failed') ? 'Failed' : set.reduce((a, b) => (ALL.indexOf(b) > ALL.indexOf(a) ? b : a));
      assert.equal(state, final);
      if (final === 'Failed') assert.ok(['Failed', 'Sent,Failed'].includes(seen.join()), seen.join());
      else assert.deepEqual(seen, ALL.slice(1, ALL.indexOf(final) + 1), 'every step once, in order, whatever the arrival order');
    }),
    { seed: 90326, numRuns: 500 },
  );
});
