import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { cleanup, freshStore, log, startTarget, token, type StoreName } from './lib.js';

/**
 * vCard import and export through the real server (bench/target.ts in a child process):
 *   node --import tsx bench/contacts-transfer.bench.ts [--store=postgres|pglite] [--cards=100000]
 * Makes `cards` WhatsApp-style vCards 3.0 (Arabic and Latin names, Saudi mobiles, an email on
 * half), POSTs them as one streamed `text/vcard` body, then imports the same file again (creates
 * nothing), then exports everything as CSV and as vCard, reading the answer as a stream. Beside
 * each: the server's peak RSS (VmHWM) before and after, so "memory stays flat" is a number.
 * The baseline is the file itself: parsing it in this process (the same reader, no store).
 */
const { values } = parseArgs({
  options: { store: { type: 'string', default: 'postgres' }, cards: { type: 'string', default: '100000' }, pg: { type: 'string', default: 'postgres://postgres@127.0.0.1:5432' } },
});
const store = values.store as StoreName;
const CARDS = Number(values.cards);

const FIRST = ['محمد', 'أحمد', 'سارة', 'نورة', 'عبدالله', 'فاطمة', 'Omar', 'Lina', 'John', 'Maria', 'خالد', 'ريم'];
const LAST = ['العتيبي', 'القحطاني', 'الشهري', 'Smith', 'Haddad', 'الدوسري', 'Garcia', 'الزهراني'];
function cards(n: number): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const name = `${FIRST[i % FIRST.length]} ${LAST[(i * 7) % LAST.length]} ${i}`;
    const digits = `9665${String(10_000_000 + i).padStart(8, '0')}`;
    const email = i % 2 ? `EMAIL;type=INTERNET:user${i}@example.com\r\n` : '';
    parts.push(`BEGIN:VCARD\r\nVERSION:3.0\r\nN:;${name};;;\r\nFN:${name}\r\n${email}TEL;type=CELL;type=VOICE;waid=${digits}:+${digits}\r\nEND:VCARD\r\n`);
  }
  return parts.join('');
}

const rss = async (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
/** The server's RSS sampled every 100 ms while `fn` runs: [before, highest seen]. */
async function sampled<T>(pid: number, fn: () => Promise<T>): Promise<[T, number, number]> {
  const before = await rss(pid);
  let peak = before;
  const timer = setInterval(() => void rss(pid).then((m) => (peak = Math.max(peak, m)), () => {}), 100);
  try {
    const result = await fn();
    return [result, before, Math.max(peak, await rss(pid))];
  } finally {
    clearInterval(timer);
  }
}

try {
  const file = cards(CARDS);
  const { VCardStream } = await import('../src/features/contacts/vcard.js');
  const parseStart = performance.now();
  const reader = new VCardStream();
  let parsed = 0;
  for (let i = 0; i < file.length; i += 64 * 1024) parsed += reader.push(file.slice(i, i + 64 * 1024)).length;
  parsed += reader.end().length;
  const parseMs = performance.now() - parseStart;

  log(`${store}: starting bench/target.ts …`);
  const target = await startTarget(await freshStore(store, values.pg));
  const pid = target.child.pid!;
  const bearer = await token(target.info);
  const base = `http://127.0.0.1:${target.info.appPort}`;
  const rows: string[] = [];
  const row = (what: string, ms: number, extra: string) => rows.push(`| ${store} | ${what} | ${(ms / 1000).toFixed(2)} | ${extra} |`);
  rows.push(`| ${store} | baseline: parse the ${(file.length / 1e6).toFixed(1)} MB file in this process (no store) | ${(parseMs / 1000).toFixed(2)} | ${parsed} cards |`);

  for (const round of ['first import', 'the same file again']) {
    const started = performance.now();
    const [[res, result], before, peak] = await sampled(pid, async () => {
      const r = await fetch(`${base}/v1/contacts/import/vcards`, { method: 'POST', headers: { authorization: `Bearer ${bearer}`, 'content-type': 'text/vcard' }, body: Buffer.from(file) });
      return [r, (await r.json()) as { created: number; updated: number; skipped: number; errors: unknown[] }] as const;
    });
    const ms = performance.now() - started;
    if (!res.ok) throw new Error(`import: ${res.status} ${JSON.stringify(result)}`);
    row(`import ${CARDS.toLocaleString('en')} vCards (${round})`, ms, `created ${result.created}, updated ${result.updated}, skipped ${result.skipped}, errors ${result.errors.length}; ${Math.round(CARDS / (ms / 1000))} cards/s; server RSS ${before.toFixed(0)} → at most ${peak.toFixed(0)} MB`);
  }

  for (const format of ['csv', 'vcf']) {
    const started = performance.now();
    const [bytes, before, peak] = await sampled(pid, async () => {
      const res = await fetch(`${base}/v1/contacts/export?format=${format}`, { headers: { authorization: `Bearer ${bearer}` } });
      let n = 0;
      for await (const chunk of res.body!) n += (chunk as Uint8Array).length;
      return n;
    });
    const ms = performance.now() - started;
    row(`export all as ${format}`, ms, `${(bytes / 1e6).toFixed(1)} MB; server RSS ${before.toFixed(0)} → at most ${peak.toFixed(0)} MB`);
  }

  console.log(`Contacts import/export — ${new Date().toISOString()}, node ${process.version}`);
  console.log('| store | what | seconds | notes |\n|---|---|---:|---|');
  for (const r of rows) console.log(r);
} finally {
  await cleanup();
}
