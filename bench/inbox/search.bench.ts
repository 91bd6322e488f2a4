import type { EventEmitter } from 'node:events';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon, { type Options, type Result } from 'autocannon';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { loadConfig } from '../../src/config.js';
import { createContainer } from '../../src/container.js';
import type { Database } from '../../src/db/types.js';
import { systemClock } from '../../src/lib/clock.js';
import { alternate, explainAnalyze, loop, machineLine, ms, oneLine, runOn, type HttpRun, type Statement } from '../compare-lib.js';
import { appEnv, prng } from '../lib.js';
import { loadContacts } from '../seed-lib.js';
import { cleanup, freePort, log, onCleanup, ownDatabase, sleep, spawnNode } from '../webhooks-lib.js';

/**
 * The inbox's message search at scale (`GET /v1/inbox/search?q=…&limit=10`, migration 0022),
 * PostgreSQL; plan and report in bench/inbox/README.md. A fresh database: the real server
 * (`src/server.ts`, a child) makes the schema, the workspaces, channels and service accounts
 * through the admin API; contacts as seed-lib writes them; conversations and their timeline
 * events in bulk SQL (generate_series) with bodies from a mixed Arabic / English vocabulary
 * (tashkeel and hamza variants, order numbers, a rare word), `conversation_events_search` made
 * after the load (timed: what migration 0022 costs on a big install), then ANALYZE. Per query:
 * autocannon at concurrency 8 on the route, alternating with 8 loops on a pg pool sending the
 * statements the inbox service sends for it (recorded from the app's own container: the contacts
 * search's and the messages statement, at once as the service runs them); p50/p95/p99 of each,
 * the matches, and EXPLAIN (ANALYZE, BUFFERS) of the messages statement. Markdown on stdout.
 *   node --import tsx bench/inbox/search.bench.ts [--events=1000000] [--noise=events/5] [--per-conversation=50]
 *     [--duration=10] [--rounds=2] [--warmup=2] [--connections=8] [--queries=rare,common,arabic,order,none,noneCommon] [--keep]
 * Smoke run: --events=20000. --keep leaves the database (its name on stderr) for psql experiments;
 * --reuse=NAME measures on such a database again without seeding it (and leaves it).
 */
const { values: flags } = parseArgs({
  options: {
    events: { type: 'string', default: '1000000' },
    noise: { type: 'string' },
    'per-conversation': { type: 'string', default: '50' },
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '8' },
    queries: { type: 'string', default: 'rare,common,arabic,order,none,noneCommon' },
    keep: { type: 'boolean' },
    reuse: { type: 'string' },
    pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' },
  },
});
const EVENTS = Number(flags.events);
const NOISE = Number(flags.noise ?? Math.round(EVENTS / 5));
const PER_CONVERSATION = Number(flags['per-conversation']);
const CONNECTIONS = Number(flags.connections);
const PG = flags.pg!.replace(/\/+$/, '');
const ADMIN = 'bench-admin-token-0123456789abcdef';
const RARE_ROWS = 40;
const secs = (from: number) => (performance.now() - from) / 1000;

// --- the vocabulary ---------------------------------------------------------------------------

