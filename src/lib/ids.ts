import { randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';

// Random bytes come from a pool refilled 4 KiB at a time: one getRandomValues call per id cost
// ~5–7 µs, most of an id's price, on every request (request ids) and every row.
const pool = new Uint8Array(16 * 256);
let used = pool.length;
function random16(): Uint8Array {
  if (used === pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += 16;
  return pool.slice(used - 16, used);
}

// uuid's own monotonic rule: ids made in one millisecond count up from a random start.
const state = { msecs: -Infinity, seq: 0 };

/** Time-ordered, lowercase, hyphenated UUIDv7: ids sort by creation like Hatif's sequential GUIDs. */
export function newId(): string {
  const random = random16();
  const now = Date.now();
  if (now > state.msecs) {
    state.seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
    state.msecs = now;
  } else {
    state.seq = (state.seq + 1) | 0;
    if (state.seq === 0) state.msecs++;
  }
  return v7({ random, msecs: state.msecs, seq: state.seq });
}

export const NIL_ID = '00000000-0000-0000-0000-000000000000';
