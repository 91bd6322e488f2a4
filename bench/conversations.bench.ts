import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, sql, type RawBuilder } from 'kysely';
import type { Static } from 'typebox';
import { createContainer } from '../src/container.js';
import type { Database } from '../src/db/types.js';
import { EXACT_COUNT_UP_TO } from '../src/features/conversations/conversations.repo.js';
import { CONVERSATION_SORT_FIELDS, TIMELINE_SORT_FIELDS, type ListConversationsQuery } from '../src/features/conversations/conversations.schemas.js';
import { pageRequest } from '../src/http/paging.js';
import { systemClock } from '../src/lib/clock.js';
import { alternate, bareServer, cpuMeter, cpuRow, cpuTable, explainAnalyze, httpLatencies, loop, machineLine, ms, oneLine, openBenchApp, runOn, serveCommands, startServer, storeEnv, type Loop, type Statement } from './compare-lib.js';
import { DEFAULT_DATA_DIR, DEFAULT_PG, WORKSPACE_NAME } from './conversations-lib.js';
import { log, storeFlags, storeOptions } from './lib.js';

/**
 * Conversation lists and a long timeline at scale (issue 8) on a store made by
 * conversations-generate.ts. The real server runs in a child process (this file with --serve);
 * for each filter the driver sends GET /v2/conversations/service-account/channels/{id}?… with
 * autocannon at concurrency 8, alternating with bare Fastify in the child sending the app's answer
 * after the same statements (the HTTP floor, compare-lib `bareServer`) and with the statements
 * the app sends for it, sent straight to the server's pool by the child at the same concurrency.
 * Those statements are the app's own: the child runs the conversations service once on a Kysely that records what it sends
 * (the page and the planner's estimate at once; then, when the page is full and the estimate is
 * under 10,000, the bounded count; the channel check only when the page is empty) and replays
 * them in that shape. Then the same for the timeline
 * of the longest conversation at several SkipCounts; EXPLAIN (ANALYZE, BUFFERS) of each page and
 * count. Markdown on stdout.
 */
const { values: flags } = parseArgs({
  options: {
    serve: { type: 'boolean' },
    ...storeFlags(DEFAULT_PG, DEFAULT_DATA_DIR),
    duration: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '8' },
    queries: { type: 'string', default: 'a,b,c,d,e,name,phone' },
    skips: { type: 'string', default: '0,2500,5000,9990' },
    help: { type: 'boolean' },
  },
});
if (flags.help) {
  process.stdout.write(`npm run bench:conversations -- [--store=postgres|pglite] [--pg=${DEFAULT_PG}] [--data-dir=${DEFAULT_DATA_DIR}]
  [--duration=10] [--rounds=2] [--warmup=2] [--connections=8] [--queries=a,b,c,d,e,name,phone] [--skips=0,2500,5000,9990]
  --queries: the filters measured (every filter is checked against the SQL and EXPLAINed); --skips: the timeline pages measured ('' for none).
  First: node --import tsx bench/conversations-generate.ts --store=… (see its header).\n`);
  process.exit(0);
}

type Query = Partial<Static<typeof ListConversationsQuery>>;
interface Filter { label: string; why: string; query: Query }
/** The list statements of one request, as the service sent them: before the page, the page and the count (at once), the estimate past the cap. */
interface ListStatements { pre: Statement[]; page: Statement; estimate: Statement; count: Statement | null; channel: Statement | null }

/**
 * The five most common combinations (README.md says why), two cheap extras, and one of every
 * other filter (checked and EXPLAINed, not loaded by default).
 */