/** Bodies and their weight; `{n}` is an 8-digit order number. Direction 1 a customer's, 2 a reply. */
const VOCABULARY: [text: string, direction: 1 | 2, weight: number][] = [
  ['Hi, where is my order? It was supposed to be delivered yesterday.', 1, 60],
  ['I want to cancel my order {n} please', 1, 40],
  ['Can I change the delivery address for order #{n}?', 1, 30],
  ['I was charged twice for the same order', 1, 25],
  ['Is this available in blue?', 1, 25],
  ['Please call me back after 5 pm', 1, 25],
  ['The app is not working on my phone', 1, 25],
  ['Do you deliver to Dammam?', 1, 20],
  ['Hello?', 1, 20],
  ['Thanks for reaching out! Let me check your order for you.', 2, 50],
  ['Your order #{n} has been shipped and will arrive in 2–3 days.', 2, 50],
  ['Your refund has been issued; it takes 3–5 business days.', 2, 25],
  ['Could you send a screenshot of the error?', 2, 20],
  ['Sure, we will call you within the hour.', 2, 20],
  ['We have reversed the duplicate charge.', 2, 15],
  ['السلام عليكم، متى يوصل طلبي؟', 1, 50],
  ['أبغى أغير العنوان', 1, 25],
  ['كم سعر التوصيل؟', 1, 25],
  ['الطلب رقم {n} وصل ناقص', 1, 30],
  ['ممكن فاتورة؟', 1, 20],
  ['أحتاج مساعدة في الدفع', 1, 15],
  ['احتاج مساعده في الدفع', 1, 10],
  ['وش أوقات الدوام؟', 1, 20],
  ['شُكْرًا جَزِيلًا عَلَى المُسَاعَدَةِ', 1, 6],
  ['شكراً جزيلاً على المساعدة', 1, 6],
  ['شكرا جزيلا على المساعده', 1, 3],
  ['إِنْ شَاءَ اللَّهُ يُوصِلُ الطَّلَبُ غَدًا؟', 1, 10],
  ['وعليكم السلام، نعتذر عن التأخير. طلبك في الطريق.', 2, 50],
  ['أهلاً وسهلاً، كيف نقدر نساعدك؟', 2, 30],
  ['أَهْلًا وَسَهْلًا بِكَ فِي خِدْمَةِ العُمَلَاءِ', 2, 15],
  ['اهلا وسهلا', 2, 10],
  ['تم تحديث العنوان ✅', 2, 20],
  ['التوصيل مجاني فوق ١٠٠ ريال', 2, 25],
  ['العفو، في خدمتك دائماً', 2, 20],
  ['نعتذر، سنرسل القطعة الناقصة اليوم', 2, 20],
  ['تم إرسال الفاتورة على بريدك', 2, 20],
  ['طلبك رقم {n} تم شحنه، يوصلك خلال يومين', 2, 40],
  ['من ٩ صباحاً إلى ١١ مساءً', 2, 15],
  ['جرب الدفع مرة ثانية من فضلك', 2, 20],
];
/** Every 40th event is an agent's note instead (source 4, internal). */
const NOTES = ['Note: customer asked again about order #{n}', 'ملاحظة: العميل يطلب استرجاع المبلغ', 'Note: VIP, handle with care'];
/** The rare word: RARE_ROWS events of the workspace measured (and a few in the other), spread over the year. */
const RARE = 'My Samsonite suitcase arrived with a broken wheel';

/** The queries (the order-number fragment is taken from a stored body after the seed). */
const QUERIES: Record<string, { label: string; q: string }> = {
  rare: { label: 'rare word', q: 'samsonite' },
  common: { label: 'common word', q: 'order' },
  arabic: { label: 'Arabic without tashkeel (stored with)', q: 'جزيلا' },
  order: { label: 'order-number fragment', q: '' },
  none: { label: 'no match (trigrams absent)', q: 'xylophone' },
  noneCommon: { label: 'no match (every trigram common)', q: 'ordered' },
};

// --- the seed ---------------------------------------------------------------------------------

/** A UUIDv7 of timestamp `t` in SQL, its random bits from md5(`salt`), as the app's newId() shapes it. */
const uuid7 = (t: string, salt: string) =>
  `(lpad(to_hex((extract(epoch FROM ${t}) * 1000)::bigint), 12, '0') || '7' || substr(md5(${salt}), 1, 3) || substr('89ab', 1 + get_byte(decode(md5(${salt}), 'hex'), 4) % 4, 1) || substr(md5(${salt}), 5, 15))::uuid`;

/**
 * `events` timeline events with a body over `conversations` conversations (one contact each,
 * round-robin, so each timeline runs over the year), in batches. Bodies from the vocabulary by a
 * hash of the row number; the conversations' summary columns from their last event.
 */
