import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { assertError } from '../../../test/helpers/assert.js';
import { build, json, type Workspace } from '../../../test/helpers/build.js';

const h = await build();
const DEFS = '/v1/contact-property-definitions';
const SEARCH = '/v1/contacts/search';

interface Item {
  id: string;
  name: string;
  phoneNumber: string;
  email: string | null;
  company: string | null;
  position: string | null;
  creationTime: string;
  lastModificationTime: string;
  customProperties: { propertyKey: string; value: unknown }[];
}
interface Paged {
  totalCount: number;
  items: Item[];
}

async function define(ws: Workspace, body: Record<string, unknown>) {
  const res = await ws.api('POST', DEFS, body);
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}
async function create(ws: Workspace, body: Record<string, unknown>): Promise<Item> {
  const res = await ws.api('POST', '/v1/contacts', body);
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}
async function search(ws: Workspace, body?: unknown, query = ''): Promise<Paged> {
  const res = await ws.api('POST', `${SEARCH}${query}`, body);
  assert.equal(res.statusCode, 200, `${JSON.stringify(body)} → ${res.body}`);
  return json(res);
}
const names = (page: Paged) => page.items.map((c) => c.name);
const one = (filter: Record<string, unknown>) => ({ filterGroups: [{ filters: [filter] }], maxResultCount: 1000, sorting: 'Name ASC' });

/** A small book: five people, a Select, a Number and a MultiSelect. */
async function book() {
  const ws = await h.workspace();
  const status = await define(ws, { name: 'Status', type: 'Select', selectOptions: ['Lead', 'Customer', 'VIP'] });
  const score = await define(ws, { name: 'Score', type: 'Number' });
  const tags = await define(ws, { name: 'Tags', type: 'MultiSelect', selectOptions: ['Red', 'Green', 'Blue'] });
  const people: Record<string, unknown>[] = [
    { name: 'Alice', phoneNumber: '+966500000401', email: 'alice@example.com', company: 'Acme', properties: { status: 'Lead', score: 10, tags: ['Red'] } },
    { name: 'Bob', phoneNumber: '+966500000402', company: 'Globex', properties: { status: 'Lead', score: 20, tags: ['Red', 'Green'] } },
    { name: 'Carol', phoneNumber: '+966500000403', email: 'carol@example.org', properties: { status: 'VIP', score: 30 } },
    { name: 'أحمد', phoneNumber: '+966511000404', properties: { status: 'Customer', tags: ['Blue'] } },
    { name: 'Dave', phoneNumber: '+971500000405', email: 'dave@example.com' },
  ];
  const ids: Record<string, string> = {};
  for (const p of people) {
    ids[p.name as string] = (await create(ws, p)).id;
    h.clock.advance(1000);
  }
  return { ws, status, score, tags, ids };
}

test('the documented Hatif body, camelCase and PascalCase: customPropertyFilters are ANDed', async () => {
  const { ws, status, score } = await book();
  const documented = await search(ws, { skipCount: 0, maxResultCount: 10, customPropertyFilters: [{ propertyDefinitionId: status.id, operator: 1, value: 'Lead' }] });
  assert.deepEqual(names(documented), ['Bob', 'Alice'], 'newest first');
  assert.equal(documented.totalCount, 2);
  assert.deepEqual(
    documented.items[0]!.customProperties.map((p) => [p.propertyKey, p.value]),
    [
      ['score', 20],
      ['status', 'Lead'],
      ['tags', ['Red', 'Green']],
    ],
    'whole contacts, with their values',
  );
  const pascal = await search(ws, {
    SkipCount: 0,
    MaxResultCount: 10,
    CustomPropertyFilters: [
      { PropertyDefinitionId: status.id, Operator: 1, Value: 'lead' },
      { PropertyDefinitionId: score.id, Operator: 'GreaterThan', Value: 15 },
    ],
  });
  assert.deepEqual(names(pascal), ['Bob']);
  assert.equal(pascal.totalCount, 1);
  const none = await search(ws, { customPropertyFilters: [] });
  assert.equal(none.totalCount, 5, 'no filter: every contact');
  assert.equal((await search(ws, { customPropertyFilters: null, filterGroups: null, query: null })).totalCount, 5);
});

test('the query-paging variant (spec §3.15): SkipCount/MaxResultCount/Sorting in the query (any case), no body or an empty one', async () => {
  const { ws } = await book();
  const first = await search(ws, undefined, '?SkipCount=0&MaxResultCount=2');
  assert.deepEqual(names(first), ['Dave', 'أحمد']);
  assert.equal(first.totalCount, 5);
  const empty = await h.app.inject({ method: 'POST', url: `${SEARCH}?SkipCount=2&MaxResultCount=2`, headers: { authorization: `Bearer ${ws.token}`, 'content-length': '0' } });
  assert.equal(empty.statusCode, 200, empty.body);
  assert.deepEqual(names(json(empty)), ['Carol', 'Bob'], 'Content-Length: 0');
  assert.deepEqual(names(await search(ws, {}, '?skipcount=2&maxresultcount=2')), ['Carol', 'Bob']);
  assert.deepEqual(names(await search(ws, undefined, '?SkipCount=1&MaxResultCount=2&Sorting=Name%20ASC')), ['Bob', 'Carol']);
  assert.deepEqual(names(await search(ws, { maxResultCount: 2, skipCount: 3 }, '?SkipCount=0&MaxResultCount=1')), ['Bob', 'Alice'], 'the body wins');
  assert.equal((await search(ws, undefined)).items.length, 5, 'no paging at all: the first 10');
  assertError(await ws.api('POST', `${SEARCH}?MaxResultCount=1001`), 400, 'Wasl:ValidationFailed', ['MaxResultCount']);
  assertError(await ws.api('POST', `${SEARCH}?SkipCount=-1`, {}), 400, 'Wasl:ValidationFailed', ['SkipCount']);
  assertError(await ws.api('POST', `${SEARCH}?Sorting=Colour%20ASC`), 400, 'Wasl:ValidationFailed', ['Sorting']);
});

