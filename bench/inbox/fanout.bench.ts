import { spawn } from 'node:child_process';
import { request, type ClientRequest } from 'node:http';
import { createInterface } from 'node:readline';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { cleanup, cpuMs, freePort, log, machineNote, onCleanup, percentile, sleep, spawnNode, tempDatabase } from '../webhooks-lib.js';

/**
 * Fan-out of `GET /v1/events` (issue 11; plan and report in bench/inbox/README.md), PostgreSQL:
 * N streams of one workspace held by this process over N sockets, changes made through the API
 * (`POST /v1/contacts`: one `ContactCreated` each) at an even rate; for each change, the time from
 * the POST leaving this process to the frame reaching the last (and the first) stream — an upper
 * bound of commit → delivery, the request's own time included. Beside it, the same N clients on a
 * bare `node:http` SSE server (sse-baseline.ts) that writes the same frame bytes when told on
 * stdin. Then the server's memory per idle stream, two nodes (changes through A, streams split
 * over A and B), and a mass reconnect (every socket dropped while changes go on, then every client
 * back with its Last-Event-ID, spread over a second as `retry:` spreads them).
 *   node --import tsx bench/inbox/fanout.bench.ts [--streams=1000] [--rate=20] [--seconds=30] [--warmup=5] [--phases=one,baseline,two,reconnect]
 * Smoke run: --streams=200 --seconds=5 --warmup=2.
 */
const { values: flags } = parseArgs({
  options: {
    streams: { type: 'string', default: '1000' }, rate: { type: 'string', default: '20' }, seconds: { type: 'string', default: '30' }, warmup: { type: 'string', default: '5' },
    phases: { type: 'string', default: 'one,baseline,two,reconnect' }, pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
  },
});
const STREAMS = Number(flags.streams);
const RATE = Number(flags.rate);
const SECONDS = Number(flags.seconds);
const WARMUP = Number(flags.warmup);
const PHASES = new Set(flags.phases!.split(','));
const PG = flags.pg!.replace(/\/+$/, '');
const ADMIN = 'bench-admin-token-0123456789abcdef';
const began = new Date();
const out: string[] = [];

// --- streams as a client sees them ------------------------------------------------------------

/** Per change (its number): when it was made, and when the first and last stream had it, and how many did. */
interface Change { sent: number; first: number; last: number; got: number; node: Map<number, number> }
const changes = new Map<number, Change>();
const CHANGE = /fan-(\d+)-/;

interface Stream { req: ClientRequest; lastId: string | null; node: number; alive: boolean; seen: Set<number> | null }

/** Opens one stream; frames naming a change are counted on arrival (no JSON parsing: the name is found in the block). */
function openStream(port: number, node: number, headers: Record<string, string>, stream?: Stream): Promise<Stream> {
  return new Promise((resolve, reject) => {
    const s: Stream = stream ?? { req: null as unknown as ClientRequest, lastId: null, node, alive: true, seen: null };
    const req = request({ host: '127.0.0.1', port, path: '/v1/events', headers: { accept: 'text/event-stream', ...headers, ...(s.lastId && { 'last-event-id': s.lastId }) } }, (res) => {
      if (res.statusCode !== 200) {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => reject(new Error(`GET /v1/events: ${res.statusCode} ${body}`)));
        return;
      }
      s.alive = true;
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk: string) => {
        const at = performance.now();
        buf += chunk;
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const id = /^id: ?(\d+)$/m.exec(block);
          if (id) s.lastId = id[1]!;
          const m = CHANGE.exec(block);
          if (!m) continue;
          const n = Number(m[1]);
          if (s.seen) s.seen.add(n);
          const c = changes.get(n);
          if (!c) continue;
          c.got++;
          c.first ||= at;
          c.last = Math.max(c.last, at);
          c.node.set(s.node, Math.max(c.node.get(s.node) ?? 0, at));
        }
      });
      res.on('close', () => (s.alive = false));
      resolve(s);
    });
    req.on('error', (err) => (s.alive ? reject(err) : undefined));
    req.end();
    s.req = req;
  });
}

