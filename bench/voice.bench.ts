import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { runLive, type IvrScript } from '../src/features/voice/ivr-engine.js';
import { systemClock } from '../src/lib/clock.js';
import { wavOf } from '../src/lib/wav.js';
import type { LiveCall, Prompt } from '../src/providers/telephony/port.js';
import { createSandboxTelephony } from '../src/providers/telephony/sandbox.js';

/**
 * `npm run bench:voice` — issue 10's target: concurrent sandbox calls the engine sustains, ≥ 200 at
 * once without missing a time-out by more than 50 ms. Two layers, in one run:
 *  (1) engine, in this process: N calls dialled at once on the sandbox adapter (system clock) to
 *      numbers ending 0900 (no key: every gather ends by its time-out), driven by `runLive`; each
 *      gather is timed against its due end (prompt + inputTimeoutMs after it began). Baseline in the
 *      same run: N bare `setTimeout` chains of the same durations started at once.
 *  (2) the app: `src/server.ts` as `npm start` runs it (fresh PostgreSQL database, CALL_CONCURRENCY),
 *      a sandbox voice channel made through the admin API, the main prompt served by a loopback HTTP
 *      server here, then B `POST /v1/outbound-ivr` at once (3 of 4 to …0900, 1 of 4 to …1001). Each
 *      record's answeredAt → completedAt against the script's length gives how late the call ran.
 *      A warm-up batch (20) first, reported, not judged. The server child also loads this file as a
 *      probe (BENCH_VOICE_PROBE): it times every `setTimeout` of the sandbox's durations inside the
 *      server, its event-loop delay and its waits for a pool connection, so a late call can be split
 *      into late timers and the rest (the database between answer and engine); and
 *      bench/webhooks-statements.ts counts its statements. pg_stat_activity is sampled meanwhile. The
 *      server's warnings, errors and job retries are summarised; --profile adds its V8 profile.
 * Defaults: a 1-s main prompt, inputTimeoutMs 1500 (so a gather's timer, 2.5 s, differs from the
 * 2-s ring and the probe tells them apart), maxAudioRetries 2. Markdown on stdout, progress on stderr.
 */
const PRESS_AFTER_MS = 1_000; // src/providers/telephony/sandbox.ts: a …1001 callee presses 1 this long into the main prompt
const RING_MS = 2_000; // sandbox.ts: an answered call rings this long
const TARGET_MS = 50;

const ms = (x: number) => (!Number.isFinite(x) ? '–' : Math.abs(x) < 10 ? x.toFixed(1) : Math.round(x).toString());
function pct(xs: number[], p: number) {
  const s = Float64Array.from(xs).sort();
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]! : NaN;
}
const stats = (xs: number[]) => ({ n: xs.length, p50: pct(xs, 50), p99: pct(xs, 99), max: xs.length ? Math.max(...xs) : NaN });
const three = (xs: number[]) => { const s = stats(xs); return `${ms(s.p50)} / ${ms(s.p99)} / ${ms(s.max)}`; };
const loopDelay = (h: ReturnType<typeof monitorEventLoopDelay>) => `${ms(h.percentile(99) / 1e6)} / ${ms(h.max / 1e6)}`;
const log = (line: string) => process.stderr.write(`${line}\n`);

// --- the probe (inside the server child) -------------------------------------------------------

/**
 * Inside the server: times its timers of the watched durations, its event loop, and the waits for
 * a pool connection (`pg.Pool#connect`, as Kysely takes one); SIGUSR2 writes them to the file and
 * starts afresh.
 */