test('filterGroups: OR of AND-groups over fields and properties (by key or id), operators by code or name', async () => {
  const { ws, status, tags } = await book();
  const body = {
    filterGroups: [
      { filters: [{ propertyKey: 'status', operator: 'Equals', value: 'Lead' }, { field: 'company', operator: 3, value: 'glo' }] },
      { filters: [{ propertyDefinitionId: status.id, operator: 'in', value: ['VIP', 'customer'] }] },
    ],
    sorting: 'Name ASC',
  };
  assert.deepEqual(names(await search(ws, body)), ['Bob', 'Carol', 'أحمد']);
  const pascal = await search(ws, {
    FilterGroups: [{ Filters: [{ PropertyKey: 'TAGS', Operator: 'Contains', Value: ['red', 'GREEN'] }] }, { Filters: [{ Field: 'email', Operator: 5, Value: 'dave' }] }],
    Sorting: 'Name DESC',
  });
  assert.deepEqual(names(pascal), ['Dave', 'Bob']);
  assert.deepEqual(names(await search(ws, one({ propertyDefinitionId: tags.id, operator: 'IsNotSet' }))), ['Carol', 'Dave'], 'no value at all');
  assert.deepEqual(
    names(await search(ws, { customPropertyFilters: [{ propertyDefinitionId: status.id, operator: 'Equals', value: 'Lead' }], filterGroups: [{ filters: [{ field: 'email', operator: 'IsSet' }] }, { filters: [{ field: 'name', operator: 'StartsWith', value: 'b' }] }], sorting: 'Name ASC' })),
    ['Alice', 'Bob'],
    'customPropertyFilters AND (group OR group)',
  );
});

test('the Not… operators are NOT of their positive: a contact without the value matches them', async () => {
  const { ws } = await book();
  assert.deepEqual(names(await search(ws, one({ propertyKey: 'status', operator: 'NotEquals', value: 'Lead' }))), ['Carol', 'Dave', 'أحمد']);
  assert.deepEqual(names(await search(ws, one({ propertyKey: 'score', operator: 'NotEquals', value: 20 }))), ['Alice', 'Carol', 'Dave', 'أحمد']);
  assert.deepEqual(names(await search(ws, one({ propertyKey: 'score', operator: 'NotIn', value: [10, '30'] }))), ['Bob', 'Dave', 'أحمد']);
  assert.deepEqual(names(await search(ws, one({ propertyKey: 'tags', operator: 'NotContains', value: ['Red'] }))), ['Carol', 'Dave', 'أحمد']);
  assert.deepEqual(names(await search(ws, one({ propertyKey: 'tags', operator: 'NotIn', value: ['Green', 'Blue'] }))), ['Alice', 'Carol', 'Dave']);
  assert.deepEqual(names(await search(ws, one({ field: 'email', operator: 'NotContains', value: 'example.com' }))), ['Bob', 'Carol', 'أحمد'], 'an unset email does not contain it');
  assert.deepEqual(names(await search(ws, one({ field: 'company', operator: 'NotEquals', value: 'ACME' }))), ['Bob', 'Carol', 'Dave', 'أحمد']);
  assert.deepEqual(names(await search(ws, one({ field: 'company', operator: 'IsNotSet' }))), ['Carol', 'Dave', 'أحمد']);
  assert.deepEqual(names(await search(ws, one({ field: 'name', operator: 'IsNotSet' }))), [], 'every contact has a name');
});

test('query: free text in the folded name, the phone digits or the email, ANDed with the filters', async () => {
  const { ws } = await book();
  await create(ws, { name: 'إبراهيم الأحمد', phoneNumber: '+966500000406' });
  const q = async (query: string, extra: Record<string, unknown> = {}) => names(await search(ws, { query, sorting: 'Name ASC', ...extra }));
  assert.deepEqual(await q('احمد'), ['إبراهيم الأحمد', 'أحمد'], 'hamza forms fold');
  assert.deepEqual(await q('ابراهيم'), ['إبراهيم الأحمد']);
  assert.deepEqual(await q('ALI'), ['Alice']);
  assert.deepEqual(await q('000404'), ['أحمد'], 'phone digits');
  assert.deepEqual(await q('0000404'), [], 'no contact has these digits in a row');
  assert.deepEqual(await q('511 000'), ['أحمد'], 'phone digits, separators ignored');
  assert.deepEqual(await q('+971 50'), ['Dave']);
  assert.deepEqual(await q('0511000404'), ['أحمد'], 'a whole national number');
  assert.deepEqual(await q('00966 511 000 404'), ['أحمد']);
  assert.deepEqual(await q('EXAMPLE.ORG'), ['Carol'], 'email, case-insensitive');
  assert.deepEqual(await q('a', { filterGroups: [{ filters: [{ field: 'email', operator: 'IsSet' }] }] }), ['Alice', 'Carol', 'Dave'], 'ANDed with filters');
  assert.deepEqual(await q('   '), ['Alice', 'Bob', 'Carol', 'Dave', 'إبراهيم الأحمد', 'أحمد'], 'blank: no filter');
  assert.deepEqual(await q('%'), [], 'wildcards are literal');
  assert.equal((await search(ws, { query: 'a', maxResultCount: 1 })).totalCount, 3, 'counted with the query');
});

