import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { CsvError, CsvStream, detectDelimiter, mapHeader, parseCsv, type CsvOptions } from './csv.js';

/** Feeds text in chunks of random sizes (1 included); returns the rows, or the error thrown. */
function streamed(text: string, seed: number, max = 20, opts?: CsvOptions): string[][] | CsvError {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) % max) + 1;
  const stream = new CsvStream(opts);
  const rows: string[][] = [];
  try {
    for (let i = 0; i < text.length; ) {
      const n = rnd();
      rows.push(...stream.push(text.slice(i, i + n)));
      i += n;
    }
    rows.push(...stream.end());
    return rows;
  } catch (err) {
    if (err instanceof CsvError) return err;
    throw err;
  }
}
function whole(text: string, opts?: CsvOptions): string[][] | CsvError {
  try {
    return parseCsv(text, opts);
  } catch (err) {
    if (err instanceof CsvError) return err;
    throw err;
  }
}
/** CPU time (ms) of this process since `since`: wall time swings with whatever else the machine runs. */
const cpuMs = (since: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(since);
  return (u.user + u.system) / 1000;
};
const failsAt = (text: string, line: number, message: RegExp, opts?: CsvOptions) => {
  for (const result of [whole(text, opts), streamed(text, 3, 1, opts), streamed(text, 5, 64, opts)]) {
    assert.ok(result instanceof CsvError, `expected a CsvError, got ${JSON.stringify(result).slice(0, 80)}`);
    assert.equal(result.line, line);
    assert.equal(result.name, 'CsvError');
    assert.match(result.message, message);
  }
};

test('RFC 4180: quoted delimiters, doubled quotes, line breaks inside quotes, empty fields, ragged rows', () => {
  const text = 'name,phone,note\r\n"Al-Harbi, Faisal",+966501234567,"He said ""hi"""\r\nSara,,"line one\r\nline two\nline three"\r\n,,\r\nonly one\r\na,b,c,d,e\r\n"",x,\r\n';
  assert.deepEqual(parseCsv(text), [
    ['name', 'phone', 'note'],
    ['Al-Harbi, Faisal', '+966501234567', 'He said "hi"'],
    ['Sara', '', 'line one\r\nline two\nline three'],
    ['', '', ''],
    ['only one'],
    ['a', 'b', 'c', 'd', 'e'],
    ['', 'x', ''],
  ]);
});

test('BOM stripped, CRLF / LF / CR mixed, blank lines and the trailing line break ignored, no break at the end', () => {
  const expected = [['الاسم', 'الجوال'], ['محمد', '0501234567'], ['سارة', '0559876543'], ['x', 'y']];
  assert.deepEqual(parseCsv('\uFEFFالاسم,الجوال\r\nمحمد,0501234567\n\nسارة,0559876543\rx,y\r\n\r\n'), expected);
  assert.deepEqual(parseCsv('الاسم,الجوال\rمحمد,0501234567\r\n\r\nسارة,0559876543\nx,y'), expected);
  assert.deepEqual(parseCsv(''), []);
  assert.deepEqual(parseCsv('\uFEFF'), []);
  assert.deepEqual(parseCsv('\r\n\n'), []);
  assert.deepEqual(parseCsv('a,\n'), [['a', '']]);
  assert.deepEqual(parseCsv('a,'), [['a', '']]);
  assert.deepEqual(parseCsv('""'), [['']]);
});

test('sloppy quotes: a quote inside an unquoted field is literal, text after a closing quote is kept', () => {
  assert.deepEqual(parseCsv('5" screen,ab"c"d,x\n'), [['5" screen', 'ab"c"d', 'x']]);
  assert.deepEqual(parseCsv('"ab"c,d\n "q",e\n'), [['abc', 'd'], [' "q"', 'e']]);
});

test('errors: a field over maxFieldBytes (UTF-8 bytes), too many columns, a quote never closed, with the line', () => {
  const big = 'x'.repeat(100 * 1024 + 1);
  failsAt(`name,note\na,ok\nb,${big}\nc,d\n`, 3, /a field is over 102400 bytes \(line 3\)/);
  failsAt(`name,note\na,"multi\nline ${big}"\n`, 2, /over 102400 bytes/);
  // 51,200 Arabic letters are 102,400 bytes: at the limit; one more letter is over it.
  assert.equal((parseCsv(`a\n${'ش'.repeat(51_200)}\n`)[1]![0] ?? '').length, 51_200);
  failsAt(`a\n${'ش'.repeat(51_201)}\n`, 2, /over 102400 bytes/);
  failsAt('a,b\n"x,y\nz\n', 2, /a quoted field is never closed \(line 2\)/);
  failsAt('a,b,c\n1,2,3,4\n', 2, /more than 3 fields/, { maxColumns: 3 });
  failsAt(`${'x,'.repeat(1_000)}x\n`, 1, /more than 1000 fields/);
  failsAt('a\nabcdef\n', 2, /over 5 bytes/, { maxFieldBytes: 5 });
  assert.deepEqual(parseCsv('a\nabcde\n', { maxFieldBytes: 5 }), [['a'], ['abcde']]);
});