function installProbe(out: string, delays: Set<number>) {
  const original = globalThis.setTimeout;
  let lates: Record<number, number[]> = {};
  const patched = function (fn: (...a: unknown[]) => void, delay?: number, ...args: unknown[]) {
    if (typeof fn !== 'function' || !delays.has(delay ?? 0)) return original(fn, delay, ...args);
    const due = performance.now() + delay!;
    return original(() => ((lates[delay!] ??= []).push(performance.now() - due), fn(...args)), delay);
  };
  Object.defineProperties(patched, Object.getOwnPropertyDescriptors(original)); // keeps util.promisify.custom
  globalThis.setTimeout = patched as unknown as typeof setTimeout;
  let waits: number[] = [];
  const connect = pg.Pool.prototype.connect as (this: pg.Pool, ...args: unknown[]) => unknown;
  pg.Pool.prototype.connect = function (this: pg.Pool, ...args: unknown[]) {
    if (args.length) return connect.apply(this, args); // the callback form (pool.query) is left alone
    const began = performance.now();
    const got = connect.apply(this, args) as Promise<pg.PoolClient>;
    void got.then(() => waits.push(performance.now() - began), () => {});
    return got;
  } as typeof pg.Pool.prototype.connect;
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  process.on('SIGUSR2', () => {
    writeFileSync(out, JSON.stringify({ lates, waits, loopP99: h.percentile(99) / 1e6, loopMax: h.max / 1e6 }));
    lates = {};
    waits = [];
    h.reset();
  });
}

// --- (1) the engine, in process ----------------------------------------------------------------

const tone = (msLong: number) => {
  const pcm = new Int16Array((msLong / 1000) * 8000);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(3000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
  return pcm;
};

/** The call with its gathers timed: for each time-out, how long after prompt + timeoutMs it answered. */
function timedCall(call: LiveCall, lates: number[]): LiveCall {
  return {
    ended: call.ended,
    play: (p) => call.play(p),
    hangUp: (c) => call.hangUp(c),
    async gather(prompt, options) {
      const began = performance.now();
      const outcome = await call.gather(prompt, options);
      if ('timeout' in outcome) lates.push(performance.now() - began - ((prompt?.durationMs ?? 0) + options.timeoutMs));
      return outcome;
    },
  };
}

async function engineRun(n: number, o: { promptMs: number; timeoutMs: number; retries: number }) {
  const telephony = createSandboxTelephony({}, { clock: systemClock });
  const main: Prompt = { pcm: tone(o.promptMs), durationMs: o.promptMs, url: '' };
  const script: IvrScript = { has: { welcome: false, success: false, failed: false }, digits: ['1'], maxAudioRetries: o.retries, inputTimeoutMs: o.timeoutMs };
  const lates: number[] = [];
  const rings: number[] = [];
  const calls: number[] = [];
  let wrong = 0;
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  const cpu = process.cpuUsage();
  await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const dialled = performance.now();
      const d = await telephony.dial({ callId: `c${i}`, from: '+966500000000', to: `+96650${String(i).padStart(3, '0')}0900`, ringTimeoutMs: 45_000 });
      if (!d.answered) return void wrong++;
      rings.push(performance.now() - dialled - RING_MS);
      const began = performance.now();
      const { state, end } = await runLive(timedCall(d.call, lates), script, { main });
      calls.push(performance.now() - began - (o.retries + 1) * (o.promptMs + o.timeoutMs));
      if (state.outcome !== 'NoInput' || state.plays !== o.retries + 1 || end.by !== 'us') wrong++;
    }),
  );
  const used = process.cpuUsage(cpu);
  h.disable();
  return { lates, rings, calls, wrong, h, cpuMs: (used.user + used.system) / 1000 };
}

/** N bare timer chains of the same shape (ring, then a time-out per play), started at once. */
async function baselineRun(n: number, o: { promptMs: number; timeoutMs: number; retries: number }) {
  const sleep = (d: number) => new Promise<number>((r) => { const due = performance.now() + d; setTimeout(() => r(performance.now() - due), d); });
  const lates: number[] = [];
  const h = monitorEventLoopDelay({ resolution: 10 });
  h.enable();
  await Promise.all(Array.from({ length: n }, async () => {
    await sleep(RING_MS);
    for (let p = 0; p <= o.retries; p++) lates.push(await sleep(o.promptMs + o.timeoutMs));
  }));
  h.disable();
  return { lates, h };
}