test('sorting: body sorting, any case, several fields; a bad one → 400 naming Sorting', async () => {
  const { ws } = await book();
  assert.deepEqual(names(await search(ws, { sorting: 'Name ASC' })), ['Alice', 'Bob', 'Carol', 'Dave', 'أحمد']);
  assert.deepEqual(names(await search(ws, { sorting: 'phonenumber desc', maxResultCount: 2 })), ['Dave', 'أحمد']);
  assert.deepEqual(names(await search(ws, { Sorting: 'Email ASC, Name DESC', maxResultCount: 3 })), ['Alice', 'Carol', 'Dave'], 'unset emails last');
  assert.deepEqual(names(await search(ws, { sorting: 'CreationTime ASC', skipCount: 1, maxResultCount: 2 })), ['Bob', 'Carol']);
  assert.deepEqual(names(await search(ws, { sorting: 'Company DESC', maxResultCount: 2 })), ['Dave', 'أحمد'], 'NULLs first when descending, ties by id descending');
  for (const sorting of ['Score ASC', 'Name UP', 'Name; DROP TABLE contacts']) {
    assertError(await ws.api('POST', SEARCH, { sorting }), 400, 'Wasl:ValidationFailed', ['Sorting']);
  }
});

test('totalCount is right on both count paths (only positive property tests, and mixed trees) and on every page', async () => {
  const ws = await h.workspace();
  const status = await define(ws, { name: 'Status', type: 'Select', selectOptions: ['Lead', 'VIP', 'Churned'] });
  const score = await define(ws, { name: 'Score', type: 'Number' });
  for (let i = 0; i < 23; i++) {
    const properties: Record<string, unknown> = { score: i };
    if (i % 4 !== 3) properties.status = i % 2 ? 'VIP' : 'Lead';
    await create(ws, { name: `Person ${String(i).padStart(2, '0')}${i % 3 ? ' x' : ''}`, phoneNumber: `+9665000005${String(i).padStart(2, '0')}`, properties });
    h.clock.advance(1000);
  }
  const bodies: [string, Record<string, unknown>, number][] = [
    ['one positive property filter', { customPropertyFilters: [{ propertyDefinitionId: status.id, operator: 'In', value: ['Lead', 'VIP'] }] }, 18],
    ['AND of two (INTERSECT)', { customPropertyFilters: [{ propertyDefinitionId: status.id, operator: 'IsSet' }, { propertyDefinitionId: score.id, operator: 'LessThan', value: 20 }] }, 15],
    [
      'OR of groups (UNION) AND a filter',
      {
        customPropertyFilters: [{ propertyDefinitionId: score.id, operator: 'Between', value: [2, 21] }],
        filterGroups: [{ filters: [{ propertyKey: 'status', operator: 'Equals', value: 'VIP' }] }, { filters: [{ propertyKey: 'score', operator: 'GreaterThanOrEqual', value: 19 }] }],
      },
      7,
    ],
    ['a negative property filter (mixed)', { filterGroups: [{ filters: [{ propertyKey: 'status', operator: 'NotEquals', value: 'Lead' }] }] }, 11],
    ['a field filter (mixed)', { filterGroups: [{ filters: [{ propertyKey: 'status', operator: 'IsSet' }, { field: 'name', operator: 'Contains', value: ' X' }] }] }, 12],
    ['free text (mixed)', { query: 'person', customPropertyFilters: [{ propertyDefinitionId: score.id, operator: 'GreaterThan', value: 4 }] }, 18],
    ['no filter', {}, 23],
  ];
  for (const [label, body, expected] of bodies) {
    const all = await search(ws, { ...body, maxResultCount: 1000 });
    assert.equal(all.items.length, expected, label);
    assert.equal(all.totalCount, expected, label);
    const seen: string[] = [];
    for (let skip = 0; skip <= expected + 5; skip += 5) {
      const page = await search(ws, { ...body, skipCount: skip, maxResultCount: 5 });
      assert.equal(page.totalCount, expected, `${label}, page at ${skip}`);
      assert.equal(page.items.length, Math.max(0, Math.min(5, expected - skip)), `${label}, page at ${skip}`);
      seen.push(...page.items.map((c) => c.id));
    }
    assert.deepEqual(
      seen,
      all.items.map((c) => c.id),
      `${label}: the pages make up the list, in order`,
    );
    const exact = await search(ws, { ...body, maxResultCount: expected });
    assert.equal(exact.totalCount, expected, `${label}: a full first page is counted`);
  }
});

