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
