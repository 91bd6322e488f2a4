/**
 * Groups calls: the first call runs at once; calls made while a run is in flight wait for it and
 * then go together in one run. No added delay when idle, one statement for many when busy.
 */
export function createBatcher<I, O>(run: (items: I[]) => Promise<O[]>) {
  let queue: { item: I; resolve: (o: O) => void; reject: (err: unknown) => void }[] = [];
  let flushing = false;
  async function flush() {
    flushing = true;
    while (queue.length) {
      const batch = queue;
      queue = [];
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