test('bad searches → 400 naming the filter', async () => {
  const { ws, status, score, tags } = await book();
  const other = await h.workspace();
  const foreign = await define(other, { name: 'Status', type: 'Select', selectOptions: ['Lead'] });
  const g = (...filters: Record<string, unknown>[]) => ({ filterGroups: [{ filters: [{ field: 'name', operator: 'IsSet' }] }, { filters }] });
  const f = (filter: Record<string, unknown>) => g(filter);
  const cases: [unknown, string][] = [
    // A wrong pairing of operator and type.
    [f({ propertyKey: 'score', operator: 'Contains', value: '1' }), 'filterGroups[1].filters[0]'],
    [f({ propertyKey: 'status', operator: 'GreaterThan', value: 'Lead' }), 'filterGroups[1].filters[0]'],
    [f({ propertyKey: 'status', operator: 'Contains', value: 'Lead' }), 'filterGroups[1].filters[0]'],
    [f({ propertyKey: 'tags', operator: 'NotEquals', value: ['Red'] }), 'filterGroups[1].filters[0]'],
    [f({ field: 'name', operator: 'Between', value: ['a', 'b'] }), 'filterGroups[1].filters[0]'],
    [f({ field: 'creationTime', operator: 'Contains', value: '2026' }), 'filterGroups[1].filters[0]'],
    [f({ field: 'creationTime', operator: 'In', value: ['2026-01-01'] }), 'filterGroups[1].filters[0]'],
    [g({ field: 'name', operator: 'IsSet' }, { field: 'phoneNumber', operator: 'GreaterThan', value: '966' }), 'filterGroups[1].filters[1]'],
    [{ customPropertyFilters: [{ propertyDefinitionId: status.id, operator: 1, value: 'Lead' }, { propertyDefinitionId: score.id, operator: 5, value: '1' }] }, 'customPropertyFilters[1]'],
    // Values.
    [f({ propertyKey: 'score', operator: 'Between', value: [1] }), 'filterGroups[1].filters[0]'],
    [f({ propertyKey: 'score', operator: 'Between', value: 1 }), 'filterGroups[1].filters[0]'],
    [f({ propertyKey: 'score', operator: 'Between', value: [1, 2, 3] }), 'filterGroups[1].filters[0]'],
    [f({ propertyKey: 'score', operator: 'Equals', value: 'abc' }), 'filterGroups[1].filters[0]'],
    [f({ propertyKey: 'score', operator: 'Equals' }), 'filterGroups[1].filters[0]'],
    [f({ propertyKey: 'score', operator: 'Equals', value: [1, 2] }), 'filterGroups[1].filters[0]'],
    [f({ propertyKey: 'score', operator: 'In', value: [] }), 'filterGroups[1].filters[0]'],
    [f({ propertyKey: 'status', operator: 'Equals', value: 'Churned' }), 'filterGroups[1].filters[0]'],
    [f({ propertyKey: 'status', operator: 'In', value: ['Lead', 'Nope'] }), 'filterGroups[1].filters[0]'],
    [f({ propertyKey: 'tags', operator: 'Contains', value: ['Purple'] }), 'filterGroups[1].filters[0]'],
    [f({ field: 'creationTime', operator: 'GreaterThan', value: 'tomorrow' }), 'filterGroups[1].filters[0]'],
    [f({ field: 'phoneNumber', operator: 'Equals', value: 'abc' }), 'filterGroups[1].filters[0]'],
    [f({ field: 'phoneNumber', operator: 'StartsWith', value: '+' }), 'filterGroups[1].filters[0]'],
    [f({ field: 'name', operator: 'Equals', value: '  ' }), 'filterGroups[1].filters[0]'],
    [{ customPropertyFilters: [{ propertyDefinitionId: status.id, operator: 1, value: 'Nope' }] }, 'customPropertyFilters[0]'],
    // Which property.
    [f({ field: 'name', propertyKey: 'status', operator: 'IsSet' }), 'filterGroups[1].filters[0]'],
    [f({ propertyDefinitionId: status.id, propertyKey: 'status', operator: 'IsSet' }), 'filterGroups[1].filters[0]'],
    [f({ operator: 'IsSet' }), 'filterGroups[1].filters[0]'],
    [f({ propertyKey: 'nope', operator: 'IsSet' }), 'filterGroups[1].filters[0]'],
    [f({ propertyDefinitionId: foreign.id, operator: 'IsSet' }), 'filterGroups[1].filters[0]'],
    [{ customPropertyFilters: [{ propertyDefinitionId: foreign.id, operator: 1, value: 'Lead' }] }, 'customPropertyFilters[0].propertyDefinitionId'],
    [{ customPropertyFilters: [{ propertyDefinitionId: 'nope', operator: 1, value: 'Lead' }] }, 'customPropertyFilters[0].propertyDefinitionId'],
    // Shape and size.
    [f({ field: 'nickname', operator: 'IsSet' }), 'filterGroups[1].filters[0].field'],
    [f({ field: 'name', operator: 99 }), 'filterGroups[1].filters[0].operator'],
    [f({ field: 'name', operator: 'Like', value: 'x' }), 'filterGroups[1].filters[0].operator'],
    [{ filterGroups: Array.from({ length: 6 }, () => ({ filters: [{ field: 'name', operator: 'IsSet' }] })) }, 'filterGroups'],
    [{ filterGroups: [{ filters: Array.from({ length: 11 }, () => ({ field: 'name', operator: 'IsSet' })) }] }, 'filterGroups[0].filters'],
    [{ filterGroups: [{ filters: [] }] }, 'filterGroups[0].filters'],
    [{ customPropertyFilters: Array.from({ length: 11 }, () => ({ propertyDefinitionId: tags.id, operator: 'IsSet' })) }, 'customPropertyFilters'],
    [{ maxResultCount: 1001 }, 'maxResultCount'],
    [{ maxResultCount: 0 }, 'maxResultCount'],
    [{ skipCount: -1 }, 'skipCount'],
    [{ query: 'x'.repeat(201) }, 'query'],
  ];
  for (const [body, member] of cases) {
    assertError(await ws.api('POST', SEARCH, body), 400, 'Wasl:ValidationFailed', [member]);
  }
  const limits = {
    filterGroups: Array.from({ length: 5 }, () => ({ filters: Array.from({ length: 10 }, () => ({ field: 'name', operator: 'IsSet' })) })),
    customPropertyFilters: Array.from({ length: 10 }, () => ({ propertyDefinitionId: status.id, operator: 'IsSet' })),
  };
  assert.equal((await search(ws, limits)).totalCount, 4, '5 groups of 10 filters and 10 property filters are allowed');
  assert.equal(json(await other.api('POST', SEARCH, { customPropertyFilters: [{ propertyDefinitionId: foreign.id, operator: 1, value: 'Lead' }] })).totalCount, 0, 'its owner may use it');
});

