import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export class DataDirLockedError extends Error {}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * When a process started (clock ticks since boot, field 22 of /proc/<pid>/stat; null off Linux).
 * With the pid it names one process: a container restarted on the same volume gets the same small
 * pid again, and must not take its dead predecessor's lock for a live one (or for its own).
 */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

/** Directories this process holds, so a second open in the same process fails plainly. */
const held = new Set<string>();

/**
 * PGlite has no lock of its own: two processes on one directory silently lose rows.
 * Take an exclusive pid file (O_EXCL); take over a stale one only when its process is gone.
 * Returns the release function (idempotent; `Store.close()` calls it).
 */
export function lockDataDir(dir: string): () => void {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'wasl.lock');
  if (held.has(path)) throw new DataDirLockedError(`The data directory ${dir} is already open in this process.`);
  const mine = `${process.pid} ${startTime(process.pid) ?? ''}`.trim();
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, mine);
      closeSync(fd);
      held.add(path);
      let released = false;
      return () => {
        if (released) return;
        released = true;
        held.delete(path);
        try {
          if (readFileSync(path, 'utf8') === mine) unlinkSync(path);
        } catch {
          /* already gone */
        }
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const [pidText, started] = readFileSync(path, 'utf8').trim().split(' ');
      const holder = Number(pidText);
      const live = Number.isInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder) && (!started || startTime(holder) === started);
      if (live) {
        throw new DataDirLockedError(
          `The data directory ${dir} is in use by process ${holder}. Only one Wasl process may open an ` +
            `embedded store; stop it first, or use PostgreSQL (DATABASE_URL) to run several processes.`,
        );
      }
      unlinkSync(path); // stale: its process is gone (or the pid now belongs to another process)
    }
  }
  throw new DataDirLockedError(`Could not lock ${dir}`);
}