async function openMany(n: number, ports: number[], headers: Record<string, string>) {
  const streams: Stream[] = [];
  for (let i = 0; i < n; i += 50) {
    streams.push(...(await Promise.all(Array.from({ length: Math.min(50, n - i) }, (_, k) => openStream(ports[(i + k) % ports.length]!, (i + k) % ports.length, headers)))));
  }
  return streams;
}
const closeAll = (streams: Stream[]) => streams.forEach((s) => ((s.alive = false), s.req.destroy()));

// --- the servers -------------------------------------------------------------------------------

/** A node of the app on the database; every node of an installation has the same PUBLIC_URL (tokens name it). */
async function startApp(databaseUrl: string, publicUrl?: string) {
  const port = await freePort();
  const server = spawnNode(['--import', 'tsx', 'src/server.ts'], {
    DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: publicUrl ?? `http://127.0.0.1:${port}`, WASL_ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'warn',
    WORKERS: '0', EVENTS_MAX_STREAMS: String(STREAMS * 2 + 100), EVENTS_MAX_STREAMS_PER_WORKSPACE: String(STREAMS * 2 + 100), RATE_LIMIT_PER_MINUTE: String(1e9),
  });
  for (let i = 0; ; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false);
    if (ok) break;
    if (i > 600 || server.child.exitCode !== null) throw new Error(`the server did not start:\n${server.tail.join('\n')}`);
    await sleep(100);
  }
  return { port, server };
}

async function api(port: number, method: string, path: string, body: unknown, auth: string) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { method, headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

/** RSS of a process (KB) from /proc. */
const rssKb = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]);

// --- the load ----------------------------------------------------------------------------------

let counter = 0;
/** Makes changes at RATE a second for `seconds` with `make(n)`; answers the numbers of those after the warm-up. */
async function drive(seconds: number, warmup: number, make: (n: number) => Promise<unknown>) {
  const interval = 1000 / RATE;
  const start = performance.now();
  const measured: number[] = [];
  const pending: Promise<unknown>[] = [];
  for (let k = 0; k < Math.round((seconds + warmup) * RATE); k++) {
    const due = start + k * interval;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    const n = counter++;
    changes.set(n, { sent: performance.now(), first: 0, last: 0, got: 0, node: new Map() });
    if (k >= warmup * RATE) measured.push(n);
    pending.push(make(n));
  }
  await Promise.all(pending);
  await sleep(1500); // the last frames
  return measured;
}

function summary(measured: number[], expected: number, node?: number) {
  const lastMs: number[] = [];
  const firstMs: number[] = [];
  const spreadMs: number[] = [];
  let missing = 0;
  for (const n of measured) {
    const c = changes.get(n)!;
    if (c.got < expected) missing += expected - c.got;
    const last = node === undefined ? c.last : (c.node.get(node) ?? 0);
    if (last) lastMs.push(last - c.sent);
    if (c.first) firstMs.push(c.first - c.sent);
    if (c.first && last) spreadMs.push(last - c.first);
  }
  const p = (xs: number[], q: number) => percentile(xs, q).toFixed(1);
  return { p50: p(lastMs, 50), p99: p(lastMs, 99), max: Math.max(...lastMs).toFixed(1), firstP50: p(firstMs, 50), firstP99: p(firstMs, 99), spread: p(spreadMs, 99), missing, n: measured.length };
}