async function engineLayer(ns: number[], o: { promptMs: number; timeoutMs: number; retries: number }) {
  const rows: string[] = [];
  let judged = false;
  let met = true;
  for (const n of ns) {
    log(`engine: ${n} bare timer chains …`);
    const base = await baselineRun(n, o);
    log(`engine: ${n} calls …`);
    const r = await engineRun(n, o);
    const worst = Math.max(...r.lates);
    if (n >= 200) judged = true;
    if (n >= 200 && !(worst <= TARGET_MS && r.wrong === 0)) met = false;
    rows.push(`| ${n} | ${r.lates.length} | ${three(r.lates)} | ${ms(worst)} ${worst <= TARGET_MS ? '✓' : '✗'} | ${three(r.calls)} | ${three(r.rings)} | ${loopDelay(r.h)} | ${ms(r.cpuMs / n)} | ${r.wrong} | ${three(base.lates)} | ${loopDelay(base.h)} |`);
  }
  return { judged, met, lines: [
    `### (1) Engine: \`runLive\` on the sandbox adapter (system clock), in one process — main prompt ${o.promptMs} ms, inputTimeoutMs ${o.timeoutMs}, maxAudioRetries ${o.retries}, numbers …0900 (no key)`,
    '| calls at once | time-outs | time-out lateness p50 / p99 / max ms | worst ≤ 50 ms | whole call vs script p50 / p99 / max ms | ring (2 s) lateness p50 / p99 / max ms | event-loop delay p99 / max ms | CPU ms a call | wrong outcome | **baseline**: bare setTimeout chains, lateness p50 / p99 / max ms | baseline event-loop delay p99 / max ms |',
    '|---:|---:|---|---|---|---|---|---:|---:|---|---|',
    ...rows,
    '',
  ] };
}

// --- (2) the app in a child process ------------------------------------------------------------

interface IvrRecord { id: string; destinationNumber: string; status: number; result: number; pressedDigit: string | null; hangupCause: string | null; errorMessage: string | null; creationTime: string; initiatedAt: string | null; ringingAt: string | null; answeredAt: string | null; completedAt: string | null }

