/**
 * Groups calls: the first call runs at once (or after `lingerMs`, to gather more); calls made
 * while a run is in flight wait for it and then go together in one run, at most `max` a run.
 * No added delay when idle (without `lingerMs`), one statement for many when busy.
 */
export function createBatcher<I, O>(run: (items: I[]) => Promise<O[]>, options: { lingerMs?: number; max?: number } = {}) {
  const { lingerMs = 0, max = Infinity } = options;
  let queue: { item: I; resolve: (o: O) => void; reject: (err: unknown) => void }[] = [];
  let flushing = false;
  async function flush() {
    flushing = true;
    if (lingerMs > 0) await new Promise((resolve) => setTimeout(resolve, lingerMs));
    while (queue.length) {
      const batch = queue.slice(0, max);
      queue = queue.slice(batch.length);
      try {
        const out = await run(batch.map((b) => b.item));
        batch.forEach((b, i) => b.resolve(out[i]!));
      } catch (err) {
        batch.forEach((b) => b.reject(err));
      }
    }
    flushing = false;
  }
  return (item: I) =>
    new Promise<O>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (!flushing) void flush();
    });
}