function filters(ids: { person: string; tag: string; contacts: string[]; from: string; to: string }): Record<string, Filter> {
  return {
    a: { label: '(a) open, LastActivityAt DESC (the inbox)', why: 'what an inbox opens on; every other view starts from it', query: { Status: 1 } },
    b: { label: '(b) open + AssigneeUserIds = one person', why: '"my conversations": each agent\'s default view', query: { Status: 1, AssigneeUserIds: ids.person } },
    c: { label: '(c) open + GetUnAssigned', why: 'the queue a supervisor or a free agent picks from', query: { Status: 1, GetUnAssigned: true } },
    d: { label: '(d) TagIds = one tag', why: 'a tag view (VIP, Complaint) across open and closed', query: { TagIds: ids.tag } },
    e: { label: '(e) open + IsLost', why: 'customers waiting on an answer: the SLA view', query: { Status: 1, IsLost: true } },
    name: { label: 'Name contains "محمد"', why: 'search by name', query: { Name: 'محمد' } },
    phone: { label: 'PhoneNumber contains 1234567', why: 'search by the digits a customer gives', query: { PhoneNumber: '1234567' } },
    contacts: { label: 'ContactIds = 3 contacts', why: "a contact's conversations", query: { ContactIds: ids.contacts.join(',') } },
    dates: { label: 'FromDate / ToDate = the last 7 days', why: 'a report window', query: { FromDate: ids.from, ToDate: ids.to } },
    closed: { label: 'closed, CreationTime ASC', why: 'the archive, oldest first', query: { Status: 2, Sorting: 'CreationTime ASC' } },
    notLost: { label: 'open + IsLost = false', why: 'the complement of (e)', query: { Status: 1, IsLost: false } },
  };
}
const asQueryString = (q: Record<string, unknown>) => new URLSearchParams(Object.entries(q).map(([k, v]): [string, string] => [k, String(v)])).toString();
const PAGE = { SkipCount: 0, MaxResultCount: 10 };

// --- the server side (child process) ---------------------------------------------------------

