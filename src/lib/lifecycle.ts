/**
 * Start/stop hooks of the parts that hold sockets or timers (HTTP agents now; SIP stacks, pollers
 * and caches later). Started in the order they joined, stopped in reverse, once each, on SIGTERM
 * or when a test closes its app.
 */
export interface Lifecycle {
  add(name: string, hooks: { start?: () => Promise<void> | void; stop?: () => Promise<void> | void }): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export function createLifecycle(): Lifecycle {
  const parts: { name: string; start?: () => Promise<void> | void; stop?: () => Promise<void> | void }[] = [];
  let started = false;
  let stopped = false;
  return {
    add(name, hooks) {
      parts.push({ name, ...hooks });
    },
    async start() {
      if (started) return;
      started = true;
      for (const part of parts) await part.start?.();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const errors: unknown[] = [];
      for (const part of [...parts].reverse()) {
        try {
          await part.stop?.();
        } catch (err) {
          errors.push(new Error(`stopping ${part.name} failed`, { cause: err }));
        }
      }
      if (errors.length) throw new AggregateError(errors, 'some parts did not stop cleanly');
    },
  };
}