test('detectDelimiter: the most used outside quotes; Excel in Arabic and European locales writes ;', () => {
  assert.equal(detectDelimiter('name,phone,email'), ',');
  assert.equal(detectDelimiter('الاسم;رقم الجوال;البريد الإلكتروني'), ';');
  assert.equal(detectDelimiter('name\tphone\temail'), '\t');
  assert.equal(detectDelimiter('"Name; Full";"Phone, mobile";Email'), ';');
  assert.equal(detectDelimiter('"a,b,c";d'), ';');
  assert.equal(detectDelimiter('name'), ',');
  assert.equal(detectDelimiter(''), ',');
  assert.equal(detectDelimiter('a,b;c'), ',');
});

test('the stream detects the delimiter from the first line, even when it comes in pieces', () => {
  const text = '\uFEFFالاسم;الجوال;ملاحظات\r\nمحمد;0501234567;"نص; فيه فاصلة"\r\n';
  const rows = [['الاسم', 'الجوال', 'ملاحظات'], ['محمد', '0501234567', 'نص; فيه فاصلة']];
  assert.deepEqual(parseCsv(text), rows);
  for (let seed = 1; seed < 20; seed++) assert.deepEqual(streamed(text, seed, 4), rows);
  assert.deepEqual(parseCsv('a;b\n1;2', { delimiter: ',' }), [['a;b'], ['1;2']]);
  assert.deepEqual(parseCsv('a\tb\n1\t2\n'), [['a', 'b'], ['1', '2']]);
  assert.deepEqual(parseCsv('a;b'), [['a', 'b']]);
  const stream = new CsvStream();
  assert.deepEqual(stream.push('name;pho'), []);
  assert.deepEqual(stream.push('ne\r'), [['name', 'phone']]);
  assert.deepEqual(stream.push('\nx;"y'), []);
  assert.deepEqual(stream.push('""'), []);
  assert.deepEqual(stream.push('"'), []);
  assert.deepEqual(stream.end(), [['x', 'y"']]);
});

test('streaming in random chunk sizes (splitting CRLF and doubled quotes) gives what parseCsv gives', () => {
  const text = [
    '\uFEFFname,phone,note,extra',
    '"Al-Harbi, Faisal",+966501234567,"He said ""hi""\r\nthen left",',
    'Sara,0559876543,"a\rb\nc\r\nd",""""',
    '',
    'ragged',
    '"q"tail,x"y,"",',
    'عبدالرحمن,٠٥٥١٢٣٤٥٦٧,😀,"مرحبا, بك"',
  ].join('\r\n') + '\r\n';
  const expected = parseCsv(text);
  assert.equal(expected.length, 6);
  assert.deepEqual(expected[2], ['Sara', '0559876543', 'a\rb\nc\r\nd', '"']);
  for (let seed = 1; seed < 60; seed++) assert.deepEqual(streamed(text, seed, seed % 3 ? 5 : 200), expected, `seed ${seed}`);
  assert.deepEqual(streamed(text, 1, 1), expected);
});

