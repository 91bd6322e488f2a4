import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { coalesced } from './throttle.js';

/** A step that counts its runs and waits on a gate the test opens, so calls can arrive while it runs. */
function gatedStep(answers: boolean[] = []) {
  let runs = 0;
  let open: () => void = () => {};
  const step = async () => {
    runs++;
    await new Promise<void>((resolve) => (open = resolve));
    return answers.shift() ?? false;
  };
  return { step, runs: () => runs, open: () => open() };
}

test('coalesced: calls while a run is under way make exactly one more run, and share its promise', async () => {
  const s = gatedStep();
  const run = coalesced(s.step);
  const first = run();
  const during = [run(), run(), run()];
  assert.equal(s.runs(), 1, 'one run at a time');
  assert.ok(during.every((p) => p === first), 'callers meanwhile get the promise of the runs under way');
  s.open();
  await sleep(0);
  assert.equal(s.runs(), 2, 'the three calls made one more run, not three');
  s.open();
  await first;
  assert.equal(s.runs(), 2);
  await run.settled();
});

test('coalesced: a step answering true (a full batch) runs again at once; a failure ends the runs and the next call starts afresh', async () => {
  const s = gatedStep([true, false]);
  const run = coalesced(s.step);
  const p = run();
  s.open();
  await sleep(0);
  assert.equal(s.runs(), 2, 'ran again without being asked');
  s.open();
  await p;

  let fail = true;
  const failing = coalesced(async () => {
    if (fail) throw new Error('store away');
  });
  await assert.rejects(failing(), /store away/);
  await failing.settled();
  fail = false;
  await failing(); // not stuck behind the failed run
});

test('coalesced: holdMs keeps the runner busy after each run, so calls within it make one run after it', async () => {
  let runs = 0;
  const run = coalesced(async () => void runs++, { holdMs: 40 });
  const p = run();
  await sleep(5);
  assert.equal(runs, 1);
  void run();
  void run(); // after the run, inside the hold: folded into one run when it ends
  await p;
  assert.equal(runs, 2, 'one more run for the calls made during the hold');
  await run.settled();
});

test('coalesced: spacingMs delays only a run that callers asked for meanwhile', async () => {
  const starts: number[] = [];
  const s = gatedStep();
  const run = coalesced(async () => {
    starts.push(performance.now());
    return s.step();
  }, { spacingMs: 50 });
  const p = run();
  void run(); // asked meanwhile: the next run waits for the spacing
  s.open();
  await sleep(0);
  assert.equal(starts.length, 1, 'not at once');
  await sleep(70);
  assert.equal(starts.length, 2);
  assert.ok(starts[1]! - starts[0]! >= 45, `spaced: ${Math.round(starts[1]! - starts[0]!)} ms`);
  s.open();
  await p;
  const quiet = performance.now();
  const again = run(); // after a quiet spell: at once
  assert.ok(starts[2]! - quiet < 20, 'a call after a quiet spell runs at once');
  s.open();
  await again;
});