async function seedTimelines(q: (text: string, values?: unknown[]) => Promise<pg.QueryResult>, o: { workspaceId: string; channels: string[]; handler: string; events: number; conversations: number; rare: number; salt: string }) {
  const now = Date.now();
  const YEAR = 365 * 86_400_000;
  const from = new Date(now - YEAR).toISOString();
  const step = YEAR / o.events; // ms between events
  const time = (g: string, param: string) => `(${param}::timestamptz + (${g})::float8 * ${step} * interval '1 millisecond')`;
  /** A non-negative int from a hash of the row number and a salt. */
  const hash = (g: string, salt: number) => `(hashint8(${g}::bigint * ${salt} + 17)::bigint & 2147483647)`;
  await q(`CREATE TEMP TABLE bench_conv AS
    SELECT (row_number() OVER (ORDER BY creation_time, id) - 1)::int AS k, id AS contact_id FROM contacts WHERE workspace_id = $1`, [o.workspaceId]);
  await q(`INSERT INTO conversations (id, workspace_id, channel_id, contact_id, status, last_activity_at, creation_time)
    SELECT ${uuid7(`${time('k + 1', '$3')} - interval '1 minute'`, `$4 || 'c' || k`)}, $1, ($2::uuid[])[1 + k % cardinality($2::uuid[])], contact_id,
           CASE WHEN k % 3 = 0 THEN 1 ELSE 2 END, ${time('k + 1', '$3')}, ${time('k + 1', '$3')} - interval '1 minute'
    FROM bench_conv`, [o.workspaceId, o.channels, from, o.salt]);
  await q(`CREATE TEMP TABLE bench_conv2 AS SELECT b.k, c.id, c.contact_id, c.channel_id FROM bench_conv b JOIN conversations c ON c.contact_id = b.contact_id AND c.workspace_id = $1`, [o.workspaceId]);
  await q('CREATE UNIQUE INDEX ON bench_conv2 (k)');
  const slots: string[] = [];
  const directions: number[] = [];
  for (const [text, direction, weight] of VOCABULARY) {
    for (let i = 0; i < weight; i++) {
      slots.push(text);
      directions.push(direction);
    }
  }
  const rareEvery = o.rare > 0 ? Math.max(1, Math.floor(o.events / o.rare)) : 0;
  const BATCH = 200_000;
  for (let first = 1; first <= o.events; first += BATCH) {
    const last = Math.min(o.events, first + BATCH - 1);
    // $1 workspace, $2 start of the year, $3 salt, $4–$5 rows, $6 conversations, $7 handler, $8 rare every, $9 directions, $10 the rare body, $11 notes, $12 bodies.
    await q(`INSERT INTO conversation_events (id, workspace_id, conversation_id, contact_id, channel_id, source_type, direction, creation_time, status, is_ai,
        body, handler_name, message_type, external_id)
      SELECT ${uuid7('x.t', `$3 || g`)}, $1, c.id, c.contact_id, c.channel_id, x.source, x.direction, x.t,
             CASE x.direction WHEN 1 THEN 'Received' WHEN 2 THEN 'Read' END, false, x.body,
             CASE WHEN x.direction <> 1 THEN $7 END, CASE WHEN x.source = 2 THEN 'Text' END,
             CASE WHEN x.source = 2 THEN 'wamid.' || md5($3 || 'w' || g) END
      FROM generate_series($4::int, $5::int) g
      JOIN bench_conv2 c ON c.k = (g - 1) % $6
      CROSS JOIN LATERAL (SELECT ${time('g', '$2')} AS t, ${hash('g', 7919)} AS h, (10000000 + ${hash('g', 104729)} % 90000000)::text AS n, $8 > 0 AND g % $8 = $8 / 2 AS rare) r
      CROSS JOIN LATERAL (
        SELECT CASE WHEN r.rare THEN 2 WHEN g % 40 = 0 THEN 4 ELSE 2 END AS source,
               CASE WHEN r.rare THEN 1 WHEN g % 40 = 0 THEN 3 ELSE ($9::smallint[])[1 + r.h % cardinality($9::smallint[])] END AS direction,
               replace(CASE WHEN r.rare THEN $10 WHEN g % 40 = 0 THEN ($11::text[])[1 + r.h % cardinality($11::text[])]
                            ELSE ($12::text[])[1 + r.h % cardinality($12::text[])] END, '{n}', r.n) AS body,
               r.t AS t
      ) x`, [o.workspaceId, from, o.salt, first, last, o.conversations, o.handler, rareEvery, directions, RARE, NOTES, slots]);
    log(`  events ${last.toLocaleString('en')} / ${o.events.toLocaleString('en')}`);
  }
  // Each conversation's summary from its last event (the search reads only events and contacts).
  await q(`UPDATE conversations c SET last_activity_at = l.creation_time, last_event_id = l.id, last_event_source_type = l.source_type, last_event_direction = l.direction,
      last_event_status = l.status, last_event_preview = left(l.body, 200), last_event_at = l.creation_time, last_events_count = 1, events_count = l.n,
      unread_count = CASE WHEN c.status = 1 AND l.direction = 1 THEN 1 ELSE 0 END, is_lost = (c.status = 1 AND l.direction = 1),
      last_inbound_at = CASE WHEN l.direction = 1 THEN l.creation_time END, closed_at = CASE WHEN c.status = 2 THEN l.creation_time END
    FROM (SELECT DISTINCT ON (conversation_id) conversation_id, id, creation_time, source_type, direction, status, body, count(*) OVER (PARTITION BY conversation_id) AS n
          FROM conversation_events WHERE workspace_id = $1 ORDER BY conversation_id, creation_time DESC, id DESC) l
    WHERE l.conversation_id = c.id`, [o.workspaceId]);
  await q('DROP TABLE bench_conv; DROP TABLE bench_conv2');
}

