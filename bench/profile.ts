import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
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

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }
interface Profile { nodes: Node[]; startTime: number; endTime: number; samples: number[] }

const short = (url: string) => url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
const label = (n: Node) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;
function category(n: Node): string {
  const url = short(n.callFrame.url);
  if (!url) return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native)';
  if (url.startsWith('wasm://')) return 'wasm (PGlite engine)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node internals';
  return url.split('/').slice(0, 2).join('/');
}

function summarise(p: Profile, requests: number) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const total = p.samples.length;
  const ms = (p.endTime - p.startTime) / 1000 / total;
  const self = new Map<string, number>();
  const cat = new Map<string, number>();
  const incl = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  // Inclusive time per function, counting a recursive function once per stack.
  const walk = (n: Node, onStack: Set<string>): number => {
    let sum = n.hitCount ?? 0;
    const l = label(n);
    const fresh = !onStack.has(l);
    if (fresh) onStack.add(l);
    for (const c of n.children ?? []) sum += walk(byId.get(c)!, onStack);
    if (fresh) {
      onStack.delete(l);
      add(incl, l, sum);
    }
    add(self, l, n.hitCount ?? 0);
    add(cat, category(n), n.hitCount ?? 0);
    return sum;
  };
  walk(p.nodes[0]!, new Set());
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
    summarise(JSON.parse(await readFile(file, 'utf8')) as Profile, result.count);
  } finally {
    await stop(child);
  }
} finally {
  await cleanup();
}