async function serve() {
  const bench = await openBenchApp(WORKSPACE_NAME, 'bench/conversations-generate.ts');
  const { store, workspaceId } = bench;
  const one = async <T>(statement: RawBuilder<T>) => (await statement.execute(store.db)).rows[0]!;
  // The busiest channel, its busiest person and tag, the longest timeline.
  const { channel, conversations } = await one(sql<{ channel: string; conversations: number }>`
    SELECT channel_id AS channel, count(*)::int AS conversations FROM conversations WHERE workspace_id = ${workspaceId} GROUP BY 1 ORDER BY 2 DESC LIMIT 1`);
  const { person } = await one(sql<{ person: string }>`
    SELECT assignee_id AS person FROM conversations WHERE channel_id = ${channel} AND assignee_id IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
  const { tag } = await one(sql<{ tag: string }>`
    SELECT t.tag_id AS tag FROM conversation_tags t JOIN conversations c ON c.id = t.conversation_id WHERE c.channel_id = ${channel} GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`);
  const { long, events } = await one(sql<{ long: string; events: number }>`
    SELECT id AS long, events_count AS events FROM conversations WHERE workspace_id = ${workspaceId} ORDER BY events_count DESC LIMIT 1`);
  const contacts = (await sql<{ id: string }>`SELECT contact_id AS id FROM conversations WHERE channel_id = ${channel} ORDER BY last_activity_at DESC OFFSET 100 LIMIT 3`.execute(store.db)).rows.map((r) => r.id);
  const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
  const all = filters({ person, tag, contacts, from: day(-7), to: day(0) });

  // The app's services on a Kysely that records every statement, over the same pool.
  let recorded: Statement[] | null = null;
  const recording = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: store.pool }),
    log: (e) => void (e.level === 'query' && recorded?.push({ sql: e.query.sql, parameters: e.query.parameters })),
  });
  const services = createContainer({ config: bench.config, db: recording, clock: systemClock }).conversations;
  const record = async (fn: () => Promise<unknown>) => {
    recorded = [];
    await fn();
    const done = recorded;
    recorded = null;
    return done;
  };
  const listStatements: Record<string, ListStatements> = {};
  for (const [key, f] of Object.entries(all)) {
    const query = { ...PAGE, ...f.query } as Static<typeof ListConversationsQuery>;
    const sent = await record(() => services.list(workspaceId, channel, query, pageRequest(query, CONVERSATION_SORT_FIELDS, 'LastActivityAt DESC')));
    // Classified by what they are (Kysely logs a statement when it ends, so concurrent ones in any order).
    const page = sent.find((s) => s.sql.includes('json_agg'));
    const estimate = sent.find((s) => /^\s*EXPLAIN/.test(s.sql));
    const channelCheck = sent.find((s) => /from "channels"/.test(s.sql)) ?? null;
    const count = sent.find((s) => /^\s*SELECT count\(\*\)::int AS n FROM \(SELECT 1 FROM conversations/.test(s.sql)) ?? null;
    if (!page || !estimate) throw new Error(`${key}: no page or estimate among ${sent.length} statements`);
    const pre = sent.filter((s) => ![page, estimate, channelCheck, count].includes(s));
    listStatements[key] = { pre, page, estimate, count, channel: channelCheck };
  }
  const timelineStatements: Record<string, Statement[]> = {};
  /** The timeline page's statements, recorded the first time the page is asked for. */
  const timelineOf = async (skip: string) => {
    const query = { SkipCount: Number(skip), MaxResultCount: 10 };
    return (timelineStatements[skip] ??= await record(() => services.timeline(workspaceId, long, pageRequest(query, TIMELINE_SORT_FIELDS, 'CreationTime DESC'))));
  };

  const run = (s: Statement) => runOn(store.pool, s);
  /** What the service sends for one list request, in the same shape; its answer's total and ids. */
  async function list(key: string) {
    const st = listStatements[key]!;
    for (const s of st.pre) await run(s);
    const [page, estimate] = await Promise.all([run(st.page), run(st.estimate)]);
    const planned = Math.round(estimate.rows[0]['QUERY PLAN'][0].Plan['Plan Rows']);
    const seen = PAGE.SkipCount + page.rows.length;
    const atLeast = page.rows.length === PAGE.MaxResultCount ? seen + 1 : seen;
    let total = page.rows.length < PAGE.MaxResultCount ? seen : Math.max(planned, atLeast);
    if (st.count) {
      const n = Number((await run(st.count)).rows[0].n);
      total = n <= EXACT_COUNT_UP_TO ? n : Math.max(planned, n, atLeast);
    }
    if (st.channel) await run(st.channel);
    return { totalCount: total, ids: page.rows.map((r: { id: string }) => r.id) };
  }
  /** What the service sends for one timeline page (the conversation, then the page's events). */
  async function timeline(skip: string) {
    let rows: { id: string }[] = [];
    for (const s of await timelineOf(skip)) rows = (await run(s)).rows;
    return { ids: rows.map((r) => r.id) };
  }

  /** The statements of one request: a timeline page or a list filter. */
  const statementsOf = (kind: unknown, target: string) => (kind === 'timeline' ? timeline(target) : list(target));
  const bare = bareServer();
  await serveCommands(bench, { channel, conversations, long, events, filters: all, listStatements }, async (c) => {
    const target = String(c.target);
    if (c.op === 'bare') return bare.answer(`${String(c.kind)}:${target}`, c.answer as string, () => statementsOf(c.kind, target));
    const once = () => statementsOf(c.kind, target);
    if (c.op === 'loop') return loop(once, c.seconds as number, c.concurrency as number);
    if (c.op === 'check') return once();
    if (c.op === 'explain') {
      if (c.kind === 'timeline') {
        const statements = await timelineOf(target);
        return { page: await explainAnalyze(store.pool, statements.at(-1)!), statements };
      }
      const st = listStatements[target]!;
      return { page: await explainAnalyze(store.pool, st.page), count: st.count ? await explainAnalyze(store.pool, st.count) : undefined };
    }
    throw new Error(`unknown op ${c.op}`);
  });
}

// --- the driver -----------------------------------------------------------------------------

interface Info {
  engine: string; appPort: number; clientId: string; clientSecret: string; channel: string; conversations: number; long: string; events: number;
  filters: Record<string, Filter>; listStatements: Record<string, ListStatements>;
}

async function drive() {
  const options = storeOptions(flags.store!, flags.pg!, flags['data-dir']!);
  const connections = Number(flags.connections);
  const o = { duration: Number(flags.duration), rounds: Number(flags.rounds), warmup: Number(flags.warmup) };
  const measured = new Set(flags.queries!.split(',').filter(Boolean));
  const skips = flags.skips ? flags.skips.split(',') : [];
  const began = loadavg();
  log(`${flags.store}: starting the server (--serve) …`);
  const { child, info, ask, url, bearer, close } = await startServer<Info>('bench/conversations.bench.ts', storeEnv(options));
  const meter = cpuMeter(child.pid!);
  const cpuRows: string[] = [];
  try {
    const headers = { authorization: `Bearer ${bearer}` };
    const get = async (path: string) => {
      const res = await fetch(`${url}${path}`, { headers });
      const text = await res.text();
      if (!res.ok) throw new Error(`GET ${path}: ${res.status} ${text}`);
      return { text, answer: JSON.parse(text) as { totalCount: number; items: { id?: string; eventId?: string }[] } };
    };
    /** The app's answer beside the SQL's (same total, same page), then both under load and the plans. */
    async function measure(kind: 'list' | 'timeline', target: string, path: string, load: boolean) {
      const load0 = loadavg()[0]!;
      const { text, answer: appAnswer } = await get(path);
      const sqlAnswer = await ask<{ totalCount?: number; ids: string[] }>({ op: 'check', kind, target });
      const appIds = appAnswer.items.map((i) => i.id ?? i.eventId);
      const same = (kind === 'timeline' || appAnswer.totalCount === sqlAnswer.totalCount) && appIds.join() === sqlAnswer.ids.join();
      if (!same) log(`  ${target}: app and SQL differ! app ${appAnswer.totalCount} [${appIds.join()}] / SQL ${sqlAnswer.totalCount} [${sqlAnswer.ids.join()}]`);
      const bare = load ? await ask<{ port: number; path: string }>({ op: 'bare', kind, target, answer: text }) : null;
      const result = bare
        ? await alternate(
            o,
            (seconds) => httpLatencies(url, connections, seconds, { method: 'GET', path, headers }),
            (seconds) => ask<Loop>({ op: 'loop', kind, target, seconds, concurrency: connections }),
            (seconds) => httpLatencies(`http://127.0.0.1:${bare.port}`, connections, seconds, { method: 'GET', path: bare.path, headers }),
            meter,
          )
        : null;
      const plan = await ask<{ page: string; count?: string; statements?: Statement[] }>({ op: 'explain', kind, target });
      return { appAnswer, same, result, plan, load: `${load0.toFixed(1)}→${loadavg()[0]!.toFixed(1)}` };
    }
    const cells = (r: NonNullable<Awaited<ReturnType<typeof measure>>['result']>, target: number) => {
      const ratio = r.app.p95 / r.sql.p95;
      return `${Math.round(r.app.rps)} | ${ms(r.app.p50)} | **${ms(r.app.p95)}**${r.app.p95 <= target ? ' ✓' : ' ✗'} | ${ms(r.app.p99)} | ${Math.round(r.sql.rps)} | ${ms(r.sql.p50)} | **${ms(r.sql.p95)}** | ${ms(r.sql.p99)} | ${ratio.toFixed(2)}×${ratio <= 1.5 ? ' ✓' : ' ✗'} | ${ms(r.bare!.p95)} | ${(r.bare!.p95 / r.sql.p95).toFixed(2)}× | ${(r.app.p95 / r.bare!.p95).toFixed(2)}×`;
    };

    const rows: string[] = [];
    const explains: string[] = [];
    const base = `/v2/conversations/service-account/channels/${info.channel}`;
    for (const [key, f] of Object.entries(info.filters)) {
      const path = `${base}?${asQueryString({ ...f.query, ...PAGE })}`;
      const m = await measure('list', key, path, measured.has(key));
      const total = `${m.appAnswer.totalCount.toLocaleString('en')}${m.same ? '' : ' ✗ differs'}`;
      if (m.result) {
        rows.push(`| ${f.label} | ${total} | ${cells(m.result, 30)} | ${m.load} |${m.result.app.bad ? ` ${m.result.app.bad} errors` : ''}`);
        cpuRows.push(cpuRow(f.label, m.result.cpu));
        log(rows.at(-1)!);
      } else log(`  ${key}: ${total} (checked and explained, not loaded)`);
      const st = info.listStatements[key]!;
      explains.push(
        `### ${f.label}\n${f.why}. \`GET …${path.slice(base.length)}\` → totalCount ${total}\n\n` +
          `${st.pre.length ? `Before them: ${st.pre.map((s) => `\`${oneLine(s)}\``).join('; ')}. ` : ''}At once — the planner's estimate \`${oneLine(st.estimate)}\` and the page (parameters \`${JSON.stringify(st.page.parameters)}\`):\n\`\`\`sql\n${oneLine(st.page)}\n\`\`\`\n\`\`\`\n${m.plan.page}\n\`\`\`\n` +
          (st.count
            ? `The estimate was under ${EXACT_COUNT_UP_TO}, so the service counts, bounded at ${EXACT_COUNT_UP_TO} + 1:\n\`\`\`sql\n${oneLine(st.count)}\n\`\`\`\n\`\`\`\n${m.plan.count}\n\`\`\`\n`
            : `The estimate was ${EXACT_COUNT_UP_TO} or more: no count.\n`),
      );
    }
    const timelineRows: string[] = [];
    for (const skip of skips) {
      const path = `/v2/conversations/service-account/${info.long}/timeline?SkipCount=${skip}&MaxResultCount=10`;
      const m = await measure('timeline', skip, path, true);
      timelineRows.push(`| ${Number(skip).toLocaleString('en')} | ${m.appAnswer.items.length}${m.same ? '' : ' ✗ differs'} | ${cells(m.result!, 30)} | ${m.load} |`);
      cpuRows.push(cpuRow(`timeline SkipCount ${skip}`, m.result!.cpu));
      log(timelineRows.at(-1)!);
      const st = m.plan.statements!;
      explains.push(`### Timeline, SkipCount ${skip}\nBefore it: ${st.slice(0, -1).map((s) => `\`${oneLine(s)}\``).join('; ')}. The page (parameters \`${JSON.stringify(st.at(-1)!.parameters)}\`):\n\`\`\`sql\n${oneLine(st.at(-1)!)}\n\`\`\`\n\`\`\`\n${m.plan.page}\n\`\`\`\n`);
    }

    const head = '| app req/s | app p50 ms | app p95 ms | app p99 ms | SQL req/s | SQL p50 | SQL p95 | SQL p99 | app/SQL p95 | bare p95 | bare/SQL | app/bare | load 1 min |';
    const rule = '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|';
    process.stdout.write(
      [
        `## ${info.engine}, ${info.conversations.toLocaleString('en')} conversations on the channel measured; timeline of ${info.events.toLocaleString('en')} events — ${new Date().toISOString()}`,
        machineLine(began, `autocannon ${connections} connections (app, then bare: bare Fastify sending the app's answer after the same statements) and SQL loops of ${connections} on the server's pool, ${o.duration} s each in ${o.rounds} alternating rounds after ${o.warmup} s warm-up; SQL = every statement the service sends for the request`),
        '',
        `| filter | totalCount ${head}`,
        `|---|---:${rule}`,
        ...rows,
        '',
        `| timeline SkipCount (MaxResultCount 10, CreationTime DESC) | items ${head}`,
        `|---:|---:${rule}`,
        ...timelineRows,
        '',
        ...cpuTable('request', cpuRows),
        ...explains,
      ].join('\n') + '\n',
    );
  } finally {
    await close();
  }
}

if (flags.serve) await serve();
else await drive();