try {
  const databaseUrl = await tempDatabase(PG, `wasl_bench_fanout_${process.pid}`);
  const a = await startApp(databaseUrl);
  const admin = async (method: string, path: string, body: unknown) => api(a.port, method, path, body, ADMIN);
  const workspace = await admin('POST', '/admin/v1/workspaces', { name: `fanout-${process.pid}` });
  const account = await admin('POST', `/admin/v1/workspaces/${String(workspace.id)}/service-accounts`, { name: 'fanout' });
  const tokenRes = await fetch(`http://127.0.0.1:${a.port}/connect/token`, {
    method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: String(account.clientId), client_secret: String(account.clientSecret), scope: 'VoxaAPI' }),
  });
  const token = ((await tokenRes.json()) as { access_token: string }).access_token;
  const auth = { authorization: `Bearer ${token}` };
  const contact = (port: number) => (n: number) => api(port, 'POST', '/v1/contacts', { name: `fan-${n}-${process.pid}`, phoneNumber: `+9665${String(10_000_000 + n).slice(-8)}` }, token);
  const rows: string[] = [];
  const rowsRatio: string[] = [];
  let sampleBlock = '';

  if (PHASES.has('one') || PHASES.has('baseline')) {
    // (1) one node: memory before and after the streams open, then the load.
    await sleep(1000);
    const rss0 = rssKb(a.server.child.pid!);
    const streams = await openMany(STREAMS, [a.port], auth);
    await sleep(2000);
    const rss1 = rssKb(a.server.child.pid!);
    const perStreamKb = (rss1 - rss0) / STREAMS;
    log(`(1) ${STREAMS} streams open on one node: RSS ${Math.round(rss0 / 1024)} → ${Math.round(rss1 / 1024)} MB, ${perStreamKb.toFixed(1)} KB a stream`);
    const cpu0 = cpuMs(a.server.child.pid!);
    const measured = await drive(SECONDS, WARMUP, contact(a.port));
    const cpuPerChange = ((cpuMs(a.server.child.pid!) - cpu0) * 1000) / (measured.length + WARMUP * RATE);
    const s = summary(measured, STREAMS);
    log(`(1) app: last stream p50 ${s.p50} ms, p99 ${s.p99} ms; first p99 ${s.firstP99} ms; missing ${s.missing}`);
    rows.push(`| Wasl, one node (POST /v1/contacts → the frame) | ${STREAMS} | ${s.n} | ${s.firstP50} / ${s.firstP99} | ${s.p50} | **${s.p99}** | ${s.max} | ${s.spread} | ${s.missing} | ${perStreamKb.toFixed(1)} KB | ${Math.round(cpuPerChange)} µs |`);
    // A frame as the app wrote it, for the baseline to write the same bytes.
    sampleBlock = await new Promise<string>((resolve) => {
      const req = request({ host: '127.0.0.1', port: a.port, path: '/v1/events', headers: { ...auth, 'last-event-id': '1' } }, (res) => {
        res.setEncoding('utf8');
        let buf = '';
        res.on('data', (c: string) => {
          buf += c;
          const m = /(^|\n\n)(id: \d+\nevent: ContactCreated\ndata: [^\n]*\n\n)/.exec(buf);
          if (!m) return;
          resolve(m[2]!);
          req.destroy();
        });
      });
      req.end();
    });
    closeAll(streams);
    const appP99 = Number(s.p99);
    const appSpread = Number(s.spread);

    if (PHASES.has('baseline')) {
      const base = spawn(process.execPath, ['--import', 'tsx', 'bench/inbox/sse-baseline.ts'], { stdio: ['pipe', 'pipe', 'inherit'] });
      onCleanup(async () => void base.kill());
      const port = await new Promise<number>((resolve) => createInterface({ input: base.stdout }).on('line', (line) => line.startsWith('{"port"') && resolve((JSON.parse(line) as { port: number }).port)));
      const bstreams = await openMany(STREAMS, [port], {});
      await sleep(1000);
      const stdin = base.stdin;
      const bmeasured = await drive(SECONDS, WARMUP, async (n) => {
        const frame = sampleBlock.replace(/^id: \d+/, `id: ${n}`).replace(/fan-\d+-/, `fan-${n}-`);
        stdin.write(`${Buffer.from(frame).toString('base64')}\n`);
      });
      const b = summary(bmeasured, STREAMS);
      log(`(1) baseline: last stream p50 ${b.p50} ms, p99 ${b.p99} ms; missing ${b.missing}`);
      rows.push(`| baseline: bare node:http SSE server, the same frame bytes (told on stdin) | ${STREAMS} | ${b.n} | ${b.firstP50} / ${b.firstP99} | ${b.p50} | **${b.p99}** | ${b.max} | ${b.spread} | ${b.missing} | | |`);
      rowsRatio.push(`p99 app / baseline: ${(appP99 / Number(b.p99)).toFixed(2)}× from the change's start (the app's includes its API request, the baseline's only a stdin line); ${(appSpread / Number(b.spread)).toFixed(2)}× first → last stream (writing one frame to every stream: the like-for-like part).`);
      closeAll(bstreams);
    }
  }

  if (PHASES.has('two')) {
    // (3) two nodes: changes through A, streams split over A and B.
    const b = await startApp(databaseUrl, `http://127.0.0.1:${a.port}`);
    const streams = await openMany(STREAMS, [a.port, b.port], auth);
    await sleep(1000);
    const measured = await drive(SECONDS, WARMUP, contact(a.port));
    const all = summary(measured, STREAMS);
    const onA = summary(measured, STREAMS, 0);
    const onB = summary(measured, STREAMS, 1);
    log(`(3) two nodes: p99 all ${all.p99} ms, node A ${onA.p99} ms, node B ${onB.p99} ms; missing ${all.missing}`);
    rows.push(`| Wasl, two nodes, all streams (changes through A) | ${STREAMS} | ${all.n} | ${all.firstP50} / ${all.firstP99} | ${all.p50} | **${all.p99}** | ${all.max} | ${all.spread} | ${all.missing} | | |`);
    rows.push(`| — the streams on node B (NOTIFY and B's reader) | ${STREAMS / 2} | ${onB.n} | | ${onB.p50} | **${onB.p99}** | ${onB.max} | | | | |`);
    closeAll(streams);
  }

  let reconnectLine = '';
  if (PHASES.has('reconnect')) {
    // (6) mass reconnect: every stream drops while changes go on, then all come back with Last-Event-ID.
    const streams = await openMany(STREAMS, [a.port], auth);
    await sleep(1000);
    await drive(2, 0, contact(a.port)); // positions to resume from
    for (const s of streams) {
      s.alive = false;
      s.req.destroy();
    }
    const missed = await drive(3, 0, contact(a.port));
    for (const s of streams) s.seen = new Set();
    const t0 = performance.now();
    // Back over one second, as `retry:` (2–3 s) spreads them.
    await Promise.all(streams.map((s, i) => sleep((i / STREAMS) * 1000).then(() => openStream(a.port, 0, auth, s))));
    let caught = NaN;
    for (;;) {
      if (streams.every((s) => missed.every((n) => s.seen!.has(n)))) {
        caught = (performance.now() - t0) / 1000;
        break;
      }
      if (performance.now() - t0 > 60_000) break;
      await sleep(50);
    }
    reconnectLine = `Mass reconnect: ${STREAMS} streams dropped while ${missed.length} changes were made, back over 1 s with their Last-Event-ID: every stream had every missed change **${caught.toFixed(2)} s** after the first came back (target ≤ 5 s) ${caught <= 5 ? '✓' : '✗'}.`;
    log(reconnectLine);
    closeAll(streams);
  }

  out.push(
    `## Event stream fan-out (issue 11), PostgreSQL — ${began.toISOString()}`,
    ...machineNote(),
    `Command: \`node --import tsx bench/inbox/fanout.bench.ts ${process.argv.slice(2).join(' ')}\`; ${RATE} changes a second (POST /v1/contacts, one ContactCreated each), ${WARMUP} s warm-up then ${SECONDS} s measured a row; the streams held by the driver process over their own sockets.`,
    '',
    '| what | streams | changes | first stream p50 / p99 ms | last stream p50 ms | **p99 ms** | max ms | first → last stream p99 ms | frames missing | memory a stream | server CPU a change |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
    '',
    ...rowsRatio,
    'Targets: commit → delivery p99 ≤ 150 ms; ≤ 1.5× the bare SSE server; ≤ 64 KB a stream (RSS growth with the streams open, idle).',
    ...(reconnectLine ? ['', reconnectLine] : []),
  );
  process.stdout.write(`${out.join('\n')}\n`);
} finally {
  await cleanup();
}
