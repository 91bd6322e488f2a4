import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { MAX_CARD_CHARS, parseVCards, VCardStream, type CardError, type ParsedCard } from './vcard.js';

const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/vcards/${name}`, import.meta.url), 'utf8');
const card = (c: Partial<ParsedCard>): ParsedCard => ({ name: null, phones: [], email: null, company: null, position: null, note: null, ...c });
const only = (text: string) => {
  const { cards, errors } = parseVCards(text);
  assert.deepEqual(errors, []);
  assert.equal(cards.length, 1);
  return cards[0]!.card;
};
/** CPU time (ms) of this process since `since`: wall time swings with whatever else the machine runs. */
const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};
const wrap = (...lines: string[]) => ['BEGIN:VCARD', 'VERSION:3.0', ...lines, 'END:VCARD'].join('\r\n');

/** Feeds text in chunks of random sizes (1 included) and collects what parseVCards would return. */
function streamed(text: string, seed: number, max = 40) {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) % max) + 1;
  const stream = new VCardStream();
  const results = [];
  for (let i = 0; i < text.length; ) {
    const n = rnd();
    results.push(...stream.push(text.slice(i, i + n)));
    i += n;
  }
  results.push(...stream.end());
  const cards: { index: number; card: ParsedCard }[] = [];
  const errors: CardError[] = [];
  for (const r of results) {
    if (r.card) cards.push({ index: r.index, card: r.card });
    else errors.push(r.error!);
  }
  return { cards, errors };
}

test('vCard 2.1 (Android): QUOTED-PRINTABLE UTF-8 Arabic with soft breaks inside characters, CHARSET, bare params, PHOTO, 2.1 folding', () => {
  const { cards, errors } = parseVCards(fixture('v21-android.vcf'));
  assert.deepEqual(errors, []);
  assert.deepEqual(cards, [
    {
      index: 0,
      card: card({
        name: 'محمد عبدالله العتيبي',
        phones: ['050-123-4567', '011 234 5678'],
        email: 'mohammed@example.com',
        company: 'شركة الأفق للتجارة',
        position: 'مدير المبيعات',
        note: 'العميل يفضل التواصل مساءً\nالرقم الثاني للمكتب',
      }),
    },
    {
      index: 1,
      card: card({
        name: 'Dr. Jürgen Müller',
        phones: ['+49 30 1234568', '+49 30 1234567'],
        email: 'j.mueller@example.de',
        position: 'Geschäftsführer – Vertrieb €',
      }),
    },
    {
      // No FN: the name is assembled from N; a soft break in an ignored property still continues it.
      index: 2,
      card: card({
        name: 'Noura Saleh',
        phones: ['+966 55 400 0001', '+966 11 400 0000'],
        note: 'A note folded the 2.1 way, keeping the blank of the fold',
      }),
    },
  ]);
});

test('vCard 3.0 (Apple): item groups with X-ABLabel, type=pref, escapes, a large folded PHOTO', () => {
  const { cards, errors } = parseVCards(fixture('v30-apple.vcf'));
  assert.deepEqual(errors, []);
  assert.deepEqual(cards.map((c) => c.card), [
    card({
      name: 'Faisal Al-Harbi',
      // Mobile kinds first (CELL, the WhatsApp label, IPHONE), then the rest; item2 repeats the CELL number.
      phones: ['+966 50 123 4567', '+966 55 000 1111', '+966 54 777 8888', '+966 11 234 5678'],
      email: 'faisal@example.com',
      company: 'Acme Trading',
      position: 'Sales Manager',
      note: 'Met at the expo\nCall after 5, not before; ask for Faisal\\Sales',
    }),
    card({ name: 'شركة الندى', phones: ['920001234'], email: 'info@alnada.example', company: 'شركة الندى' }),
  ]);
});

test('vCard 3.0 (Google): quoted TYPE lists, escaped URL, a card with no name but a phone', () => {
  const { cards, errors } = parseVCards(fixture('v30-google.vcf'));
  assert.deepEqual(errors, []);
  assert.deepEqual(cards.map((c) => c.card), [
    card({ name: 'Sara Ali', phones: ['+966 50 999 8888', '+966112223333'], email: 'sara@example.com', company: 'Blue Sea Co.', position: 'Engineer' }),
    card({ phones: ['0555 123 456'] }),
    card({ name: 'عبدالرحمن القحطاني', phones: ['+966 53 111 2222'], note: 'سطر أول\nسطر ثانٍ' }),
  ]);
});

test('vCard 4.0: tel: URIs with VALUE=uri and ;ext, PREF=1, data: PHOTO, ORG as the name of an organisation', () => {
  const { cards, errors } = parseVCards(fixture('v40.vcf'));
  assert.deepEqual(errors, []);
  assert.deepEqual(cards.map((c) => c.card), [
    card({
      name: 'Dr. John Q. Public, Esq.',
      phones: ['+1-555-555-4444', '+1-555-555-5555', '+1 555 555 3333'],
      email: 'jane_doe@example.com',
      company: 'Example.com Inc.',
      position: 'Research Scientist',
      note: 'Line one\nLine two; with a semicolon, a comma and a \\ backslash',
    }),
    card({ name: 'مؤسسة النخبة', phones: ['+966-11-555-0000'], company: 'مؤسسة النخبة' }),
  ]);
});

test('WhatsApp share cards: the waid number comes first, X-WA-BIZ-NAME fills company and name', () => {
  const doc = 'BEGIN:VCARD\nVERSION:3.0\nN:;Name شركة Name;;;\nFN:Name شركة Name\nX-WA-BIZ-NAME:Name\nORG:;\nTEL;type=CELL;type=VOICE;waid=966545614020:+966 55 555 5555\nEND:VCARD';
  assert.deepEqual(only(doc), card({ name: 'Name شركة Name', phones: ['+966545614020'], company: 'Name' }));
  const { cards, errors } = parseVCards(fixture('whatsapp.vcf'));
  assert.deepEqual(errors, []);
  assert.deepEqual(cards.map((c) => c.card), [
    card({ name: 'Name شركة Name', phones: ['+966545614020'], company: 'Name' }),
    card({ name: 'ريم الزهراني', phones: ['+966501112233', '+966 12 600 0000'] }),
    card({ name: 'مطعم الديرة', phones: ['+966561234567'], company: 'مطعم الديرة' }),
  ]);
});

test('a file with broken cards: each is reported with its index and name, the others parsed, junk ignored', () => {
  const { cards, errors } = parseVCards(fixture('many-broken.vcf'));
  assert.deepEqual(cards.map((c) => [c.index, c.card.name, c.card.phones]), [
    [0, 'One', ['+966500000001']],
    [1, 'Two', ['+966500000002']],
    [5, 'Six (lower case)', ['+966500000006']],
  ]);
  assert.deepEqual(errors, [
    { index: 2, name: 'Three (no END)', reason: 'missing END:VCARD' },
    { index: 3, name: 'Four (no TEL)', reason: 'no phone number' },
    { index: 4, name: null, reason: 'no name and no phone' },
  ]);
  assert.deepEqual(parseVCards(wrap('FN:Last', 'TEL:1').replace(/END:VCARD$/, '')).errors, [{ index: 0, name: 'Last', reason: 'missing END:VCARD' }]);
  assert.deepEqual(parseVCards(''), { cards: [], errors: [] });
  assert.equal(only(`\uFEFF${wrap('FN:After a BOM', 'TEL:1')}`).name, 'After a BOM');
  assert.equal(only(`  ${wrap('FN:Indented', 'TEL:1').replace(/\r\nEND/, '\r\n  END')}`).name, 'Indented');
  assert.deepEqual(parseVCards('no cards here\nEND:VCARD\n'), { cards: [], errors: [] });
});

test('parameters in every style, group prefixes and property names in any case', () => {
  const c = only(
    wrap(
      'fn:Mixed Case',
      'Item1.Tel:+966 1',
      'item1.x-ablabel:_$!<Mobile>!$_',
      'TEL;TYPE=HOME:+966 2',
      'tel;type="work,cell":+966 3',
      'TEL;CELL:+966 4',
      'TEL;PREF=1;VALUE=uri:TEL:+966 5',
      'TEL;type=CELL;type=VOICE;waid=966500000006:+966 6',
      'TEL;waid=abc:+966 7',
      'TEL;X-QUOTED="a:b;c":+966 8',
      'TEL:',
      'Email;Type=Work:mailto:a@example.com',
      'EMAIL;TYPE=HOME;TYPE=PREF:b@example.com',
      'EMAIL;PREF=2:c@example.com',
    ),
  );
  assert.deepEqual(c.phones, ['+966500000006', '+966 1', '+966 3', '+966 4', '+966 5', '+966 2', '+966 7', '+966 8']);
  assert.equal(c.email, 'b@example.com');
  assert.equal(c.name, 'Mixed Case');
});

test('names fall back FN → N (given middle family) → X-WA-BIZ-NAME → ORG; ORG takes its first non-empty part', () => {
  assert.equal(only(wrap('FN: ', 'N:Family;Given;Middle;Dr.;', 'TEL:1')).name, 'Given Middle Family');
  assert.equal(only(wrap('N:;;;;', 'X-WA-BIZ-NAME:Biz', 'ORG:Org', 'TEL:1')).name, 'Biz');
  assert.equal(only(wrap('ORG:;Unit\\;One;', 'TEL:1')).name, 'Unit;One');
  assert.equal(only(wrap('ORG:;Unit', 'X-WA-BIZ-NAME:Biz', 'TEL:1')).company, 'Unit');
  assert.equal(only(wrap('FN:Line\\nbreak\u0000', 'TITLE:  CEO\t', 'TEL:1')).name, 'Line break');
  assert.equal(only(wrap('FN:a', 'TITLE:  CEO\t', 'TEL:1')).position, 'CEO');
});

test('encodings: QP with and without CHARSET, invalid UTF-8 read as windows-1252, base64 text, unknown charsets as UTF-8', () => {
  const q = (params: string, value: string) => only(wrap(`FN;${params}:${value}`, 'TEL:1')).name;
  assert.equal(q('ENCODING=QUOTED-PRINTABLE', '=D8=B3=D8=A7=D8=B1=D8=A9'), 'سارة');
  assert.equal(q('CHARSET=X-NONSENSE;ENCODING=QUOTED-PRINTABLE', '=D8=B3=D8=A7=D8=B1=D8=A9'), 'سارة');
  assert.equal(q('ENCODING=QUOTED-PRINTABLE', 'Ren=E9 =3D 1 = 2'), 'René = 1 = 2');
  assert.equal(q('CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE', 'caf=E9'), 'café');
  assert.equal(q('CHARSET=UTF-8;ENCODING=b', Buffer.from('ليلى').toString('base64')), 'ليلى');
  assert.equal(q('ENCODING=BASE64', Buffer.from('Laila').toString('base64')), 'Laila');
  assert.equal(q('QUOTED-PRINTABLE', '=4C=61=69=6C=61=zz'), 'Laila=zz');
});

test('folding: 3.0 drops one blank, 2.1 keeps it; QP soft breaks; a base64 PHOTO ending in = is no soft break', () => {
  assert.equal(only(wrap('FN:Abdul', ' rahman', '\tSalem', 'TEL:1')).name, 'AbdulrahmanSalem');
  assert.equal(only(['BEGIN:VCARD', 'VERSION:2.1', 'FN:Abdul', ' rahman', 'TEL:1', 'END:VCARD'].join('\n')).name, 'Abdul rahman');
  const c = only(wrap('PHOTO;ENCODING=b;TYPE=JPEG:AAAA', ' BBB=', 'TEL:+966 1', 'NOTE;ENCODING=QUOTED-PRINTABLE:a=', '=3Db=', ' c', 'FN:x'));
  assert.deepEqual([c.phones, c.note, c.name], [['+966 1'], 'a=b c', 'x']);
});

test('line endings: CRLF, LF and CR mixed in one file read the same as LF', () => {
  const lf = [fixture('v21-android.vcf'), fixture('v30-google.vcf'), fixture('whatsapp.vcf')].join('\n').replace(/\r\n/g, '\n');
  const lines = lf.split('\n');
  const endings = ['\r\n', '\n', '\r'];
  const mixed = lines.map((l, i) => l + endings[(i * 7) % 3]).join('');
  assert.ok(mixed.includes('\r\n') && /\r[^\n]/.test(mixed) && /[^\r]\n/.test(mixed));
  const expected = parseVCards(lf);
  assert.equal(expected.cards.length, 9);
  assert.deepEqual(parseVCards(mixed), expected);
});

test('streaming in random chunk sizes (splitting CRLF, QP escapes and characters) gives what parseVCards gives', () => {
  const names = ['v21-android.vcf', 'v30-apple.vcf', 'v30-google.vcf', 'v40.vcf', 'whatsapp.vcf', 'many-broken.vcf'];
  const all = names.map(fixture).join('\r\n');
  const mixed = all.replace(/\r\n/g, (_, at: number) => ['\r\n', '\n', '\r'][at % 3]!);
  for (const text of [all, mixed]) {
    const whole = parseVCards(text);
    assert.equal(whole.cards.length + whole.errors.length, 3 + 2 + 3 + 2 + 3 + 6);
    assert.deepEqual(streamed(text, 1, 1), whole);
    for (let seed = 2; seed < 40; seed++) assert.deepEqual(streamed(text, seed, seed % 2 ? 7 : 300), whole, `seed ${seed}`);
  }
});

test('the stream hands out each card as soon as its END:VCARD arrives', () => {
  const stream = new VCardStream();
  assert.deepEqual(stream.push('BEGIN:VCARD\r\nFN:A\r\nTEL:1\r'), []);
  assert.deepEqual(stream.push('\nEND:VCARD\r'), [{ index: 0, card: card({ name: 'A', phones: ['1'] }) }]);
  assert.deepEqual(stream.push('\nBEGIN:VCARD\nFN:B\n'), []);
  assert.deepEqual(stream.end(), [{ index: 1, error: { index: 1, name: 'B', reason: 'missing END:VCARD' } }]);
});

test('too large: a line over 10,000 characters, a card over 1 MB, an endless line; the next card still parses', () => {
  const next = wrap('FN:Next', 'TEL:2');
  const long = parseVCards(wrap('FN:Long', 'TEL:1', `NOTE:${'x'.repeat(10_001)}`) + '\n' + next);
  assert.deepEqual(long.errors, [{ index: 0, name: 'Long', reason: 'too large' }]);
  assert.deepEqual(long.cards.map((c) => c.card.name), ['Next']);
  const folded = parseVCards(wrap('FN:Folded', 'TEL:1', 'NOTE:a', ...Array(2_000).fill(' 123456')) + '\n' + next);
  assert.deepEqual(folded.errors, [{ index: 0, name: 'Folded', reason: 'too large' }]);
  assert.equal(only(wrap('FN:Fits', 'TEL:1', `NOTE:${'x'.repeat(9_995)}`)).note!.length, 9_995);
  const photo = Array(Math.ceil(MAX_CARD_CHARS / 75)).fill(` ${'A'.repeat(74)}`);
  const big = parseVCards(wrap('FN:Big', 'TEL:1', 'PHOTO;ENCODING=b:', ...photo) + '\n' + next);
  assert.deepEqual(big.errors, [{ index: 0, name: 'Big', reason: 'too large' }]);
  assert.equal(only(wrap('FN:Photo', 'TEL:1', 'PHOTO;ENCODING=b:', ...photo.slice(0, 10_000))).name, 'Photo');
  const endless = parseVCards(`BEGIN:VCARD\nFN:Endless\nTEL:1\nX-A:${'y'.repeat(3_000_000)}\nEND:VCARD\n${next}`);
  assert.deepEqual(endless.errors, [{ index: 0, name: 'Endless', reason: 'too large' }]);
  assert.equal(endless.cards.length, 1);
});

test('1,000,000 folded lines and a 50 MB line stream through fast, in flat memory', () => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const lines = (n: number) => Array.from({ length: n }, () => ' 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz').join('\r\n') + '\r\n';
  const block = lines(10_000);
  for (const property of ['NOTE:start', 'PHOTO;ENCODING=b:start', 'X-QP;ENCODING=QUOTED-PRINTABLE:a=']) {
    gc();
    const before = process.memoryUsage().heapUsed;
    const started = process.cpuUsage();
    const stream = new VCardStream();
    const results = [...stream.push(`BEGIN:VCARD\r\nFN:Huge\r\nTEL:1\r\n${property}\r\n`)];
    for (let i = 0; i < 100; i++) results.push(...stream.push(block));
    results.push(...stream.push('END:VCARD\r\n'), ...stream.push(wrap('FN:After', 'TEL:2')), ...stream.end());
    const ms = cpuMs(started);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    assert.deepEqual(results, [
      { index: 0, error: { index: 0, name: 'Huge', reason: 'too large' } },
      { index: 1, card: card({ name: 'After', phones: ['2'] }) },
    ]);
    assert.ok(ms < 3_000, `${property}: ${ms.toFixed(0)} ms`);
    assert.ok(grown < 16 * 2 ** 20, `${property}: heap grew ${(grown / 2 ** 20).toFixed(1)} MB`);
  }
  const stream = new VCardStream();
  stream.push('BEGIN:VCARD\nFN:Wide\nTEL:1\nNOTE:');
  const slab = 'z'.repeat(1_000_000);
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 0; i < 50; i++) stream.push(slab);
  gc();
  assert.ok(process.memoryUsage().heapUsed - before < 8 * 2 ** 20);
  assert.deepEqual(stream.push('\nEND:VCARD\n'), [{ index: 0, error: { index: 0, name: 'Wide', reason: 'too large' } }]);
});

test('100,000 simple cards parse in well under the budget', (t) => {
  const text = Array.from({ length: 100_000 }, (_, i) => `BEGIN:VCARD\r\nVERSION:3.0\r\nN:Family${i};Given;;;\r\nFN:Given Family${i}\r\nTEL;type=CELL:+9665${String(i).padStart(8, '0')}\r\nEMAIL:u${i}@example.com\r\nEND:VCARD\r\n`).join('');
  const started = process.cpuUsage();
  const { cards, errors } = parseVCards(text);
  const ms = cpuMs(started);
  assert.equal(cards.length, 100_000);
  assert.equal(errors.length, 0);
  assert.deepEqual(cards[99_999]!.card, card({ name: 'Given Family99999', phones: ['+966500099999'], email: 'u99999@example.com' }));
  t.diagnostic(`100,000 cards: ${ms.toFixed(0)} ms of CPU`);
  assert.ok(ms < 3_000, `${ms.toFixed(0)} ms`);
});

test('fuzz: any input, whole or in chunks, never throws and gives the same answer', () => {
  const token = fc.constantFrom(
    'BEGIN:VCARD', 'END:VCARD', 'VERSION:2.1', 'VERSION:3.0', 'FN:', 'N:', 'TEL', ';', ':', '=', '"', '\\', ',', ' ', '\t',
    '\r', '\n', '\r\n', '=D8', '=A7', 'ENCODING=QUOTED-PRINTABLE', 'ENCODING=b', 'CHARSET=', 'waid=', 'TYPE=cell', 'item1.',
    'PHOTO', 'NOTE', 'ORG', 'X-WA-BIZ-NAME', 'EMAIL', 'tel:', 'ش', '😀', '\uD800', '\u0000', 'a', '5',
  );
  const input = fc.oneof(fc.array(token, { maxLength: 200 }).map((t) => t.join('')), fc.string({ unit: 'binary', maxLength: 300 }));
  fc.assert(
    fc.property(input, fc.integer({ min: 1, max: 1_000 }), (text, seed) => {
      const whole = parseVCards(text);
      assert.deepEqual(streamed(text, seed, 1 + (seed % 13)), whole);
      for (const { card: c } of whole.cards) assert.ok(c.phones.length > 0);
    }),
    { seed: 7_0001, numRuns: 2_000 },
  );
  for (const nasty of ['='.repeat(2_000_000), ';'.repeat(2_000_000), '"'.repeat(2_000_000), 'BEGIN:VCARD\n'.repeat(200_000), `BEGIN:VCARD\nTEL;${'"'.repeat(2_000_000)}`, `BEGIN:VCARD\nNOTE;QUOTED-PRINTABLE:=\n${'=\n'.repeat(500_000)}`]) {
    const started = process.cpuUsage();
    parseVCards(nasty);
    assert.ok(cpuMs(started) < 2_000, nasty.slice(0, 20));
  }
});