test('fuzz: rows written with RFC quoting read back the same, whole or in chunks; any input gives one answer either way', () => {
  const cell = fc.string({ unit: 'binary', maxLength: 12 }).map((s) => s.replace(/\uFEFF/g, ''));
  const rows = fc.array(fc.array(cell, { minLength: 1, maxLength: 6 }), { maxLength: 20 });
  fc.assert(
    fc.property(rows, fc.constantFrom(',', ';', '\t'), fc.constantFrom('\r\n', '\n', '\r'), fc.integer({ min: 1, max: 1_000 }), (table, delimiter, eol, seed) => {
      const quote = (v: string, only: boolean) => (/["\r\n,;\t]/.test(v) || (only && v === '') || seed % 2 ? `"${v.replace(/"/g, '""')}"` : v);
      const text = table.map((row) => row.map((v) => quote(v, row.length === 1)).join(delimiter)).join(eol);
      const opts = { delimiter: delimiter as ',' | ';' | '\t' };
      assert.deepEqual(parseCsv(text, opts), table);
      assert.deepEqual(streamed(text, seed, 1 + (seed % 9), opts), table);
    }),
    { seed: 7_0002, numRuns: 1_000 },
  );
  const noise = fc.array(fc.constantFrom('a', 'ش', '"', '""', ',', ';', '\t', '\r', '\n', '\r\n', ' ', '\uFEFF', '😀'), { maxLength: 80 }).map((t) => t.join(''));
  fc.assert(
    fc.property(noise, fc.integer({ min: 1, max: 1_000 }), (text, seed) => {
      const expected = whole(text, { maxFieldBytes: 20, maxColumns: 8 });
      const got = streamed(text, seed, 1 + (seed % 7), { maxFieldBytes: 20, maxColumns: 8 });
      if (expected instanceof CsvError) {
        assert.ok(got instanceof CsvError);
        assert.equal(got.line, expected.line);
      } else assert.deepEqual(got, expected);
    }),
    { seed: 7_0003, numRuns: 2_000 },
  );
});

test('speed: 100,000 rows, and tiny chunks of a huge field, stay linear', () => {
  const text = Array.from({ length: 100_000 }, (_, i) => `Name ${i},+9665${String(i).padStart(8, '0')},u${i}@example.com,"Note, ${i}"\n`).join('');
  let started = process.cpuUsage();
  const rows = parseCsv(text);
  assert.equal(rows.length, 100_000);
  assert.deepEqual(rows[99_999], ['Name 99999', '+966500099999', 'u99999@example.com', 'Note, 99999']);
  assert.ok(cpuMs(started) < 3_000, `${cpuMs(started)} ms`);
  started = process.cpuUsage();
  const stream = new CsvStream({ delimiter: ',' });
  stream.push('a,"');
  assert.throws(() => {
    for (let i = 0; i < 200_000; i++) stream.push('ab');
  }, CsvError);
  assert.ok(cpuMs(started) < 3_000, `${cpuMs(started)} ms`);
});

test('mapHeader: English and Arabic aliases in any case and spacing; other columns are properties', () => {
  const { columns, errors } = mapHeader([
    ' Full Name ', 'Phone_Number', 'E-Mail', 'ORGANIZATION', 'job title', 'Notes', '', 'Favourite Colour', '  ', 'Customer ID',
  ]);
  assert.deepEqual(errors, []);
  assert.deepEqual(columns, [
    { field: 'name' }, { field: 'phoneNumber' }, { field: 'email' }, { field: 'company' }, { field: 'position' }, { field: 'note' },
    null, { property: 'Favourite Colour' }, null, { property: 'Customer ID' },
  ]);
  const arabic = mapHeader(['الاسم', 'رقم الجوال', 'البريد الالكتروني', 'الشركة', 'المسمى الوظيفي', 'ملاحظات', 'المدينة']);
  assert.deepEqual(arabic, {
    columns: [{ field: 'name' }, { field: 'phoneNumber' }, { field: 'email' }, { field: 'company' }, { field: 'position' }, { field: 'note' }, { property: 'المدينة' }],
    errors: [],
  });
  // Excel's direction marks, hamza forms and diacritics do not matter.
  assert.deepEqual(mapHeader(['\u200Fالإسم', 'الْجَوَّال', 'البريد الإلكتروني\u200E']).columns, [{ field: 'name' }, { field: 'phoneNumber' }, { field: 'email' }]);
  for (const alias of ['phone', 'Phone Number', 'mobile', 'WhatsApp', 'الهاتف', 'phoneNumber', 'PHONE-NUMBER']) {
    assert.deepEqual(mapHeader([alias]).columns, [{ field: 'phoneNumber' }], alias);
  }
  for (const alias of ['name', 'Name', 'FULL_NAME', 'الاسم']) assert.deepEqual(mapHeader([alias]).columns, [{ field: 'name' }], alias);
  for (const alias of ['email', 'E-mail', 'البريد الإلكتروني']) assert.deepEqual(mapHeader([alias]).columns, [{ field: 'email' }], alias);
  for (const alias of ['company', 'Organization', 'الشركة']) assert.deepEqual(mapHeader([alias]).columns, [{ field: 'company' }], alias);
  for (const alias of ['position', 'Title', 'Job Title', 'المسمى الوظيفي']) assert.deepEqual(mapHeader([alias]).columns, [{ field: 'position' }], alias);
  for (const alias of ['note', 'NOTES', 'ملاحظات']) assert.deepEqual(mapHeader([alias]).columns, [{ field: 'note' }], alias);
});

test('mapHeader: a standard field named twice, or one property twice, is an error naming both columns', () => {
  assert.deepEqual(mapHeader(['Name', 'Phone', 'Mobile', 'الجوال']), {
    columns: [{ field: 'name' }, { field: 'phoneNumber' }, null, null],
    errors: ['Columns 2 ("Phone") and 3 ("Mobile") both map to phoneNumber.', 'Columns 2 ("Phone") and 4 ("الجوال") both map to phoneNumber.'],
  });
  assert.deepEqual(mapHeader(['phone', 'Colour', 'colour ']), {
    columns: [{ field: 'phoneNumber' }, { property: 'Colour' }, null],
    errors: ['Columns 2 ("Colour") and 3 ("colour") name the same property.'],
  });
});
