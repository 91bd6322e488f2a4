import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sql } from 'kysely';
import { build } from '../../test/helpers/build.js';
import { combine, splitWith } from './combine.js';
import { prepared } from './prepared.js';

/** The writes sent with a COMMIT, joined (combine.ts): the texts, then on the real store. */

const HEAD = prepared(`WITH moved AS (UPDATE combine_t SET n = n + $1 WHERE id = $2 RETURNING id), noted AS (INSERT INTO combine_log (note) VALUES ('a ) in (quotes' || $3)) SELECT * FROM moved`);
const VALUES = prepared(`INSERT INTO combine_a (note) VALUES ($1::text) RETURNING id`);
const UNNEST = prepared(`INSERT INTO combine_b (note) SELECT * FROM unnest($1::text[])`);

test('INSERTs that read no table join the prepared statement before them; the rest are sent as they are', () => {
  assert.deepEqual(splitWith('WITH a AS (SELECT (1)), b AS MATERIALIZED (SELECT \')\') SELECT * FROM a'), { ctes: ['a AS (SELECT (1))', "b AS MATERIALIZED (SELECT ')')"], body: 'SELECT * FROM a' });
  assert.deepEqual(splitWith('INSERT INTO x VALUES (1)'), { ctes: [], body: 'INSERT INTO x VALUES (1)' });

  const [one, ...none] = combine([
    { text: HEAD, values: [1, 'id', 'x'] },
    { text: VALUES, values: ['v'] },
    { text: UNNEST, values: [['u1', 'u2']] },
  ]);
  assert.deepEqual(none, []);
  assert.match(one!.text, /^\/\* prepared \*\/ WITH moved AS \(.*\), noted AS \(.*\), _w1 AS \(INSERT INTO combine_a \(note\) VALUES \(\$4::text\) RETURNING id\), _w2 AS \(INSERT INTO combine_b \(note\) SELECT \* FROM unnest\(\$5::text\[\]\)\) SELECT \* FROM moved$/);
  assert.deepEqual(one!.values, [1, 'id', 'x', 'v', ['u1', 'u2']]);
  assert.equal(combine([{ text: HEAD, values: [1, 'id', 'x'] }, { text: VALUES, values: ['w'] }])[0]!.text, combine([{ text: HEAD, values: [2, 'id', 'y'] }, { text: VALUES, values: ['z'] }])[0]!.text, 'one text per combination');

  const update = prepared('UPDATE combine_t SET n = $1');
  const readsTable = prepared('INSERT INTO combine_a (note) SELECT note FROM combine_log WHERE id = $1');
  const unmarked = 'INSERT INTO combine_a (note) VALUES ($1)';
  const kept = combine([
    { text: VALUES, values: ['a'] },
    { text: update, values: [1] },
    { text: readsTable, values: [2] },
    { text: unmarked, values: ['b'] },
    { text: UNNEST, values: [['c']] },
  ]);
  assert.deepEqual(kept.map((s) => s.values), [['a'], [1], [2], ['b'], [['c']]], 'an UPDATE, an INSERT … SELECT FROM a table and an unmarked text each stand alone');
  const sameTable = combine([{ text: UNNEST, values: [['1']] }, { text: VALUES, values: ['2'] }, { text: UNNEST, values: [['3']] }]);
  assert.deepEqual(sameTable.map((s) => s.values), [[['1'], '2'], [['3']]], 'never two INSERTs into one table in one statement (their order is not promised)');
});

test('on the store: the joined statement commits every part, and a failing part rolls back the whole transaction', async () => {
  const h = await build();
  const { transaction } = h.app.container;
  const db = h.store.db;
  await sql`CREATE TABLE combine_t (id text PRIMARY KEY, n integer NOT NULL)`.execute(db);
  await sql`CREATE TABLE combine_log (id serial PRIMARY KEY, note text NOT NULL)`.execute(db);
  await sql`CREATE TABLE combine_a (id serial PRIMARY KEY, note text NOT NULL)`.execute(db);
  await sql`CREATE TABLE combine_b (id serial PRIMARY KEY, note text NOT NULL CHECK (note <> 'bad'))`.execute(db);
  try {
    await sql`INSERT INTO combine_t VALUES ('a', 0)`.execute(db);
    const write = (note: string, notes: string[]) =>
      transaction(async (trx) => {
        await sql`UPDATE combine_t SET n = n + 10 WHERE id = 'a'`.execute(trx);
        await transaction.beforeCommit(trx, () => [
          { text: HEAD, values: [1, 'a', note] },
          { text: VALUES, values: [note] },
          { text: UNNEST, values: [notes] },
        ]);
      });
    await write('ok', ['u1', 'u2']);
    const notes = async () => (await sql<{ note: string }>`SELECT note FROM combine_log UNION ALL SELECT note FROM combine_a UNION ALL SELECT note FROM combine_b`.execute(db)).rows.map((r) => r.note).sort();
    const n = async () => (await sql<{ n: number }>`SELECT n FROM combine_t`.execute(db)).rows[0]!.n;
    assert.deepEqual(await notes(), ['a ) in (quotesok', 'ok', 'u1', 'u2'].sort());
    assert.equal(await n(), 11);

    await assert.rejects(write('fine', ['u3', 'bad']), /combine_b_note_check/);
    assert.deepEqual(await notes(), ['a ) in (quotesok', 'ok', 'u1', 'u2'].sort(), 'nothing of the failed transaction');
    assert.equal(await n(), 11, 'not even what its body wrote before the COMMIT');
  } finally {
    await sql`DROP TABLE combine_t, combine_log, combine_a, combine_b`.execute(db);
  }
});
