import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { profileShares, type CpuProfile } from './profile-lib.js';
import { cleanup, freshStore, load, log, routes, startTarget, stop, token, type StoreName } from './lib.js';

/**
 * Where the server's CPU goes on one route: starts bench/target.ts, warms the route up, samples
 * the target with the V8 profiler while autocannon drives it, and prints self and inclusive time
 * by function and self time by package. Keeps the .cpuprofile (open it in Chrome DevTools).
 *   node --import tsx bench/profile.ts --store=pglite --route=get [--duration=10] [--connections=10]
 * Routes: hello, base-get, repo-get, get, base-post, repo-post, post. --grep=<regex> keeps only
 * matching functions in the function tables; --top=<n> rows (default 20).
 */
const { values } = parseArgs({
  options: { store: { type: 'string', default: 'pglite' }, route: { type: 'string', default: 'get' }, duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '10' }, top: { type: 'string', default: '20' }, grep: { type: 'string' }, pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' } },
});
const connections = Number(values.connections);
const TOP = Number(values.top);
const FILTER = values.grep ? new RegExp(values.grep) : null;

function summarise(p: CpuProfile, requests: number) {
  const { self, cat, incl, total } = profileShares(p);
  const ms = (p.endTime - p.startTime) / 1000 / total;
  const busy = total - (cat.get('(idle)') ?? 0);
  const table = (title: string, m: Map<string, number>, n: number) => {
    log(`\n${title}: % of busy samples, µs per request (${busy} busy of ${total} samples, ${requests} requests)`);
    for (const [k, v] of [...m].filter(([k]) => !FILTER || FILTER.test(k)).sort((a, b) => b[1] - a[1]).slice(0, n)) {
      log(`  ${((v / busy) * 100).toFixed(1).padStart(5)} % ${((v * ms * 1000) / requests).toFixed(1).padStart(7)} µs  ${k}`);
    }
  };
  table('self time by package', cat, 15);
  table('self time by function', self, TOP);
  table('inclusive time by function', incl, TOP);
}

try {
  const store = values.store as StoreName;
  const { child, info, ask } = await startTarget(await freshStore(store, values.pg.replace(/\/+$/, '')));
  try {
    const route = routes(info, await token(info))[values.route];
    if (!route) throw new Error(`unknown route ${values.route}`);
    await load(route, { connections, duration: 3, warmup: 0 });
    await ask('profile-start');
    const result = await load(route, { connections, duration: Number(values.duration), warmup: 0 });
    const file = join(tmpdir(), `wasl-${store}-${values.route}-${process.pid}.cpuprofile`);
    await ask(`profile-stop ${file}`);
    log(`${store} ${values.route}: ${Math.round(result.rps)} req/s, p99 ${result.p99} ms, ${result.bad} errors (under the profiler); profile: ${file}`);
    summarise(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, result.count);
  } finally {
    await stop(child);
  }
} finally {
  await cleanup();
}
