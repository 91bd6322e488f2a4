/**
 * `fn` run at most once per `everyMs` (of `now`), in the background, its failure ignored: upkeep
 * that rides on a busy path (deleting expired rows as new ones arrive) without slowing it.
 */
export function atMostEvery(everyMs: number, fn: (now: Date) => Promise<unknown>) {
  let last = -Infinity;
  return (now: Date) => {
    if (now.getTime() - last < everyMs) return;
    last = now.getTime();
    void fn(now).catch(() => {});
  };
}

/**
 * `step` run by one caller at a time, with the calls that come meanwhile folded into one more run:
 * a call while it runs asks for another run after it (however many ask) and answers the promise
 * of the runs under way. `step` answers true to run again at once (it did a full batch).
 * - `spacingMs`: a run that callers asked for meanwhile starts at least this long after the
 *   previous one began (under load, one run per spacing; after a quiet spell the next call runs at once).
 * - `holdMs`: after every run the runner stays busy this long, so calls in that time make one more
 *   run (at most one run per hold, even for calls that never overlap a run).
 * - `stopped`: checked before each further run.
 * A failing `step` ends the runs and rejects the promise; the next call starts afresh.
 */
export function coalesced(step: () => Promise<boolean | void>, options: { spacingMs?: number; holdMs?: number; stopped?: () => boolean } = {}) {
  let running: Promise<void> | null = null;
  let again = false;
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
  function run(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        do {
          again = false;
          const began = performance.now();
          if (await step()) again = true;
          else if (options.holdMs !== undefined) await pause(options.holdMs);
          else if (again && options.spacingMs !== undefined) await pause(options.spacingMs - (performance.now() - began));
        } while (again && !options.stopped?.());
      } finally {
        running = null;
      }
    })();
    return running;
  }
  /** Resolves when no run is under way (a failed one too): for a clean stop. */
  run.settled = () => (running ?? Promise.resolve()).catch(() => {});
  return run;
}