async function appLayer(batches: number[], o: { promptMs: number; timeoutMs: number; retries: number; pg: string; callConcurrency: number; startsPerSecond: number; logLevel: string; warmup: number; profile?: string }) {
  const { ownDatabase, freePort, spawnNode, stopChild, cpuMs, databaseCpu, sleep } = await import('./webhooks-lib.js');
  const ADMIN = 'bench-admin-token-0123456789abcdef';
  const name = `wasl_bench_voice_${process.pid}`;
  const database = await ownDatabase(o.pg, name);
  const probeFile = join(tmpdir(), `wasl-voice-probe-${process.pid}.json`);
  // The loopback side: the main prompt, and the receiver of the completion and Call webhooks.
  const wav = wavOf(tone(o.promptMs));
  const completed = new Set<string>();
  let hooks = 0;
  const files = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/main.wav') return void res.writeHead(200, { 'content-type': 'audio/wav' }).end(wav);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
      hooks++;
      if (req.url === '/ivr') completed.add((JSON.parse(Buffer.concat(chunks).toString()) as { id: string }).id);
      res.end('ok');
    });
  });
  files.keepAliveTimeout = 30_000;
  await new Promise<void>((r) => files.listen(0, '127.0.0.1', r));
  const filesUrl = `http://127.0.0.1:${(files.address() as { port: number }).port}`;
  const port = await freePort();
  const app = `http://127.0.0.1:${port}`;
  const perPlay = o.promptMs + o.timeoutMs;
  const profileDir = o.profile ? resolve(o.profile) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  const server = spawnNode(
    [...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), '--import', 'tsx', '--import', './bench/voice.bench.ts', '--import', './bench/webhooks-statements.ts', 'src/server.ts'],
    { DATABASE_URL: database.url, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: app, WASL_ADMIN_TOKEN: ADMIN, LOG_LEVEL: o.logLevel, WEBHOOK_ALLOW_PRIVATE: 'true', CALL_CONCURRENCY: String(o.callConcurrency), CALL_STARTS_PER_SECOND: String(o.startsPerSecond), RATE_LIMIT_PER_MINUTE: '1000000000', BENCH_VOICE_PROBE: probeFile, BENCH_VOICE_PROBE_DELAYS: `${RING_MS},${perPlay}` },
  );
  // The server's warnings, errors and job retries, by message, for the report (JSON log lines only:
  // the first start prints its credentials on plain stderr lines, which are not kept).
  const complaints = new Map<string, number>();
  let statements: Record<string, number> = {};
  server.onLine((line) => {
    if (line.startsWith('STATEMENTS ')) return void (statements = JSON.parse(line.slice(11)) as Record<string, number>);
    let entry: { level?: number; msg?: string; err?: string | { message?: string }; job?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      return;
    }
    if ((entry.level ?? 0) < 40 && entry.msg !== 'job will be retried') return;
    const why = typeof entry.err === 'string' ? entry.err : entry.err?.message;
    const key = `${entry.msg ?? ''}${entry.job ? ` (${entry.job})` : ''}${why ? `: ${why}` : ''}`.slice(0, 200);
    complaints.set(key, (complaints.get(key) ?? 0) + 1);
  });
  const lines: string[] = [];
  const calls: string[] = [];
  const lateness: string[] = [];
  let judged = false;
  let timeoutsMet = true;
  let callsMet = true;
  // Dialled at CALL_STARTS_PER_SECOND, a batch of 200 may never have 200 calls up at once: the
  // target's "≥ 200 at once" is met by a batch that had them, and every batch is judged on the rest.
  let reached200 = false;
  try {
    const request = async <T>(method: string, path: string, body?: object, bearer = ADMIN, form = false): Promise<T> => {
      const res = await fetch(`${app}${path}`, {
        method, headers: { authorization: `Bearer ${bearer}`, ...(body && { 'content-type': form ? 'application/x-www-form-urlencoded' : 'application/json' }) },
        ...(body && { body: form ? new URLSearchParams(body as Record<string, string>).toString() : JSON.stringify(body) }),
      });
      if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    };
    const started = performance.now();
    for (;;) {
      if (server.child.exitCode !== null) throw new Error(`the server exited:\n${server.tail.join('\n')}`);
      if (await fetch(`${app}/health/live`).then((r) => r.ok, () => false)) break;
      if (performance.now() - started > 90_000) throw new Error('the server did not start in 90 s');
      await sleep(100);
    }
    const ws = await request<{ id: string }>('POST', '/admin/v1/workspaces', { name: 'voice-bench', defaultRegion: 'SA' });
    const account = await request<{ clientId: string; clientSecret: string }>('POST', `/admin/v1/workspaces/${ws.id}/service-accounts`, { name: 'bench' });
    const { access_token: bearer } = await request<{ access_token: string }>('POST', '/connect/token', { grant_type: 'client_credentials', client_id: account.clientId, client_secret: account.clientSecret, scope: 'VoxaAPI' }, '', true);
    const channel = await request<{ id: string }>('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: 'Line', type: 3, postCallWebhookUrl: `${filesUrl}/calls` });
    const notes: string[] = [];
    // A first batch of `warmup` calls (reported, not judged): a fresh server opens its pool's
    // connections and compiles its code on the first calls, as a running one has long done.
    const runs = [...(o.warmup > 0 ? [o.warmup] : []), ...batches];
    for (const [b, count] of runs.entries()) {
      const warm = o.warmup > 0 && b === 0;
      const label = warm ? `${count} (warm-up)` : String(count);
      completed.clear();
      complaints.clear();
      process.kill(server.child.pid!, 'SIGUSR2'); // the probe starts afresh
      await sleep(300);
      const statementsBefore = statements;
      const cpu0 = cpuMs(server.child.pid!);
      const pgCpu = await databaseCpu(o.pg, name);
      log(`app: ${count} POST /v1/outbound-ivr at once …`);
      const sampler = sampleBackends(o.pg, name);
      const t0 = performance.now();
      const answers: number[] = [];
      const ids = await Promise.all(Array.from({ length: count }, async (_, i) => {
        const presses = i % 4 === 3;
        const body = { channelId: channel.id, destinationNumber: `9665${[0, 3, 4, 5, 6][b % 5]}${String(i).padStart(3, '0')}${presses ? '1001' : '0900'}`, audioFileUrl: `${filesUrl}/main.wav`, options: [{ digit: '1', description: 'Confirm' }], webhookUrl: `${filesUrl}/ivr`, maxAudioRetries: o.retries, inputTimeoutMs: o.timeoutMs };
        const r = await request<{ id: string }>('POST', '/v1/outbound-ivr', body, bearer);
        answers.push(performance.now() - t0);
        return { id: r.id, presses };
      }));
      // Wait for the completion webhooks; after the script's end + 20 s, ask for the missing records.
      const deadline = performance.now() + RING_MS + (o.retries + 1) * perPlay + 120_000;
      while (completed.size < count && performance.now() < deadline) await sleep(200);
      const backends = await sampler.stop();
      const records = await inBatches(ids, 20, (x) => request<IvrRecord>('GET', `/v1/outbound-ivr/${x.id}`, undefined, bearer));
      const serverCpu = cpuMs(server.child.pid!) - cpu0;
      const dbCpu = await pgCpu();
      const wall = (performance.now() - t0) / 1000;
      process.kill(server.child.pid!, 'SIGUSR2');
      await sleep(500);
      const sent = Object.entries(statements).reduce((n, [k, v]) => n + v - (statementsBefore[k] ?? 0), 0);
      const probe = JSON.parse(readFileSync(probeFile, 'utf8')) as { lates: Record<string, number[]>; waits: number[]; loopP99: number; loopMax: number };
      const timeouts = probe.lates[perPlay] ?? [];
      const ringTimers = probe.lates[RING_MS] ?? [];
      const t = (s: string | null) => (s ? Date.parse(s) : NaN);
      let wrong = 0;
      const unexpected = new Map<string, number>();
      const late: number[] = [];
      const rings: number[] = [];
      const queued: number[] = [];
      const spans: [number, number][] = [];
      records.forEach((r, i) => {
        const presses = ids[i]!.presses;
        const expected = presses ? [4, 1, '1'] : [4, 2, null];
        if (!r.completedAt || r.status !== expected[0] || r.result !== expected[1] || r.pressedDigit !== expected[2] || r.hangupCause !== 'NORMAL_CLEARING') {
          wrong++;
          const key = `status ${r.status}, result ${r.result}, answeredAt ${r.answeredAt ? 'set' : 'null'}, ${r.errorMessage ?? r.hangupCause}`;
          unexpected.set(key, (unexpected.get(key) ?? 0) + 1);
          return;
        }
        late.push(t(r.completedAt) - t(r.answeredAt) - (presses ? PRESS_AFTER_MS : (o.retries + 1) * perPlay));
        rings.push(t(r.answeredAt) - t(r.ringingAt) - RING_MS);
        queued.push(t(r.initiatedAt) - t(r.creationTime));
        spans.push([t(r.answeredAt), t(r.completedAt)]);
      });
      const answeredAt = spans.map((s) => s[0]);
      const spread = (Math.max(...answeredAt) - Math.min(...answeredAt)) / 1000;
      const most = mostAtOnce(spans);
      const expectedTimeouts = ids.filter((x) => !x.presses).length * (o.retries + 1);
      const worstTimeout = Math.max(...timeouts);
      const worstCall = Math.max(...late);
      if (!warm && count >= 200) {
        judged = true;
        if (most >= 200) reached200 = true;
        if (!(wrong === 0 && timeouts.length === expectedTimeouts && worstTimeout <= TARGET_MS)) timeoutsMet = false;
        if (!(wrong === 0 && worstCall <= TARGET_MS)) callsMet = false;
      }
      calls.push(`| ${label} | ${ms(Math.max(...answers) / 1000)} | ${three(queued)} | ${ms(spread)} | **${most}** | ${count - wrong}/${count} | ${hooks} | ${ms(serverCpu / 1000)} s (${Math.round(serverCpu / 10 / wall)} % of a core over ${ms(wall)} s) | ${ms(dbCpu / 1000)} s | ${Math.round(sent / count)} | ${three(probe.waits)} (${probe.waits.length}) |`);
      lateness.push(`| ${label} | ${three(timeouts)} (${timeouts.length} of ${expectedTimeouts}) | ${ms(worstTimeout)} ${worstTimeout <= TARGET_MS ? '✓' : '✗'} | ${three(ringTimers)} | ${ms(probe.loopP99)} / ${ms(probe.loopMax)} | ${three(rings)} | ${three(late)} | ${ms(worstCall)} ${worstCall <= TARGET_MS ? '✓' : '✗'} |`);
      hooks = 0;
      notes.push(`- ${label} at once: the database's backends for this database (pg_stat_activity every 50 ms until the last completion, ${backends.samples} samples; mean backends in each state): ${backends.summary}.`);
      if (unexpected.size) notes.push(`- ${label} at once: not as scripted: ${[...unexpected].map(([k, n]) => `${n} × ${k}`).join('; ')}.`);
      if (complaints.size) notes.push(`- ${label} at once: the server logged ${[...complaints].map(([m, n]) => `${n} × “${m}”`).join('; ')}.`);
      complaints.clear();
    }
    lines.push(
      `### (2) Through the app: \`src/server.ts\` in a child process on PostgreSQL (fresh \`${name}\`), CALL_CONCURRENCY=${o.callConcurrency}, CALL_STARTS_PER_SECOND=${o.startsPerSecond}, LOG_LEVEL=${o.logLevel}, other settings default (WORKERS 1, JOB_CONCURRENCY 16, DATABASE_POOL_SIZE 20); main prompt a ${o.promptMs}-ms WAV from a loopback server, inputTimeoutMs ${o.timeoutMs}, maxAudioRetries ${o.retries}, no welcome/success/failed prompt; 3 of 4 calls to …0900 (expected ${(o.retries + 1) * perPlay} ms answered → completed), 1 of 4 to …1001 (presses 1 after ${PRESS_AFTER_MS} ms: expected ${PRESS_AFTER_MS} ms)`,
      '| POSTs at once | last POST answered after s | POST → dialling (creationTime → initiatedAt) p50 / p99 / max ms | answeredAt first → last s | most calls in progress at once | completed as expected | webhooks received (completion + Call) | server CPU | postgres backends CPU | statements a call (all the server sent, over the calls) | waits for a pool connection p50 / p99 / max ms (n) |',
      '|---:|---:|---|---:|---:|---:|---:|---|---:|---:|---|',
      ...calls,
      '',
      `| POSTs at once | **time-outs in the server** (its ${perPlay}-ms timers: prompt + inputTimeoutMs) lateness p50 / p99 / max ms (n) | worst ≤ 50 ms | ring timers (${RING_MS} ms) in the server, p50 / p99 / max ms | server event-loop delay p99 / max ms | ring from the records (answeredAt − ringingAt − 2 s) p50 / p99 / max ms | **whole call from the records** (answeredAt → completedAt vs script) p50 / p99 / max ms | worst ≤ 50 ms |`,
      '|---:|---|---|---|---|---|---|---|',
      ...lateness,
      '',
      ...notes,
    );
  } finally {
    await stopChild(server.child as ChildProcess);
    await new Promise((r) => (files.closeAllConnections(), files.close(r)));
    await database.drop().catch((err: Error) => log(`drop: ${err.message}`));
    rmSync(probeFile, { force: true });
  }
  if (profileDir) lines.push(...(await profileSummary(profileDir)));
  return { judged: judged && reached200, timeoutsMet, callsMet, lines };
}