// --- the load ---------------------------------------------------------------------------------

/**
 * compare-lib's httpLatencies with a 120 s request timeout (autocannon's 10 s would cut the
 * slowest searches), every 200's latency kept; then waits until the database has no statement
 * running but this one: a request autocannon gave up on at the end still runs in the store, and
 * must not overlap the SQL loops that follow.
 */
async function httpRun(pool: pg.Pool, url: string, seconds: number, request: { method: 'GET'; path: string; headers: Record<string, string> }): Promise<HttpRun> {
  const latencies: number[] = [];
  let bad = 0;
  const options = { url, connections: CONNECTIONS, duration: seconds, requests: [request], timeout: 120 };
  const run = autocannon(options as Options) as unknown as Promise<Result> & EventEmitter;
  run.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => (status === 200 ? latencies.push(ms) : bad++));
  const r = await run;
  for (let i = 0; i < 1200; i++) {
    const { n } = (await pool.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`)).rows[0] as { n: number };
    if (!n) break;
    await sleep(100);
  }
  return { rps: latencies.length / r.duration, bad: bad + r.errors + r.timeouts, latencies };
}

// --- the driver -------------------------------------------------------------------------------

const began = loadavg();
const startedAt = new Date();
const dbName = `wasl_bench_search_${process.pid}`;
const database = flags.reuse ? { url: `${PG}/${flags.reuse}`, drop: async () => {} } : await ownDatabase(PG, dbName);
if (flags.keep || flags.reuse) log(`the database ${database.url} stays`);
else onCleanup(database.drop);
try {
  // The server: it migrates the fresh database.
  const port = await freePort();
  const server = spawnNode(['--import', 'tsx', 'src/server.ts'], {
    DATABASE_URL: database.url, PORT: String(port), HOST: '127.0.0.1', PUBLIC_URL: `http://127.0.0.1:${port}`, WASL_ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'warn',
    WORKERS: '0', RATE_LIMIT_PER_MINUTE: String(1e9),
  });
  for (let i = 0; ; i++) {
    if (await fetch(`http://127.0.0.1:${port}/health/ready`).then((r) => r.ok, () => false)) break;
    if (i > 600 || server.child.exitCode !== null) throw new Error(`the server did not start:\n${server.tail.join('\n')}`);
    await sleep(100);
  }
  const url = `http://127.0.0.1:${port}`;
  const api = async <T = Record<string, string>>(method: string, path: string, body: unknown, auth = ADMIN) => {
    const res = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${auth}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  };
  /** A workspace with its service account and channels, through the admin API. */
  const workspace = async (name: string, phones: string[]) => {
    const ws = await api('POST', '/admin/v1/workspaces', { name });
    const account = await api('POST', `/admin/v1/workspaces/${ws.id}/service-accounts`, { name: 'search-bench' });
    const channels: string[] = [];
    for (const [i, phoneNumber] of phones.entries()) channels.push((await api('POST', `/admin/v1/workspaces/${ws.id}/channels`, { name: `Channel ${i + 1}`, type: 3 - i, phoneNumber })).id!);
    return { id: ws.id!, account, channels };
  };
  /**
   * The seed, without the search index (the other indexes stay); VACUUM ANALYZE; then the index
   * made as migration 0022 makes it (timed, the session's maintenance_work_mem) and ANALYZE again,
   * which gathers its expression's statistics. Answers the report's lines about it.
   */
  async function seed(A: Awaited<ReturnType<typeof workspace>>) {
    const client = await pool.connect(); // one session: seedTimelines' temp tables
    const q = (text: string, values: unknown[] = []) => client.query(text, values);
    try {
      const seedStart = performance.now();
      const indexDef = ((await q(`SELECT indexdef FROM pg_indexes WHERE indexname = 'conversation_events_search'`)).rows[0] as { indexdef: string }).indexdef;
      await q('DROP INDEX conversation_events_search');
      const random = prng(11);
      const YEAR = 365 * 86_400_000;
      const B = await workspace('search-noise', ['+966920000201']);
      for (const [ws, events, rare, salt] of [[A, EVENTS, RARE_ROWS, 'a'], [B, NOISE, NOISE > 0 ? 10 : 0, 'b']] as const) {
        if (!events) continue;
        const account = (await q('SELECT id FROM service_accounts WHERE client_id = $1', [ws.account.clientId])).rows[0] as { id: string };
        await loadContacts(q, { workspaceId: ws.id, creatorId: account.id, count: perConversation(events), batch: 10_000, random, from: Date.now() - 2 * YEAR, span: YEAR });
        const t = performance.now();
        await seedTimelines(q, { workspaceId: ws.id, channels: ws.channels, handler: ws.account.clientId!, events, conversations: perConversation(events), rare, salt });
        log(`timelines of ${salt === 'a' ? 'the workspace measured' : 'the other workspace'}: ${events.toLocaleString('en')} events in ${secs(t).toFixed(1)} s`);
      }
      let t = performance.now();
      for (const table of ['contacts', 'conversations', 'conversation_events']) await q(`VACUUM ANALYZE ${table}`);
      const vacuumSecs = secs(t);
      const seedSecs = secs(seedStart);
      const maintenanceWorkMem = ((await q('SHOW maintenance_work_mem')).rows[0] as { maintenance_work_mem: string }).maintenance_work_mem;
      log(`seeded in ${seedSecs.toFixed(1)} s; CREATE INDEX conversation_events_search (maintenance_work_mem ${maintenanceWorkMem}) …`);
      t = performance.now();
      await q(indexDef);
      const indexSecs = secs(t);
      t = performance.now();
      await q('ANALYZE conversation_events'); // the index's expression gets its statistics
      const analyzeSecs = secs(t);
      const sizes = (await q(`SELECT relname, pg_size_pretty(pg_relation_size(oid)) AS size FROM pg_class WHERE relname IN ('conversation_events', 'conversation_events_search', 'conversation_events_timeline', 'conversation_events_pkey') ORDER BY relname`)).rows as { relname: string; size: string }[];
      log(`CREATE INDEX: ${indexSecs.toFixed(1)} s; ${sizes.map((s) => `${s.relname} ${s.size}`).join(', ')}`);
      return [
        `Data: the workspace measured ${EVENTS.toLocaleString('en')} timeline events with a body over ${perConversation(EVENTS).toLocaleString('en')} conversations; another workspace ${NOISE.toLocaleString('en')} over ${perConversation(NOISE).toLocaleString('en')} (its matches the query must leave out). Seeded in ${seedSecs.toFixed(0)} s (VACUUM ANALYZE ${vacuumSecs.toFixed(0)} s).`,
        `**CREATE INDEX conversation_events_search** on ${(EVENTS + NOISE).toLocaleString('en')} rows: **${indexSecs.toFixed(1)} s** (maintenance_work_mem ${maintenanceWorkMem}, one process: GIN builds are not parallel before PostgreSQL 18), then ANALYZE ${analyzeSecs.toFixed(1)} s. Sizes: ${sizes.map((s) => `${s.relname} ${s.size}`).join(', ')}.`,
      ];
    } finally {
      client.release();
    }
  }

  const pool = new pg.Pool({ connectionString: database.url, max: CONNECTIONS * 2 });
  onCleanup(() => pool.end());
  /** --reuse: the workspace seeded earlier, with a new service account. */
  const existing = async (name: string) => {
    const { id } = (await pool.query('SELECT id FROM workspaces WHERE name = $1', [name])).rows[0] as { id: string };
    return { id, account: await api('POST', `/admin/v1/workspaces/${id}/service-accounts`, { name: `search-bench-${process.pid}` }), channels: [] as string[] };
  };
  const A = flags.reuse ? await existing('search-bench') : await workspace('search-bench', ['+966920000101', '+966920000102']);
  const tokenRes = await fetch(`${url}/connect/token`, {
    method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', client_id: A.account.clientId!, client_secret: A.account.clientSecret!, scope: 'VoxaAPI' }),
  });
  const bearer = ((await tokenRes.json()) as { access_token: string }).access_token;

  const q = (text: string, values: unknown[] = []) => pool.query(text, values);
  const perConversation = (n: number) => Math.max(1, Math.round(n / PER_CONVERSATION));
  const seedLines = flags.reuse ? [`Data: the database ${flags.reuse}, seeded by an earlier run (--reuse).`] : await seed(A);
  // A fragment of a stored order number: 5 middle digits of the 1,000th one (the same at a given --events).
  const sampleOrder = (await q(`SELECT substring(body FROM '[0-9]{8}') AS n FROM conversation_events WHERE workspace_id = $1 AND body ~ '[0-9]{8}' ORDER BY creation_time, id OFFSET 1000 LIMIT 1`, [A.id])).rows[0] as { n: string } | undefined;
  QUERIES.order!.q = sampleOrder ? sampleOrder.n.slice(2, 7) : '12345';

  // The statements the inbox service sends for a search, recorded from the app's own container.
  let recorded: Statement[] | null = null;
  const recording = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), log: (e) => void (e.level === 'query' && recorded?.push({ sql: e.query.sql, parameters: e.query.parameters })) });
  const container = createContainer({ config: loadConfig(appEnv({ databaseUrl: database.url })), db: recording, clock: systemClock, engine: 'postgres' });
  const principal = { kind: 'service-account' as const, workspaceId: A.id, serviceAccountId: '', clientId: A.account.clientId!, scopes: [] };
  const statementsOf = async (text: string) => {
    await container.inbox.search(principal, { q: text, limit: 10 }); // the contacts' context, cached by the server too
    recorded = [];
    await container.inbox.search(principal, { q: text, limit: 10 });
    const sent = recorded;
    recorded = null;
    const messages = sent.find((s) => s.sql.includes('search_fold(e.body)'));
    if (!messages) throw new Error(`"${text}": no messages statement among ${sent.length}`);
    return { messages, contacts: sent.filter((s) => s !== messages) };
  };

  const o = { duration: Number(flags.duration), rounds: Number(flags.rounds), warmup: Number(flags.warmup) };
  const headers = { authorization: `Bearer ${bearer}` };
  const rows: string[] = [];
  const explains: string[] = [];
  let contactsShown = false;
  for (const key of flags.queries!.split(',').filter(Boolean)) {
    const query = QUERIES[key];
    if (!query) throw new Error(`--queries: no query ${key} (${Object.keys(QUERIES).join(', ')})`);
    const path = `/v1/inbox/search?q=${encodeURIComponent(query.q)}&limit=10`;
    const st = await statementsOf(query.q);
    // Matches in each workspace, and how many of the measured workspace's are not the query as typed (folding found them).
    const count = (await pool.query({
      text: `SELECT count(*) FILTER (WHERE workspace_id = $2)::int AS a, count(*) FILTER (WHERE workspace_id <> $2)::int AS b,
                    count(*) FILTER (WHERE workspace_id = $2 AND strpos(lower(body), lower($3)) = 0)::int AS folded
             FROM conversation_events e WHERE ${st.messages.sql.slice(st.messages.sql.indexOf('e.body IS NOT NULL'), st.messages.sql.indexOf('AND e.workspace_id'))}`,
      values: [st.messages.parameters[0], A.id, query.q],
    })).rows[0] as { a: number; b: number; folded: number };
    const appAnswer = (await (await fetch(`${url}${path}`, { headers })).json()) as { contacts: unknown[]; messages: { eventId: string }[] };
    const sqlRows = (await runOn(pool, st.messages)).rows as { id: string }[];
    const same = appAnswer.messages.map((m) => m.eventId).join() === sqlRows.map((r) => r.id).join();
    const load0 = loadavg()[0]!;
    const once = () => Promise.all([(async () => { for (const s of st.contacts) await runOn(pool, s); })(), runOn(pool, st.messages)]);
    const r = await alternate(o, (seconds) => httpRun(pool, url, seconds, { method: 'GET', path, headers }), (seconds) => loop(once, seconds, CONNECTIONS));
    const sqlN = Math.round(r.sql.rps * o.duration);
    const row = `| ${query.label} | \`${query.q}\` | ${count.a.toLocaleString('en')} (${count.folded.toLocaleString('en')} folded) | ${count.b.toLocaleString('en')} | ${appAnswer.messages.length}${same ? '' : ' ✗ differs'} / ${appAnswer.contacts.length} | ${r.app.n} / ${sqlN} | ${ms(r.app.p50)} | **${ms(r.app.p95)}** | ${ms(r.app.p99)} | ${ms(r.sql.p50)} | **${ms(r.sql.p95)}** | ${ms(r.sql.p99)} | ${(r.app.p95 / r.sql.p95).toFixed(2)}× | ${load0.toFixed(1)}→${loadavg()[0]!.toFixed(1)} |${r.app.bad ? ` ${r.app.bad} errors` : ''}`;
    rows.push(row);
    log(row);
    const plan = await explainAnalyze(pool, st.messages);
    if (!contactsShown) {
      explains.push(`The contacts search's statements replayed (in turn, beside the messages statement), for \`${query.q}\`:\n${st.contacts.map((s) => `- \`${oneLine(s).slice(0, 400)}\``).join('\n')}\n`);
      contactsShown = true;
    }
    explains.push(`### ${query.label}: \`${query.q}\`\n\`\`\`\n${plan}\n\`\`\`\n`);
  }
  explains.unshift(`The messages statement (parameters: workspace, query, limit):\n\`\`\`sql\n${oneLine((await statementsOf('order')).messages)}\n\`\`\`\n`);

  process.stdout.write(
    [
      `## Inbox message search, PostgreSQL — ${startedAt.toISOString()}`,
      machineLine(began, `autocannon ${CONNECTIONS} connections on \`GET /v1/inbox/search?q=…&limit=10\` and ${CONNECTIONS} SQL loops on a pool (the contacts search's statements in turn, beside the messages statement, as the service sends them), ${o.duration} s each in ${o.rounds} alternating rounds after ${o.warmup} s warm-up`),
      `Command: \`node --import tsx bench/inbox/search.bench.ts ${process.argv.slice(2).join(' ')}\`.`,
      ...seedLines,
      '',
      '| query | q | matches, workspace (folded: not as typed) | matches, other workspace | answered messages / contacts | requests app / SQL | app p50 ms | app p95 ms | app p99 ms | SQL p50 | SQL p95 | SQL p99 | app/SQL p95 | load 1 min |',
      '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
      ...rows,
      '',
      ...explains,
    ].join('\n') + '\n',
  );
} finally {
  await cleanup();
}
