import { createHmac } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { profileShares, type CpuProfile } from './profile-lib.js';
import { readFile } from 'node:fs/promises';
import autocannon, { type Request, type Result } from 'autocannon';
import pg from 'pg';
import { percentiles } from './lib.js';

/**
 * Helpers of whatsapp.bench.ts: its own database, the request generators (a sendText to the next
 * seeded contact; a signed Meta webhook with a new wamid and a new sender each time), autocannon
 * runs that keep every latency, the sliding one-second window, and a CPU profile's summary.
 */
export const APP_SECRET = 'bench-meta-app-secret-0123456789';
export const WORKSPACE = 'bench-whatsapp';

/** (i·A + B) mod 10⁷ is a bijection on 7 digits (A is prime to 10): numbers never repeat. */
const digits7 = (i: number) => String((BigInt(i) * 3713921n + 412057n) % 10_000_000n).padStart(7, '0');
/** Seeded contact i: a valid Saudi mobile (+966 50…) as the contacts table keeps it. */
export const contactPhone = (i: number) => `+96650${digits7(i)}`;
/** The n-th webhook's sender (wa_id, digits only): +966 55…, a number no seeded contact has. */
const senderOf = (n: number) => `96655${digits7(n)}`;

/** POSTs of sendText to the seeded contacts in turn (each request the next conversation). */
export function sendTextRequest(path: string, headers: Record<string, string>, channelId: string, contacts: number): Request {
  let n = 0;
  return {
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', ...headers },
    setupRequest: (req) => ({ ...req, body: JSON.stringify({ ChannelId: channelId, Text: `Your order ${n} is on its way 🚚`, ToNumber: contactPhone(n++ % contacts) }) }),
  };
}

/** A Meta webhook body with one text message (Meta's shape: entry → changes → value). */
export function metaMessage(n: number, prefix: string) {
  const from = senderOf(n);
  return JSON.stringify({
    object: 'whatsapp_business_account',
    entry: [{
      id: '102290129340398',
      changes: [{
        field: 'messages',
        value: {
          messaging_product: 'whatsapp',
          metadata: { display_phone_number: '966500000002', phone_number_id: '109876543210' },
          contacts: [{ profile: { name: `عميل ${n}` }, wa_id: from }],
          messages: [{ from, id: `wamid.${prefix}${n.toString(36).toUpperCase().padStart(8, '0')}`, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body: `مرحبا، أريد الاستفسار عن طلبي رقم ${n}` } }],
        },
      }],
    }],
  });
}

/** Signed webhook POSTs to `path`, each a new wamid and sender (the counter is shared by every run of the process). */
let webhookSeq = 0;
export function webhookRequest(path: string, prefix: string): Request {
  return {
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json' },
    setupRequest: (req) => {
      const body = metaMessage(webhookSeq++, prefix);
      return { ...req, body, headers: { ...req.headers, 'x-hub-signature-256': `sha256=${createHmac('sha256', APP_SECRET).update(body).digest('hex')}` } };
    },
  };
}

export interface Run { rps: number; ok: number; bad: number; seconds: number; latencies: number[]; firstBad?: number }

/** autocannon for `seconds` (or `amount` requests): the rate of 200s, every 200's latency (ms). */
export async function run(url: string, request: Request, o: { connections: number; seconds?: number; amount?: number }): Promise<Run> {
  const latencies: number[] = [];
  let bad = 0;
  let firstBad: number | undefined;
  const options = { url, connections: o.connections, requests: [request], ...(o.amount ? { amount: o.amount } : { duration: o.seconds }) };
  const instance = autocannon(options as Parameters<typeof autocannon>[0]) as unknown as Promise<Result> & EventEmitter;
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    if (status === 200) latencies.push(ms);
    else {
      bad++;
      firstBad ??= status;
    }
  });
  const r = await instance;
  return { rps: latencies.length / r.duration, ok: latencies.length, bad: bad + r.errors + r.timeouts, seconds: r.duration, latencies, firstBad };
}

/** Several runs as one: 200s per second over their time, percentiles over every latency. */
export function merge(runs: Run[]) {
  const seconds = runs.reduce((s, r) => s + r.seconds, 0);
  const ok = runs.reduce((s, r) => s + r.ok, 0);
  const latencies = runs.flatMap((r) => r.latencies);
  return { rps: ok / seconds, ok, bad: runs.reduce((s, r) => s + r.bad, 0), max: latencies.length ? latencies.reduce((m, x) => Math.max(m, x), 0) : NaN, ...percentiles(latencies) };
}

/** The most arrivals (ms, any order) inside any window [t, t + width). */
export function maxInWindow(times: number[], width = 1000) {
  const t = [...times].sort((a, b) => a - b);
  let best = 0;
  let bestAt = 0;
  for (let i = 0, j = 0; j < t.length; j++) {
    while (t[j]! - t[i]! >= width) i++;
    if (j - i + 1 > best) [best, bestAt] = [j - i + 1, t[i]!];
  }
  return { max: best, at: bestAt - (t[0] ?? 0) };
}

/** Arrivals per whole second from the first one. */
export function perSecond(times: number[]) {
  const t0 = Math.min(...times);
  const counts: number[] = [];
  for (const x of times) {
    const s = Math.floor((x - t0) / 1000);
    counts[s] = (counts[s] ?? 0) + 1;
  }
  return Array.from(counts, (c) => c ?? 0);
}

/** A .cpuprofile's self time by package or src/ folder and its top functions by self and inclusive time (share of samples). */
export async function summariseProfile(file: string, top = 15) {
  const p = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const { self, cat, incl } = profileShares(p, 3);
  const total = p.samples.length;
  const idle = self.get('(idle) ') ?? 0;
  const pct = (x: number) => `${((x / (total - idle)) * 100).toFixed(1)} %`;
  const rows = (m: Map<string, number>, filter: (k: string) => boolean = () => true) =>
    [...m].filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(root)') && filter(k)).sort(([, a], [, b]) => b - a).slice(0, top).map(([k, v]) => `| ${pct(v)} | \`${k}\` |`);
  return [
    `Busy samples ${total - idle} of ${total} (idle ${((idle / total) * 100).toFixed(0)} %); shares are of busy time.`,
    '', '| self | package or folder |', '|---:|---|', ...rows(cat),
    '', '| self | function |', '|---:|---|', ...rows(self),
    '', '| inclusive | function in src/ |', '|---:|---|', ...rows(incl, (k) => k.includes(' src/')),
  ].join('\n');
}

/**
 * Samples pg_stat_activity for the database's other backends every `everyMs` until `stop()`:
 * the share of samples in each state and wait (`active: CPU`, `active: IO/WALSync`,
 * `idle in transaction: Client/ClientRead` = waiting for Node …), most first.
 */
export function sampleWaits(db: pg.Pool, everyMs = 20) {
  const tally = new Map<string, number>();
  let samples = 0;
  let on = true;
  const done = (async () => {
    while (on) {
      const { rows } = await db.query<{ what: string }>(
        `SELECT state || ': ' || coalesce(wait_event_type || '/' || wait_event, 'CPU') AS what FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND state <> 'idle'`);
      samples++;
      for (const r of rows) tally.set(r.what, (tally.get(r.what) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return async () => {
    on = false;
    await done;
    const busy = [...tally].sort(([, a], [, b]) => b - a);
    const per = (v: number) => (v / Math.max(1, samples)).toFixed(1);
    return `on average ${per(busy.reduce((n, [, v]) => n + v, 0))} backends not idle — ${busy.slice(0, 6).map(([k, v]) => `${k} ${per(v)}`).join(', ')}`;
  };
}
