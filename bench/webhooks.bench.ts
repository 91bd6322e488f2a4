import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { loadConfig } from '../src/config.js';
import { createContainer } from '../src/container.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { openStore } from '../src/db/store.js';
import { systemClock } from '../src/lib/clock.js';
import { cleanup, cpuMs, databaseCpu, freePort, log, machineNote, percentile, postgresCpu, round, sleep, spawnNode, startReceiver, stopChild, tempDatabase, within } from './webhooks-lib.js';
import { countsSince, statementCounts } from './webhooks-statements.js';
import { signatureHeaders } from '../src/features/webhooks/signing.js';

/**
 * Outgoing webhooks end to end on PostgreSQL: the real server (src/server.ts, child process)
 * delivers to a node:http receiver in this process that answers 200 at once.
 * (a0) emit rate in the caller's transaction, one at a time and 16 transactions at a time;
 * (a) rate of draining a burst of emitted deliveries, beside bare client loops to the same receiver
 * (Wasl's own outbound client: the baseline; `fetch`: a diagnostic), and the database CPU and
 * statements per delivered event (emit + delivery); (b) emit (commit) → receiver latency when
 * idle; (c) the nothing-lost flow test with many events.
 */
const usage = `node --import tsx bench/webhooks.bench.ts [--events=5000] [--rounds=3] [--concurrency=32] [--workers=1] [--lanes=16]
  [--samples=200] [--chaos-events=5000] (0 skips the nothing-lost run) [--pg=postgres://postgres@127.0.0.1:5432]
  [--cpu-prof=<dir>] (the server runs under node --cpu-prof; its profile is written there when it stops)`;
const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '5000' }, rounds: { type: 'string', default: '3' }, concurrency: { type: 'string', default: '32' },
    workers: { type: 'string', default: '1' }, lanes: { type: 'string', default: '16' }, samples: { type: 'string', default: '200' }, 'chaos-events': { type: 'string', default: '5000' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' }, 'cpu-prof': { type: 'string' }, help: { type: 'boolean' },
  },
});
if (flags.help) {
  process.stdout.write(`${usage}\n`);
  process.exit(0);
}
const EVENTS = Number(flags.events);
const ROUNDS = Number(flags.rounds);
const CONCURRENCY = Number(flags.concurrency);
const WORKERS = Number(flags.workers);
const LANES = Number(flags.lanes);
const SAMPLES = Number(flags.samples);
const CHAOS = Number(flags['chaos-events']);
const PG = flags.pg!.replace(/\/+$/, '');
const ADMIN = 'bench-admin-token-0123456789abcdef';
const DB = `wasl_bench_hooks_${process.pid}`;
const out: string[] = [];

// The receiver counts what arrives for the phase under way; latency samples wait on one id each.
let phase = { match: (_id: string) => false, got: 0, first: 0, last: 0, target: 0, done: () => {} };
const waiting = new Map<string, (at: number) => void>();
const arrived = new Map<string, number>(); // latency phase: a delivery may land before its emit's commit returns here
let latencyPhase = false;
const receiver = await startReceiver();
receiver.set((id, at) => {
  if (latencyPhase && !arrived.has(id)) arrived.set(id, at);
  waiting.get(id)?.(at);
  if (!phase.match(id)) return;
  phase.first ||= at;
  phase.last = at;
  if (++phase.got === phase.target) phase.done();
});
function expect(target: number, match: (id: string) => boolean) {
  let done = () => {};
  const finished = new Promise<void>((resolve) => (done = resolve));
  phase = { match, got: 0, first: 0, last: 0, target, done };
  const p = phase;
  return within(finished, 180_000, () => `only ${p.got} of ${target} requests arrived in 180 s`).then(() => p);
}

