import assert from 'node:assert/strict';
import { test } from 'node:test';
import { causeOfReason, failureOfStatus, reasonHeader } from './causes.js';

test('final responses map to the outcome and the Q.850 name the engine reports', () => {
  const cases: [number, string, string][] = [
    [486, 'busy', 'USER_BUSY'],
    [600, 'busy', 'USER_BUSY'],
    [480, 'no-answer', 'NO_USER_RESPONSE'],
    [408, 'no-answer', 'RECOVERY_ON_TIMER_EXPIRE'],
    [404, 'failed', 'UNALLOCATED_NUMBER'],
    [484, 'failed', 'INVALID_NUMBER_FORMAT'],
    [403, 'rejected', 'CALL_REJECTED'],
    [603, 'rejected', 'CALL_REJECTED'],
    [487, 'cancelled', 'ORIGINATOR_CANCEL'],
    [503, 'failed', 'NORMAL_TEMPORARY_FAILURE'],
    [488, 'failed', 'INCOMPATIBLE_DESTINATION'],
    [407, 'failed', 'CALL_REJECTED'],
    // Not in the table: by class.
    [499, 'failed', 'NORMAL_UNSPECIFIED'],
    [302, 'failed', 'NORMAL_UNSPECIFIED'],
    [599, 'failed', 'NORMAL_TEMPORARY_FAILURE'],
    [699, 'rejected', 'CALL_REJECTED'],
  ];
  for (const [status, outcome, cause] of cases) assert.deepEqual(failureOfStatus(status), { outcome, cause }, String(status));
});

test('Reason headers: ours carry Q.850 codes, theirs are read back (unknown → NORMAL_CLEARING)', () => {
  assert.equal(reasonHeader('NORMAL_CLEARING'), 'Q.850;cause=16;text="NORMAL_CLEARING"');
  assert.equal(reasonHeader('MEDIA_TIMEOUT'), null);
  assert.equal(causeOfReason(['SIP;cause=200;text="x"', 'Q.850;cause=17;text="busy"']), 'USER_BUSY');
  assert.equal(causeOfReason(['Q.850 ; cause=999']), 'NORMAL_CLEARING');
  assert.equal(causeOfReason([]), 'NORMAL_CLEARING');
});
