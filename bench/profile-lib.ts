/** Reading a V8 .cpuprofile: self time by function and by package or folder, inclusive time by function (in samples). */
export interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }
export interface CpuProfile { nodes: ProfileNode[]; startTime: number; endTime: number; samples: number[] }

const short = (url: string) => url.replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
const label = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'} ${short(n.callFrame.url)}${n.callFrame.url ? `:${n.callFrame.lineNumber + 1}` : ''}`;

/** A frame's package (node_modules), `node internals`, the PGlite engine, or its folder to `depth` path segments. */
function category(n: ProfileNode, depth: number): string {
  const url = short(n.callFrame.url);
  if (!url) return n.callFrame.functionName.startsWith('(') ? n.callFrame.functionName : '(native)';
  if (url.startsWith('wasm://')) return 'wasm (PGlite engine)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith('node:')) return 'node internals';
  return url.split('/').slice(0, depth).join('/');
}

/** Samples per function (self and inclusive, a recursive function counted once per stack) and per category. */
export function profileShares(p: CpuProfile, folderDepth = 2) {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  const cat = new Map<string, number>();
  const incl = new Map<string, number>();
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const walk = (n: ProfileNode, onStack: Set<string>): number => {
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
    add(cat, category(n, folderDepth), n.hitCount ?? 0);
    return sum;
  };
  walk(p.nodes[0]!, new Set());
  return { self, cat, incl, total: p.samples.length };
}