/** A WhatsApp-message-like event of ~700 bytes of JSON. */
const payload = (i: number) => ({
  id: `wamid.${i}.${'A'.repeat(40)}`, eventType: 'WhatsAppMessage', direction: 'Inbound', type: 'text', from: '+966501234567', to: '+966112345678',
  conversationId: '0193a0c4-7b8e-7d4e-9a55-5b1c2d3e4f50', text: { body: 'مرحبا، أريد الاستفسار عن حالة طلبي رقم 12345 من فضلكم. '.repeat(6) }, creationTime: new Date().toISOString(), i,
});
const BODY_BYTES = Buffer.byteLength(JSON.stringify(payload(1000)));
const SECRET = 'bench-webhook-secret-0123456789';
/** What the baselines send: a delivery's body and headers as Wasl makes them, signed once. */
const REQUEST = (() => {
  const body = JSON.stringify(payload(1000));
  const headers = { 'content-type': 'application/json', ...signatureHeaders('x', body, [SECRET], new Date()) };
  return Buffer.from(JSON.stringify({ body, headers })).toString('base64');
})();

async function run() {
  const url = await tempDatabase(PG, DB);
  const port = await freePort();
  const env = { DATABASE_URL: url, PORT: String(port), HOST: '127.0.0.1', WEBHOOK_ALLOW_PRIVATE: 'true', WASL_ADMIN_TOKEN: ADMIN, PUBLIC_URL: `http://127.0.0.1:${port}`, LOG_LEVEL: 'warn', JOB_CONCURRENCY: String(CONCURRENCY), WORKERS: String(WORKERS) };

  // The emitter: the app's own services on the same database, in this process (no worker here).
  const store = await openStore({ databaseUrl: url, poolSize: 10 });
  await migrateToLatest(store.db);
  const c = createContainer({ config: loadConfig({ ...env, LOG_LEVEL: 'silent' }), db: store.db, clock: systemClock });
  await c.lifecycle.start(); // the secret box's keys (the server finds them in the store)
  const ws = await c.workspaces.create({ name: 'bench-webhooks' });
  const channel = await c.channels.create(ws.id, { name: 'bench', type: 2, whatsAppWebhookUrl: receiver.url, webhookSecret: SECRET });
  const event = (i: number) => ({ workspaceId: ws.id, channelId: channel.id, type: 'WhatsAppMessage' as const, payload: payload(i) });
  let seq = 0;

  // (a0) emit rate before the server (and its worker) starts: nothing else runs; the backlog is its warm-up.
  const backlog = new Set<string>();
  const emitRows: string[] = [];
  const perEvent = (counts: Record<string, number>, n: number) =>
    Object.entries(counts).sort(([, a], [, b]) => b - a).map(([k, x]) => `${round(x / n, 2)} ${k}`).join(', ');
  let emitPgUs = NaN;
  let emitRate = NaN;
  for (const [n, lanes, workMs] of [[500, 1, 0], [4000, LANES, 0], [1000, LANES, 2]] as const) {
    let left = n;
    const pg0 = postgresCpu();
    const db0 = await databaseCpu(PG, DB);
    const q0 = statementCounts();
    const node0 = process.cpuUsage();
    const t0 = performance.now();
    const lane = async () => {
      while (left-- > 0) {
        await c.transaction(async (trx) => {
          for (const d of await c.webhooks.emit(trx, event(seq++))) backlog.add(d.id);
          if (workMs) await sleep(workMs); // the rest of a request's transaction
        });
      }
    };
    await Promise.all(Array.from({ length: lanes }, lane));
    const ms = performance.now() - t0;
    const nodeUsed = process.cpuUsage(node0);
    const nodeUs = (nodeUsed.user + nodeUsed.system) / n;
    const allUs = (pg0() * 1000) / n;
    const pgUs = ((await db0()) * 1000) / n;
    const counts = countsSince(q0);
    if (lanes === LANES && !workMs) [emitPgUs, emitRate] = [pgUs, (n * 1000) / ms];
    emitRows.push(`| ${n} events, each its own transaction, ${lanes} at a time${workMs ? `, ${workMs} ms more work in each transaction after the emit` : ''} | ${Math.round((n * 1000) / ms)} | ${round(nodeUs)} | ${round(pgUs)} | ${round(allUs)} | ${perEvent(counts, n)} |`);
  }
  out.push(
    "### (a0) Emit rate (`webhooks.emit` in the caller's transaction; this process, server not started)",
    '| what | events/s | emitter CPU µs/event | postgres CPU µs/event (its backends) | (all postgres processes) | statements/event (this process) |',
    '|---|---:|---:|---:|---:|---|',
    ...emitRows,
    '',
    `Target ≥ 1,500 events/s at ${LANES} concurrent transactions: ${emitRate >= 1500 ? 'met' : 'missed'} (${Math.round(emitRate)}/s).`,
    '',
  );

  const profile = flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${flags['cpu-prof']}`] : [];
  const server = spawnNode([...profile, '--import', 'tsx', '--import', './bench/webhooks-statements.ts', 'src/server.ts'], env);
  serverTail = server.tail;
  /** The server's statement counts so far: it prints them on SIGUSR2 (asked again each second). */
  let printed = { seq: 0, counts: {} as Record<string, number> };
  server.onLine((line) => {
    if (line.startsWith('STATEMENTS ')) printed = { seq: printed.seq + 1, counts: JSON.parse(line.slice(11)) as Record<string, number> };
  });
  const serverStatements = async () => {
    const seq = printed.seq;
    for (let waited = 0; printed.seq === seq; waited += 10) {
      if (waited % 1000 === 0) server.child.kill('SIGUSR2');
      if (waited > 15_000) throw new Error('the server did not print its statement counts');
      await sleep(10);
    }
    return printed.counts;
  };

  /** Emits n events in one transaction and measures the receiver draining them. */
  async function burst(n: number) {
    const e0 = performance.now();
    const ids = new Set<string>();
    let emitted = 0;
    let before: { statements: Record<string, number>; server: number; pg: () => Promise<number>; all: () => number } | undefined;
    let arrived: ReturnType<typeof expect> | undefined;
    await c.transaction(async (trx) => {
      for (let i = 0; i < n; i++) for (const d of await c.webhooks.emit(trx, event(seq++))) ids.add(d.id);
      emitted = performance.now();
      // Everything is read before the commit: the first deliveries arrive a millisecond after it.
      before = { statements: await serverStatements(), server: cpuMs(server.child.pid!), pg: await databaseCpu(PG, DB), all: postgresCpu() };
      arrived = expect(ids.size, (id) => ids.has(id));
    });
    const committed = performance.now();
    const p = await arrived!.catch(async (err: Error) => {
      const { rows } = await sql<object>`SELECT status, attempts, locked_by IS NOT NULL AS leased, next_attempt_at > now() AS later, last_error, count(*)::int AS n
        FROM webhook_deliveries WHERE status <> 'delivered' GROUP BY 1, 2, 3, 4, 5`.execute(store.db);
      throw new Error(`${err.message}; deliveries not delivered: ${JSON.stringify(rows)}`);
    });
    const allMs = before!.all();
    const pgMs = await before!.pg();
    const serverMs = cpuMs(server.child.pid!) - before!.server;
    await sleep(200); // the last outcomes recorded
    const counts = countsSince(before!.statements, await serverStatements());
    return { n: ids.size, emitMs: emitted - e0, ms: p.last - committed, serverMs, pgMs, allMs, counts };
  }
  async function baseline(client: 'fetch' | 'outbound', tag: string) {
    const args = ['--import', 'tsx', 'bench/webhooks-baseline.ts', `--url=${receiver.url}`, `--count=${EVENTS}`, `--concurrency=${CONCURRENCY * WORKERS}`, `--request=${REQUEST}`, `--client=${client}`, `--tag=${tag}`];
    const child = spawnNode(args, {});
    const all0 = postgresCpu();
    const p = await expect(EVENTS, (id) => id.startsWith(tag));
    const code = await child.exited;
    const result = JSON.parse(child.tail.find((l) => l.startsWith('{')) ?? '{}') as { errors?: number; cpuMs?: number };
    if (code !== 0 || result.errors !== 0) throw new Error(`baseline (${client}) failed: ${child.tail.join('\n')}`);
    return { n: EVENTS, ms: p.last - p.first, clientMs: result.cpuMs, pgMs: 0, allMs: all0() };
  }

  type R = { n: number; ms: number; emitMs?: number; serverMs?: number; clientMs?: number; pgMs: number; allMs?: number; counts?: Record<string, number> };
  const runs: Record<string, R[]> = { fetch: [], outbound: [], wasl: [] };
  for (let r = 0; r < ROUNDS; r++) {
    runs.outbound!.push(await baseline('outbound', `o${r}-`));
    runs.fetch!.push(await baseline('fetch', `f${r}-`));
    runs.wasl!.push(await burst(EVENTS));
    log(`  round ${r + 1}: ${['outbound', 'fetch', 'wasl'].map((k) => `${k} ${Math.round((runs[k]!.at(-1)!.n * 1000) / runs[k]!.at(-1)!.ms)}/s`).join(', ')}`);
  }
  const rate = (k: string) => (runs[k]!.reduce((s, x) => s + x.n, 0) * 1000) / runs[k]!.reduce((s, x) => s + x.ms, 0);
  const per = (k: string, f: (x: R) => number | undefined) => (runs[k]!.reduce((s, x) => s + (f(x) ?? NaN), 0) * 1000) / runs[k]!.reduce((s, x) => s + x.n, 0);
  const vs = (k: string, base: string) => `${Math.round((rate(k) / rate(base)) * 100)} %`;
  const ratio = rate('wasl') / rate('outbound');
  const burstEmitRate = (runs.wasl!.reduce((s, x) => s + x.n, 0) * 1000) / runs.wasl!.reduce((s, x) => s + x.emitMs!, 0);
  const delivered = runs.wasl!.reduce((s, x) => s + x.n, 0);
  const sendCounts: Record<string, number> = {};
  for (const x of runs.wasl!) for (const [k, n] of Object.entries(x.counts ?? {})) sendCounts[k] = (sendCounts[k] ?? 0) + n;
  const sendStatements = Object.values(sendCounts).reduce((a, b) => a + b, 0) / delivered;
  const deliveryPgUs = per('wasl', (x) => x.pgMs);
  const met = rate('wasl') >= 2500 && ratio >= 0.5;
  out.push(
    `### (a) Delivery rate: ${ROUNDS} rounds × ${EVENTS} deliveries, ${CONCURRENCY * WORKERS} at a time, ${BODY_BYTES}-byte body`,
    '| what | deliveries/s | vs outbound-client loop | vs fetch loop | sender CPU µs/delivery | postgres CPU µs/delivery (its backends; all processes) | runs (/s) |',
    '|---|---:|---:|---:|---:|---:|---|',
    `| baseline: bare loop of Wasl's outbound client (node:http keep-alive), ${CONCURRENCY * WORKERS} concurrent, no queue (own process) | ${Math.round(rate('outbound'))} | 100 % | ${vs('outbound', 'fetch')} | ${round(per('outbound', (x) => x.clientMs))} | ${round(per('outbound', (x) => x.allMs))} (all) | ${runs.outbound!.map((x) => Math.round((x.n * 1000) / x.ms)).join(', ')} |`,
    `| (diagnostic) bare \`fetch\` loop, ${CONCURRENCY * WORKERS} concurrent (own process) | ${Math.round(rate('fetch'))} | ${vs('fetch', 'outbound')} | 100 % | ${round(per('fetch', (x) => x.clientMs))} | ${round(per('fetch', (x) => x.allMs))} (all) | ${runs.fetch!.map((x) => Math.round((x.n * 1000) / x.ms)).join(', ')} |`,
    `| **Wasl: commit of the burst → last delivery received** | **${Math.round(rate('wasl'))}** | **${Math.round(ratio * 100)} %** | ${vs('wasl', 'fetch')} | ${round(per('wasl', (x) => x.serverMs))} | ${round(deliveryPgUs)}; ${round(per('wasl', (x) => x.allMs))} | ${runs.wasl!.map((x) => Math.round((x.n * 1000) / x.ms)).join(', ')} |`,
    '',
    `Target ≥ 2,500 deliveries/s and ≥ 50 % of the outbound-client loop: ${met ? 'met' : 'missed'}. Statements the server sent per delivery: ${round(sendStatements, 2)} (${perEvent(sendCounts, delivered)}).`,
    `Emitting the bursts (\`webhooks.emit\`, ${EVENTS} in one transaction, this process): ${Math.round(burstEmitRate)} events/s.`,
    '',
    `**Postgres CPU per delivered event** (emit at ${LANES} concurrent transactions + delivery): ${round(emitPgUs)} + ${round(deliveryPgUs)} = **${round(emitPgUs + deliveryPgUs)} µs**.`,
    '',
  );

  // (b) idle latency: one event at a time, 20 ms apart
  const fromCommit: number[] = [];
  const fromStart: number[] = [];
  latencyPhase = true;
  for (let i = 0; i < SAMPLES + 10; i++) {
    await sleep(20);
    const t0 = performance.now();
    const [d] = await c.transaction((trx) => c.webhooks.emit(trx, event(seq++)));
    const t1 = performance.now();
    const at = arrived.get(d!.id) ?? (await within(new Promise<number>((resolve) => waiting.set(d!.id, resolve)), 10_000, () => `delivery ${d!.id} did not arrive in 10 s`));
    waiting.delete(d!.id);
    if (i < 10) continue;
    fromCommit.push(at - t1);
    fromStart.push(at - t0);
  }
  const p99 = percentile(fromCommit, 99);
  out.push(
    `### (b) Latency when idle: ${SAMPLES} sequential events, 20 ms apart`,
    '| from | p50 ms | p90 ms | p99 ms | max ms |',
    '|---|---:|---:|---:|---:|',
    ...([['commit returned → receiver has the body', fromCommit], ['emit transaction start → receiver has the body', fromStart]] as const).map(([what, xs]) =>
      `| ${what} | ${round(percentile(xs, 50), 1)} | ${round(percentile(xs, 90), 1)} | ${round(percentile(xs, 99), 1)} | ${round(Math.max(...xs), 1)} |`),
    '',
    `Target p99 ≤ 100 ms: ${p99 <= 100 ? 'met' : 'missed'} (${round(p99, 1)} ms).`,
    '',
  );
  log(`  latency commit → receiver: p50 ${round(percentile(fromCommit, 50), 1)} ms, p99 ${round(p99, 1)} ms`);
  await c.lifecycle.stop();
  await store.close();
  await stopChild(server.child);
  const warnings = server.tail.filter((l) => /"level":(4|5|6)0/.test(l));
  out.push(`Server exit code after SIGTERM: ${server.child.exitCode}; warnings it logged (last 50 lines): ${warnings.length ? warnings.slice(-3).join(' / ').slice(0, 400) : 'none'}`, '');
}