test('text comparisons agree with stored values in any script (İ, final Σ)', async () => {
  const ws = await h.workspace();
  const seg = await define(ws, { name: 'Segment', type: 'Select', selectOptions: ['İleri', 'ΟΔΟΣ', 'Élite'] });
  await define(ws, { name: 'City', type: 'Text' });
  await create(ws, { name: 'Turkish', phoneNumber: '+966500000601', company: 'İSTANBUL Ltd', properties: { segment: 'İleri', city: 'İzmir' } });
  await create(ws, { name: 'Greek', phoneNumber: '+966500000602', company: 'ΟΔΟΣ', properties: { segment: 'ΟΔΟΣ', city: 'ΟΔΟΣ' } });
  await create(ws, { name: 'French', phoneNumber: '+966500000603', company: 'Élite', properties: { segment: 'Élite', city: 'Élite' } });
  const found: string[] = [];
  for (const [name, value] of [
    ['Turkish', 'İleri'],
    ['Greek', 'ΟΔΟΣ'],
    ['French', 'Élite'],
  ] as const) {
    found.push(`${name} Select: ${names(await search(ws, { customPropertyFilters: [{ propertyDefinitionId: seg.id, operator: 'Equals', value }] }))}`);
  }
  for (const [name, value] of [
    ['Turkish', 'İzmir'],
    ['Greek', 'ΟΔΟΣ'],
    ['French', 'Élite'],
  ] as const) {
    found.push(`${name} Text: ${names(await search(ws, one({ propertyKey: 'city', operator: 'Equals', value })))}`);
  }
  for (const [name, value] of [
    ['Turkish', 'İSTANBUL Ltd'],
    ['Greek', 'ΟΔΟΣ'],
    ['French', 'Élite'],
  ] as const) {
    found.push(`${name} company: ${names(await search(ws, one({ field: 'company', operator: 'Equals', value })))}`);
  }
  assert.deepEqual(found, [
    'Turkish Select: Turkish',
    'Greek Select: Greek',
    'French Select: French',
    'Turkish Text: Turkish',
    'Greek Text: Greek',
    'French Text: French',
    'Turkish company: Turkish',
    'Greek company: Greek',
    'French company: French',
  ]);
});

// ---------------------------------------------------------------------------------------------
// Property: random filter trees return exactly the contacts an in-memory evaluation returns.
// The model below is written from README.md's operator table, not from search.ts.
// ---------------------------------------------------------------------------------------------

const SEED = 7_0007;
const RUNS = 150;
const OP = { Equals: 1, NotEquals: 2, Contains: 3, NotContains: 4, StartsWith: 5, GreaterThan: 6, GreaterThanOrEqual: 7, LessThan: 8, LessThanOrEqual: 9, Between: 10, In: 11, NotIn: 12, IsSet: 13, IsNotSet: 14 } as const;
type OpName = keyof typeof OP;
const TEXT_OPS: OpName[] = ['Equals', 'NotEquals', 'Contains', 'NotContains', 'StartsWith', 'In', 'NotIn', 'IsSet', 'IsNotSet'];
const OPS = {
  text: TEXT_OPS,
  name: TEXT_OPS,
  phone: TEXT_OPS,
  number: ['Equals', 'NotEquals', 'GreaterThan', 'GreaterThanOrEqual', 'LessThan', 'LessThanOrEqual', 'Between', 'In', 'NotIn', 'IsSet', 'IsNotSet'],
  date: ['Equals', 'NotEquals', 'GreaterThan', 'GreaterThanOrEqual', 'LessThan', 'LessThanOrEqual', 'Between', 'IsSet', 'IsNotSet'],
  select: ['Equals', 'NotEquals', 'In', 'NotIn', 'IsSet', 'IsNotSet'],
  multi: ['Equals', 'Contains', 'NotContains', 'In', 'NotIn', 'IsSet', 'IsNotSet'],
  bool: ['Equals', 'NotEquals', 'IsSet', 'IsNotSet'],
} satisfies Record<string, OpName[]>;
type Kind = keyof typeof OPS;
/** Each Not… is NOT of this positive. */
const POSITIVE: Partial<Record<OpName, OpName>> = { NotEquals: 'Equals', NotContains: 'Contains', NotIn: 'In', IsNotSet: 'IsSet' };

type Val = string | number | boolean | string[];
interface Row {
  id: string;
  /** Standard fields and properties by key; dates as epoch ms; unset = undefined. */
  values: Record<string, Val | undefined>;
}
interface Target {
  ref: string;
  kind: Kind;
  field?: string;
  key?: string;
  defId?: string;
}
interface Filter {
  target: Target;
  op: OpName;
  value?: unknown;
  /** How the request names the target and the operator. */
  as: { ref: 'field' | 'key' | 'KEY' | 'id'; op: 'code' | 'name' };
}
interface Tree {
  groups: Filter[][];
  hatif: Filter[];
  query?: string;
  sorting?: string;
  skip: number;
}

/** Name folding as README.md describes it (case, hamza forms, ى/ي, ة/ه, accents, spaces), for this data's letters. */
const foldName = (s: string) =>
  s
    .toLowerCase()
    .replace(/[أإآ]/g, 'ا')
    .replace(/ة/g, 'ه')
    .replace(/ى/g, 'ي')
    .replace(/ë/g, 'e')
    .replace(/\s+/g, ' ')
    .trim();
const digits = (s: string) => s.replace(/\D/g, '');
/** The phone forms the generator writes: E.164, national (05…), or E.164 with spaces. */
const e164 = (s: string) => {
  const compact = s.replace(/\s/g, '');
  return compact.startsWith('05') ? `+966${compact.slice(1)}` : compact;
};
const dateOf = (s: string) => Date.parse(/^\d{4}-\d\d-\d\d$/.test(s) ? `${s}T00:00:00Z` : s);
const listOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

