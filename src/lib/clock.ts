/**
 * The only source of "now" in the app, so tests can move time. `sleep` waits on the same clock:
 * real time on the system clock, `advance`/`set` on the manual one (a simulated call's ringing
 * and prompts, so a test runs a call by moving the clock).
 */
export interface Clock {
  now(): Date;
  /** Resolves once the clock has moved `ms` on (at once for 0 or less); rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function aborted(signal: AbortSignal | undefined): Error | null {
  return signal?.aborted ? (signal.reason instanceof Error ? signal.reason : new Error('aborted')) : null;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep(ms, signal) {
    return new Promise<void>((resolve, reject) => {
      const early = aborted(signal);
      if (early) return reject(early);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, Math.max(0, ms));
      const onAbort = () => {
        clearTimeout(timer);
        reject(aborted(signal));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  },
};

/** A clock that stands still until moved; used by tests. Sleepers wake, in time order, when it passes their time. */
export function createManualClock(start = new Date('2026-01-01T00:00:00.000Z')) {
  let current = start.getTime();
  let order = 0;
  const sleepers: { at: number; n: number; wake: () => void }[] = [];
  const wakeDue = () => {
    const due = sleepers.filter((s) => s.at <= current).sort((a, b) => a.at - b.at || a.n - b.n);
    for (const s of due) {
      sleepers.splice(sleepers.indexOf(s), 1);
      s.wake();
    }
  };
  return {
    now: () => new Date(current),
    sleep(ms: number, signal?: AbortSignal) {
      return new Promise<void>((resolve, reject) => {
        const early = aborted(signal);
        if (early) return reject(early);
        if (ms <= 0) return resolve();
        const sleeper = { at: current + ms, n: order++, wake: () => (signal?.removeEventListener('abort', onAbort), resolve()) };
        const onAbort = () => {
          const i = sleepers.indexOf(sleeper);
          if (i >= 0) sleepers.splice(i, 1);
          reject(aborted(signal));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        sleepers.push(sleeper);
      });
    },
    advance(ms: number) {
      current += ms;
      wakeDue();
    },
    set(date: Date) {
      current = date.getTime();
      wakeDue();
    },
    /** How many sleepers wait (a test can tell a simulated call is waiting on the clock). */
    sleeping: () => sleepers.length,
  };
}
export type ManualClock = ReturnType<typeof createManualClock>;