async function chaos() {
  const url = await tempDatabase(PG, `wasl_bench_chaos_${process.pid}`);
  log(`nothing-lost flow with ${CHAOS} events …`);
  const t0 = performance.now();
  const test = spawnNode(['--import', 'tsx', '--test', 'test/flows/webhooks-nothing-lost.test.ts'], { WASL_CHAOS_EVENTS: String(CHAOS), DATABASE_URL: url });
  const lines: string[] = [];
  test.onLine((line) => lines.push(line));
  const code = await within(test.exited, 700_000, () => 'the nothing-lost run did not end in 700 s').catch(async (err: Error) => (await stopChild(test.child, 'SIGKILL'), lines.push(err.message), -1));
  const pick = (re: RegExp) => lines.find((l) => re.test(l))?.replace(/^\s*[#ℹ]\s*/, '') ?? '(none)';
  out.push(
    `### (c) Nothing lost: ${CHAOS} events, three SIGKILLs (test/flows/webhooks-nothing-lost.test.ts, PostgreSQL)`,
    `- outcome: exit ${code}, ${pick(/^(#|ℹ) pass/)}, ${pick(/^(#|ℹ) fail/)}, ${round((performance.now() - t0) / 1000)} s`,
    `- diagnostic: ${pick(/in flight at each kill/)}`,
    ...(code === 0 ? [] : ['```', ...lines.filter((l) => /not ok|Error|error|missing|never arrived|timed out/i.test(l)).slice(0, 15), '```']),
    '',
  );
}

let serverTail: string[] = [];
try {
  await run().catch((err: unknown) => {
    log(`the server's last lines:\n${serverTail.join('\n')}`);
    throw err;
  });
  if (CHAOS > 0) await chaos();
} finally {
  process.stdout.write(`Wasl webhooks benchmark — ${machineNote().join('; ')}\n\n${out.join('\n')}\n`);
  await cleanup();
}