function positive(row: Row, f: Filter, op: OpName): boolean {
  const v = row.values[f.target.ref];
  if (op === 'IsSet') return v !== undefined;
  if (v === undefined) return false;
  const given = listOf(f.value);
  switch (f.target.kind) {
    case 'text':
    case 'name': {
      const norm = f.target.kind === 'name' ? foldName : (s: string) => s.toLowerCase();
      const x = norm(v as string);
      const ws = given.map((g) => norm(String(g).trim()));
      if (op === 'Equals') return x === ws[0];
      if (op === 'Contains') return x.includes(ws[0]!);
      if (op === 'StartsWith') return x.startsWith(ws[0]!);
      return ws.includes(x);
    }
    case 'phone': {
      const x = v as string;
      if (op === 'Contains') return digits(x).includes(digits(String(given[0])));
      if (op === 'StartsWith') return digits(x).startsWith(digits(String(given[0])));
      const ws = given.map((g) => e164(String(g)));
      return op === 'Equals' ? x === ws[0] : ws.includes(x);
    }
    case 'number':
    case 'date': {
      const x = v as number;
      const ws = given.map((g) => (f.target.kind === 'number' ? Number(g) : dateOf(String(g))));
      const [a, b] = ws as [number, number];
      const by: Record<string, () => boolean> = {
        Equals: () => x === a,
        GreaterThan: () => x > a,
        GreaterThanOrEqual: () => x >= a,
        LessThan: () => x < a,
        LessThanOrEqual: () => x <= a,
        Between: () => a <= x && x <= b,
        In: () => ws.includes(x),
      };
      return by[op]!();
    }
    case 'select': {
      const x = (v as string).toLowerCase();
      const ws = given.map((g) => String(g).trim().toLowerCase());
      return op === 'Equals' ? x === ws[0] : ws.includes(x);
    }
    case 'multi': {
      const x = new Set((v as string[]).map((s) => s.toLowerCase()));
      const ws = new Set(given.map((g) => String(g).toLowerCase()));
      if (op === 'Equals') return x.size === ws.size && [...ws].every((w) => x.has(w));
      if (op === 'Contains') return [...ws].every((w) => x.has(w));
      return [...ws].some((w) => x.has(w));
    }
    case 'bool':
      return v === (String(given[0]).toLowerCase() === 'true');
  }
}
const holds = (row: Row, f: Filter) => {
  const base = POSITIVE[f.op];
  return base ? !positive(row, f, base) : positive(row, f, f.op);
};
function freeText(row: Row, query: string) {
  const q = query.trim();
  if (!q) return true;
  const name = foldName(q) !== '' && foldName(row.values.name as string).includes(foldName(q));
  const compact = q.replace(/[\s+\-().]/g, '');
  // A whole Saudi number in national form is looked for as its E.164 digits.
  const wanted = /^0?5\d{8}$/.test(compact) ? `966${compact.replace(/^0/, '')}` : compact;
  const phone = /^\d{3,}$/.test(compact) && digits(row.values.phoneNumber as string).includes(wanted);
  const email = typeof row.values.email === 'string' && row.values.email.toLowerCase().includes(q.toLowerCase());
  return name || phone || email;
}
const expected = (rows: Row[], t: Tree) =>
  rows.filter((r) => t.hatif.every((f) => holds(r, f)) && (!t.groups.length || t.groups.some((g) => g.every((f) => holds(r, f)))) && (t.query === undefined || freeText(r, t.query)));

/** The order a sorting gives (the id breaks ties, in the first field's direction). */
function ordered(rows: Row[], sorting = 'CreationTime DESC') {
  const [field, dir] = sorting.split(' ') as [string, string];
  const ref = { CreationTime: 'creationTime', LastModificationTime: 'lastModificationTime', PhoneNumber: 'phoneNumber' }[field]!;
  const sign = dir === 'DESC' ? -1 : 1;
  const cmp = (a: Val | undefined, b: Val | undefined) => (a! < b! ? -1 : a! > b! ? 1 : 0);
  return [...rows].sort((a, b) => sign * (cmp(a.values[ref], b.values[ref]) || cmp(a.id, b.id)));
}

function toRequest(f: Filter) {
  const t = f.target;
  const ref = t.field ? { field: t.field } : f.as.ref === 'id' ? { propertyDefinitionId: t.defId } : { propertyKey: f.as.ref === 'KEY' ? t.key!.toUpperCase() : t.key };
  return { ...ref, operator: f.as.op === 'code' ? OP[f.op] : f.op, ...(f.value === undefined ? {} : { value: f.value }) };
}

/** A seeded generator for the data (fast-check draws the filters). */
function prng(seed: number) {
  let s = seed;
  const next = () => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { chance: (p: number) => next() < p, int, pick: <T>(xs: readonly T[]) => xs[int(xs.length)]! };
}

const FIRST = ['أحمد', 'احمد', 'إبراهيم', 'ابراهيم', 'فاطمة', 'فاطمه', 'ليلى', 'ليلي', 'Ahmed', 'AHMED', 'ahmed', 'Sara', 'SARA', 'Zoë', 'Zoe', 'Omar'];
const LAST = ['Ali', 'علي', 'Khan', 'الزهراء', 'Smith', '', 'عبد الله', ' Al  Harbi'];
const COMPANIES = ['Acme', 'ACME Corp', 'Globex', 'شركة النور', 'Net_Works', 'Net 100%', 'initech'];
const POSITIONS = ['Manager', 'manager', 'CTO', 'مدير', 'Sales Lead'];
const TIERS = ['Gold', 'gold', 'GOLD Star', 'Silver', 'Platinum Plus', 'ذهبي', 'فضي', 'a_b', '50%'];
const STAGES = ['Lead', 'Customer', 'VIP', 'Churned'];
const COLOURS = ['Red', 'Green', 'Blue', 'Yellow'];