/**
 * What the database's backends for `database` are doing, sampled every 50 ms from another
 * connection: the mean number in each state and wait (e.g. `idle in transaction/ClientRead`: a
 * transaction waiting for the app to send its next statement; `active/Lock:transactionid`: waiting for
 * another transaction's row).
 */
function sampleBackends(pgUrl: string, database: string) {
  const client = new pg.Client({ connectionString: `${pgUrl}/postgres` });
  const counts = new Map<string, number>();
  let samples = 0;
  let running = true;
  const done = (async () => {
    await client.connect();
    while (running) {
      const { rows } = await client.query<{ k: string; n: number }>(
        `SELECT state || coalesce('/' || wait_event_type || ':' || wait_event, '') AS k, count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() GROUP BY 1`, [database]);
      samples++;
      for (const r of rows) counts.set(r.k, (counts.get(r.k) ?? 0) + r.n);
      await new Promise((r) => setTimeout(r, 50));
    }
    await client.end();
  })();
  return {
    async stop() {
      running = false;
      await done;
      const summary = [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${(n / samples).toFixed(1)}`).join(', ');
      return { samples, summary };
    },
  };
}

/** The largest number of [start, end] spans that overlap at one instant. */
function mostAtOnce(spans: [number, number][]) {
  const edges = spans.flatMap(([a, b]) => [[a, 1], [b, -1]] as const).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (now += d));
  return most;
}

async function inBatches<T, R>(items: T[], size: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return out;
}

/** The server's whole-run CPU profile (--profile): self time by package or folder, and the top functions. */
async function profileSummary(dir: string) {
  const { profileShares } = await import('./profile-lib.js');
  const file = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort().at(-1);
  if (!file) return ['(no profile was written)'];
  const shares = profileShares(JSON.parse(readFileSync(join(dir, file), 'utf8')), 3);
  const top = (m: Map<string, number>, k: number) => [...m].sort((a, b) => b[1] - a[1]).slice(0, k).map(([name, n]) => `${name} ${((n / shares.total) * 100).toFixed(1)} %`);
  return [`### The server's CPU profile (${file}, whole run, ${shares.total} samples)`, `- By package/folder (self): ${top(shares.cat, 12).join('; ')}.`, `- Functions (self): ${top(shares.self, 15).join('; ')}.`, ''];
}

// --- main -------------------------------------------------------------------------------------

const probe = process.env.BENCH_VOICE_PROBE;
if (probe) {
  installProbe(probe, new Set((process.env.BENCH_VOICE_PROBE_DELAYS ?? '').split(',').map(Number)));
} else {
  const { values: f } = parseArgs({
    options: {
      ns: { type: 'string', default: '50,100,200,400' },
      batches: { type: 'string', default: '200,300' },
      warmup: { type: 'string', default: '20' },
      'prompt-ms': { type: 'string', default: '1000' },
      'timeout-ms': { type: 'string', default: '1500' },
      retries: { type: 'string', default: '2' },
      'call-concurrency': { type: 'string', default: '300' },
      'starts-per-second': { type: 'string', default: '50' },
      'log-level': { type: 'string', default: 'info' },
      pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
      layers: { type: 'string', default: 'engine,app' },
      profile: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (f.help) {
    process.stdout.write('node --import tsx bench/voice.bench.ts [--ns=50,100,200,400] [--batches=200,300] [--warmup=20] [--prompt-ms=1000] [--timeout-ms=1500] [--retries=2]\n  [--call-concurrency=300] [--starts-per-second=50] [--log-level=info] [--pg=postgres://postgres@127.0.0.1:5432] [--layers=engine,app] [--profile=<dir>] (a V8 profile of the server child, summarised)\n');
    process.exit(0);
  }
  const o = { promptMs: Number(f['prompt-ms']), timeoutMs: Number(f['timeout-ms']), retries: Number(f.retries) };
  const layers = new Set(f.layers!.split(','));
  const began = loadavg();
  const startedAt = new Date().toISOString();
  const out: string[] = [];
  const verdicts: string[] = [];
  if (layers.has('engine')) {
    const r = await engineLayer(f.ns!.split(',').map(Number), o);
    out.push(...r.lines);
    verdicts.push(`engine: ${!r.judged ? 'not judged (no N ≥ 200)' : r.met ? 'met' : 'missed'}`);
  }
  if (layers.has('app')) {
    const r = await appLayer(f.batches!.split(',').map(Number), { ...o, pg: f.pg!, callConcurrency: Number(f['call-concurrency']), startsPerSecond: Number(f['starts-per-second']), logLevel: f['log-level']!, warmup: Number(f.warmup), profile: f.profile });
    out.push(...r.lines);
    verdicts.push(!r.judged ? 'through the app: not judged (no batch had 200 calls up at once)' : `through the app, the time-outs: ${r.timeoutsMet ? 'met' : 'missed'}; through the app, whole calls from the answer: ${r.callsMet ? 'met' : 'missed'}`);
  }
  const cpu = cpus();
  process.stdout.write([
    `## Voice (issue 10) — ${startedAt}`,
    `node ${process.version}, ${availableParallelism()} × ${cpu[0]?.model.trim()}. Load average (1/5/15 min) at start ${began.map((x) => x.toFixed(2)).join(' / ')}, end ${loadavg().map((x) => x.toFixed(2)).join(' / ')}.`,
    `Command: \`${['node --import tsx bench/voice.bench.ts', ...process.argv.slice(2)].join(' ')}\`.`,
    `Target (≥ 200 calls at once, no time-out more than ${TARGET_MS} ms late, every call as scripted): **${verdicts.join('; ')}**.`,
    '',
    ...out,
  ].join('\n') + '\n');
}