test(`property: ${RUNS} random filter trees return exactly the contacts an in-memory evaluation returns`, async () => {
  const ws = await h.workspace();
  const r = prng(SEED);
  const defs = {
    tier: await define(ws, { name: 'Tier', type: 'Text' }),
    score: await define(ws, { name: 'Score', type: 'Number' }),
    stage: await define(ws, { name: 'Stage', type: 'Select', selectOptions: STAGES }),
    renewal: await define(ws, { name: 'Renewal', type: 'Date' }),
    consent: await define(ws, { name: 'Consent', type: 'Boolean' }),
    colours: await define(ws, { name: 'Colours', type: 'MultiSelect', selectOptions: COLOURS }),
    mobile: await define(ws, { name: 'Mobile', type: 'Phone' }),
  };
  const cased = (s: string) => r.pick([s, s.toLowerCase(), s.toUpperCase()]);
  const phones = new Set<string>();
  const phone = () => {
    for (;;) {
      const p = `+9665${r.pick(['0', '3', '4', '5', '6', '8', '9'])}${String(r.int(10_000_000)).padStart(7, '0')}`; // valid Saudi mobiles
      if (!phones.has(p)) return phones.add(p), p;
    }
  };
  const national = (p: string) => r.pick([p, `0${p.slice(4)}`, `${p.slice(0, 4)} ${p.slice(4, 6)} ${p.slice(6)}`]);
  const ids: string[] = [];
  for (let i = 0; i < 60; i++) {
    const properties: Record<string, unknown> = {};
    if (r.chance(0.6)) properties.tier = r.pick(TIERS);
    if (r.chance(0.6)) properties.score = r.chance(0.3) ? r.int(40) - 10 + 0.5 : r.int(40) - 10;
    if (r.chance(0.6)) properties.stage = cased(r.pick(STAGES));
    if (r.chance(0.6)) {
      const day = `2026-${String(1 + r.int(3)).padStart(2, '0')}-${String(1 + r.int(28)).padStart(2, '0')}`;
      properties.renewal = r.chance(0.7) ? day : `${day}T${String(r.int(24)).padStart(2, '0')}:30:00Z`;
    }
    if (r.chance(0.6)) properties.consent = r.pick([true, false, 'yes', 'no']);
    if (r.chance(0.6)) properties.colours = COLOURS.filter(() => r.chance(0.4)).map(cased).concat(cased(r.pick(COLOURS)));
    if (r.chance(0.6)) properties.mobile = national(r.chance(0.2) && phones.size ? [...phones][r.int(phones.size)]! : phone());
    const p = phone();
    const contact = await create(ws, {
      name: `${r.pick(FIRST)} ${r.pick(LAST)}`,
      phoneNumber: national(p),
      email: r.chance(0.6) ? `${r.pick(['ahmed', 'Sara.K', 'omar_1', 'layla'])}${r.int(20)}@${r.pick(['example.com', 'Example.org', 'mail.sa'])}` : null,
      company: r.chance(0.5) ? r.pick(COMPANIES) : null,
      position: r.chance(0.4) ? r.pick(POSITIONS) : null,
      properties,
    });
    assert.equal(contact.customProperties.length, Object.keys(properties).length);
    ids.push(contact.id);
    h.clock.advance(r.pick([0, 1, 1000, 30_000]));
  }
  for (const id of ids) {
    if (!r.chance(0.3)) continue;
    h.clock.advance(r.pick([1, 5000]));
    assert.equal((await ws.api('PUT', `/v1/contacts/${id}`, { position: `Updated ${r.int(3)}` })).statusCode, 200);
  }
  // The model's rows, from what the API reads back.
  const all = await search(ws, { maxResultCount: 1000 });
  assert.equal(all.totalCount, 60);
  const rows: Row[] = all.items.map((c) => {
    const values: Row['values'] = {
      name: c.name,
      phoneNumber: c.phoneNumber,
      email: c.email ?? undefined,
      company: c.company ?? undefined,
      position: c.position ?? undefined,
      creationTime: Date.parse(c.creationTime),
      lastModificationTime: Date.parse(c.lastModificationTime),
    };
    for (const p of c.customProperties) values[p.propertyKey] = p.propertyKey === 'renewal' ? Date.parse(p.value as string) : (p.value as Val);
    return { id: c.id, values };
  });

  const fields: Target[] = [
    { ref: 'name', kind: 'name', field: 'name' },
    { ref: 'phoneNumber', kind: 'phone', field: 'phoneNumber' },
    { ref: 'email', kind: 'text', field: 'email' },
    { ref: 'company', kind: 'text', field: 'company' },
    { ref: 'position', kind: 'text', field: 'position' },
    { ref: 'creationTime', kind: 'date', field: 'creationTime' },
    { ref: 'lastModificationTime', kind: 'date', field: 'lastModificationTime' },
  ];
  const kinds: Record<keyof typeof defs, Kind> = { tier: 'text', score: 'number', stage: 'select', renewal: 'date', consent: 'bool', colours: 'multi', mobile: 'phone' };
  const properties: Target[] = Object.entries(defs).map(([key, def]) => ({ ref: key, kind: kinds[key as keyof typeof defs], key, defId: def.id }));
  const pool = (ref: string) => [...new Set(rows.map((row) => row.values[ref]).filter((v) => v !== undefined))];

  // Values drawn from the data (and near it), in the forms a client sends.
  const caseOf = (s: string) => fc.constantFrom(s, s.toLowerCase(), s.toUpperCase());
  const piece = (values: string[], prefix: boolean) =>
    fc.tuple(fc.constantFrom(...values), fc.nat(), fc.nat()).chain(([s, a, b]) => {
      const start = prefix ? 0 : a % s.length;
      const part = s.slice(start, start + 1 + (b % (s.length - start))).trim() || s.trim();
      return caseOf(part);
    });
  const iso = (ms: number) => new Date(ms).toISOString();
  function valueFor(t: Target, op: OpName): fc.Arbitrary<unknown> {
    if (op === 'IsSet' || op === 'IsNotSet') return fc.constant(undefined);
    const many = (one: fc.Arbitrary<unknown>) => (op === 'In' || op === 'NotIn' ? fc.array(one, { minLength: 1, maxLength: 3 }) : one);
    switch (t.kind) {
      case 'text':
      case 'name': {
        const values = pool(t.ref) as string[];
        if (op === 'Contains' || op === 'NotContains') return fc.oneof({ weight: 4, arbitrary: piece(values, false) }, fc.constant('qq'));
        if (op === 'StartsWith') return piece(values, true);
        const names = t.kind === 'name' ? FIRST.concat(LAST.filter(Boolean).map((l) => `Sara ${l}`)) : [];
        return many(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...values).chain(caseOf) }, fc.constantFrom('nobody', ...names)));
      }
      case 'phone': {
        const values = pool(t.ref) as string[];
        if (op === 'Contains' || op === 'NotContains') return piece(values.map((p) => p.slice(1)), false).filter((d) => /^\d+$/.test(d));
        if (op === 'StartsWith') return fc.tuple(fc.constantFrom(...values), fc.integer({ min: 2, max: 9 }), fc.boolean()).map(([p, n, plus]) => (plus ? p.slice(0, n) : p.slice(1, n)));
        return many(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...values).chain((p) => fc.constantFrom(p, `0${p.slice(4)}`, `${p.slice(0, 4)} ${p.slice(4, 6)} ${p.slice(6)}`)) }, fc.constant('+966599999999')));
      }
      case 'number': {
        const values = pool(t.ref) as number[];
        const one = fc.oneof(fc.constantFrom(...values), fc.constantFrom(...values).map((v) => v + 0.5), fc.integer({ min: -15, max: 35 })).chain((n) => fc.constantFrom<number | string>(n, String(n)));
        return op === 'Between' ? fc.tuple(one, one) : many(one);
      }
      case 'date': {
        const values = pool(t.ref) as number[];
        const one = fc.oneof(
          fc.constantFrom(...values).map(iso),
          fc.tuple(fc.constantFrom(...values), fc.constantFrom(-1, 1)).map(([v, d]) => iso(v + d)),
          fc.constantFrom(...values).map((v) => iso(v).slice(0, 10)),
        );
        return op === 'Between' ? fc.tuple(one, one) : one;
      }
      case 'select':
        return many(fc.constantFrom(...STAGES).chain(caseOf));
      case 'multi':
        return fc.array(fc.constantFrom(...COLOURS).chain(caseOf), { minLength: 1, maxLength: 3 });
      case 'bool':
        return fc.constantFrom(true, false, 'true', 'FALSE');
    }
  }
  const as = fc.record({ ref: fc.constantFrom<Filter['as']['ref']>('key', 'KEY', 'id'), op: fc.constantFrom<Filter['as']['op']>('code', 'name') });
  const filterOn = (targets: Target[], positiveOnly = false): fc.Arbitrary<Filter> =>
    fc
      .constantFrom(...targets)
      .chain((target) =>
        fc
          .constantFrom(...OPS[target.kind].filter((op) => !positiveOnly || !POSITIVE[op]))
          .chain((op) => fc.record({ target: fc.constant(target), op: fc.constant(op), value: valueFor(target, op), as })),
      ) as fc.Arbitrary<Filter>;
  const query = fc.oneof(
    piece(rows.map((row) => row.values.name as string), false).filter((q) => q.length >= 2),
    piece(rows.map((row) => (row.values.phoneNumber as string).slice(1)), false).filter((q) => q.length >= 4),
    fc.constantFrom(...rows.map((row) => row.values.phoneNumber as string)).chain((p) => fc.constantFrom(`0${p.slice(4)}`, p.slice(4), `${p.slice(0, 4)} ${p.slice(4, 6)} ${p.slice(6)}`)),
    piece(pool('email') as string[], false).filter((q) => q.length >= 3),
  );
  // Mixed trees (fields, Not… operators, free text), and trees of positive property tests only
  // (counted from contact_values alone).
  const treeOf = (targets: Target[], positiveOnly: boolean): fc.Arbitrary<Tree> =>
    fc.record({
      groups: fc.array(fc.array(filterOn(targets, positiveOnly), { minLength: 1, maxLength: 3 }), { maxLength: 3 }),
      hatif: fc.array(filterOn(properties, positiveOnly).map((f) => ({ ...f, as: { ...f.as, ref: 'id' as const } })), { maxLength: 2 }),
      query: positiveOnly ? fc.constant(undefined) : fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: query }),
      sorting: fc.constantFrom(undefined, 'CreationTime ASC', 'PhoneNumber ASC', 'PhoneNumber DESC', 'LastModificationTime DESC'),
      skip: fc.nat({ max: 6 }),
    });
  const tree = fc.oneof({ weight: 2, arbitrary: treeOf([...fields, ...properties], false) }, { weight: 1, arbitrary: treeOf(properties, true) });

  const paths = { positive: 0, other: 0, empty: 0 };
  await fc.assert(
    fc.asyncProperty(tree, async (t) => {
      const body = {
        ...(t.groups.length ? { filterGroups: t.groups.map((g) => ({ filters: g.map(toRequest) })) } : {}),
        ...(t.hatif.length ? { customPropertyFilters: t.hatif.map((f) => ({ propertyDefinitionId: f.target.defId, operator: toRequest(f).operator, value: f.value })) } : {}),
        ...(t.query === undefined ? {} : { query: t.query }),
        ...(t.sorting ? { sorting: t.sorting } : {}),
      };
      const want = ordered(expected(rows, t), t.sorting).map((row) => row.id);
      const leaves = [...t.groups.flat(), ...t.hatif];
      if (!want.length) paths.empty++;
      else if (leaves.length && t.query === undefined && leaves.every((f) => f.target.key && !POSITIVE[f.op])) paths.positive++;
      else paths.other++;

      const got = await search(ws, { ...body, maxResultCount: 1000 });
      const gotIds = got.items.map((c) => c.id);
      const show = (id: string) => JSON.stringify(rows.find((row) => row.id === id)!.values);
      assert.deepEqual(
        { missing: want.filter((id) => !gotIds.includes(id)).map(show), extra: gotIds.filter((id) => !want.includes(id)).map(show) },
        { missing: [], extra: [] },
        JSON.stringify(body),
      );
      assert.deepEqual(gotIds, want, `order of ${t.sorting ?? 'CreationTime DESC'}`);
      assert.equal(got.totalCount, want.length);
      const page = await search(ws, { ...body, skipCount: t.skip, maxResultCount: 2 });
      assert.equal(page.totalCount, want.length, `totalCount of the page at ${t.skip}: ${JSON.stringify(body)}`);
      assert.deepEqual(
        page.items.map((c) => c.id),
        want.slice(t.skip, t.skip + 2),
      );
    }),
    { seed: SEED, numRuns: RUNS },
  );
  // The runs reached both count paths and both kinds of answer.
  assert.ok(paths.positive >= 10 && paths.other >= 10 && paths.empty >= 5, JSON.stringify(paths));
});
