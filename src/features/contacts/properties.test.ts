import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertError } from '../../../test/helpers/assert.js';
import { build, json, type Workspace } from '../../../test/helpers/build.js';

const h = await build();
const DEFS = '/v1/contact-property-definitions';
const MISSING = '01890000-0000-7000-8000-000000000000';
const DEF_KEYS = ['creationTime', 'creatorId', 'id', 'isRequired', 'key', 'lastModificationTime', 'lastModifierId', 'name', 'selectOptions', 'type', 'workspaceId'];

interface Value {
  propertyDefinitionId: string;
  propertyName: string;
  propertyKey: string;
  propertyType: number;
  textValue: string | null;
  numberValue: number | null;
  dateValue: string | null;
  selectValue: string | null;
  booleanValue: boolean | null;
  selectValues: string[] | null;
  value: unknown;
}
interface Contact {
  id: string;
  lastModificationTime: string;
  customProperties: Value[];
}
interface HistoryItem {
  propertyName: string;
  oldValue: string | null;
  newValue: string | null;
  creationTime: string;
}

async function define(ws: Workspace, body: Record<string, unknown>) {
  const res = await ws.api('POST', DEFS, body);
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}
async function contact(ws: Workspace, phoneNumber: string, extra: Record<string, unknown> = {}): Promise<Contact> {
  const res = await ws.api('POST', '/v1/contacts', { phoneNumber, ...extra });
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}
async function setValue(ws: Workspace, contactId: string, defId: string, body: unknown): Promise<Contact> {
  const res = await ws.api('PUT', `/v1/contacts/${contactId}/properties/${defId}`, body);
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}
const get = async (ws: Workspace, id: string): Promise<Contact> => json(await ws.api('GET', `/v1/contacts/${id}`));
const valueOf = (c: Contact, defId: string) => c.customProperties.find((p) => p.propertyDefinitionId === defId);
const valuesOf = async (ws: Workspace, id: string) => Object.fromEntries((await get(ws, id)).customProperties.map((p) => [p.propertyKey, p.value]));
const history = async (ws: Workspace, id: string, take = 100): Promise<HistoryItem[]> => json(await ws.api('GET', `/v1/contacts/${id}/history?MaxResultCount=${take}`)).items;
const changes = (items: HistoryItem[]) => items.map((i) => `${i.propertyName}: ${i.oldValue} → ${i.newValue}`);
const stats = async (ws: Workspace, id: string, query = '') => {
  const res = await ws.api('GET', `${DEFS}/${id}/statistics${query}`);
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
};

test('definitions: create (PascalCase and camelCase), list as a bare array, partial update, delete → 204', async () => {
  const ws = await h.workspace();
  const now = h.clock.now().toISOString();
  const status = await define(ws, { Name: 'Status3', Type: 3, IsRequired: true, SelectOptions: [{ Value: 'Lead', Color: '#FF5733' }, { Value: 'VIP', Color: null }] });
  assert.deepEqual(Object.keys(status).sort(), DEF_KEYS);
  assert.deepEqual(
    { ...status, id: '<id>' },
    {
      id: '<id>',
      workspaceId: ws.id,
      name: 'Status3',
      key: 'status3',
      type: 3,
      isRequired: true,
      selectOptions: [
        { value: 'Lead', color: '#FF5733' },
        { value: 'VIP', color: null },
      ],
      lastModificationTime: null,
      lastModifierId: null,
      creationTime: now,
      creatorId: ws.serviceAccountId,
    },
  );
  h.clock.advance(1000);
  const source = await define(ws, { name: 'Lead Source', type: 'Text' });
  assert.deepEqual([source.key, source.type, source.isRequired, source.selectOptions], ['lead_source', 1, false, []]);
  h.clock.advance(1000);
  // The documented create body (spec §3.20), the type by name in any case, options as plain strings.
  const documented = await define(ws, {
    name: 'Stage',
    type: 'Select',
    isRequired: false,
    selectOptions: [
      { value: 'Lead', color: '#FF5733' },
      { value: 'Customer', color: '#33FF57' },
      { value: 'VIP', color: null },
    ],
  });
  assert.deepEqual([documented.type, documented.key, documented.selectOptions.length], [3, 'stage', 3]);
  assert.equal((await ws.api('DELETE', `${DEFS}/${documented.id}`)).statusCode, 204);
  const tags = await define(ws, { name: 'Tags', type: 'multiselect', selectOptions: ['Red', ' Green '] });
  assert.deepEqual(tags.selectOptions, [
    { value: 'Red', color: null },
    { value: 'Green', color: null },
  ]);
  assert.equal(tags.type, 6);

  const listed = await ws.api('GET', DEFS);
  assert.equal(listed.statusCode, 200);
  assert.ok(Array.isArray(json(listed)), 'a bare array, as documented');
  assert.deepEqual(json(listed), [status, source, tags], 'in creation order');

  h.clock.advance(1000);
  const required = json(await ws.api('PUT', `${DEFS}/${source.id}`, { IsRequired: true }));
  assert.deepEqual([required.name, required.key, required.type, required.isRequired], ['Lead Source', 'lead_source', 1, true], 'absent fields are kept');
  assert.equal(required.lastModificationTime, h.clock.now().toISOString());
  assert.equal(required.lastModifierId, ws.serviceAccountId);
  const renamed = json(await ws.api('PUT', `${DEFS}/${source.id}`, { name: 'Source of lead', isRequired: null }));
  assert.deepEqual([renamed.name, renamed.key, renamed.isRequired, renamed.type], ['Source of lead', 'source_of_lead', true, 1]);
  // The documented update body (spec §3.19).
  const recoloured = json(
    await ws.api('PUT', `${DEFS}/${status.id}`, {
      name: 'Status3',
      isRequired: true,
      selectOptions: [
        { value: 'Lead', color: '#FF5733' },
        { value: 'Customer', color: '#33FF57' },
        { value: 'VIP', color: '#5733FF' },
        { value: 'Churned', color: '#888888' },
      ],
    }),
  );
  assert.deepEqual(recoloured.selectOptions, [
    { value: 'Lead', color: '#FF5733' },
    { value: 'Customer', color: '#33FF57' },
    { value: 'VIP', color: '#5733FF' },
    { value: 'Churned', color: '#888888' },
  ]);
  assert.deepEqual([recoloured.name, recoloured.key, recoloured.type], ['Status3', 'status3', 3]);
  const plain = json(await ws.api('PUT', `${DEFS}/${status.id}`, { selectOptions: ['Lead', { Value: 'VIP', Color: '#111111' }] }));
  assert.deepEqual(plain.selectOptions, [
    { value: 'Lead', color: null },
    { value: 'VIP', color: '#111111' },
  ]);

  const deleted = await ws.api('DELETE', `${DEFS}/${tags.id}`);
  assert.equal(deleted.statusCode, 204);
  assert.equal(deleted.body, '');
  assert.deepEqual(
    json(await ws.api('GET', DEFS)).map((d: { id: string }) => d.id),
    [status.id, source.id],
  );
  assertError(await ws.api('DELETE', `${DEFS}/${tags.id}`), 404, 'Wasl:ContactProperty:NotFound');
  assertError(await ws.api('PUT', `${DEFS}/${MISSING}`, { name: 'x' }), 404, 'Wasl:ContactProperty:NotFound');
  assertError(await ws.api('GET', `${DEFS}/${MISSING}/statistics`), 404, 'Wasl:ContactProperty:NotFound');
  assert.deepEqual(json(await (await h.workspace()).api('GET', DEFS)), [], 'per workspace');
});

test('definitions: key derived from the name (any script), unique per workspace → 409', async () => {
  const ws = await h.workspace();
  const cases: [string, string][] = [
    ['Lead Source', 'lead_source'],
    ['الحالة الاجتماعية', 'الحالة_الاجتماعية'],
    ['  Score (0-100)! ', 'score_0_100'],
    ['Ünïcode Näme', 'ünïcode_näme'],
    ['ＦＵＬＬ width', 'full_width'],
    ['!!!', 'property'],
  ];
  for (const [name, key] of cases) {
    const def = await define(ws, { name, type: 'Text' });
    assert.equal(def.key, key, name);
    assert.equal(def.name, name.trim());
  }
  for (const name of ['lead-source', 'LEAD SOURCE', 'Lead  Source', '?!?']) {
    const dup = await ws.api('POST', DEFS, { name, type: 'Number' });
    assertError(dup, 409, 'Wasl:ContactProperty:DuplicateName');
    assert.equal(json(dup).error.data.key, name === '?!?' ? 'property' : 'lead_source');
  }
  const other = await define(ws, { name: 'Other', type: 'Text' });
  assertError(await ws.api('PUT', `${DEFS}/${other.id}`, { name: 'lead_source' }), 409, 'Wasl:ContactProperty:DuplicateName');
  assert.equal(json(await ws.api('GET', DEFS)).length, cases.length + 1, 'no definition was added');
  assert.equal((await define(await h.workspace(), { name: 'Lead Source', type: 'Text' })).key, 'lead_source', 'keys are per workspace');
});

test('definitions: bad input → 400 naming the member, and writes nothing', async () => {
  const ws = await h.workspace();
  const cases: [unknown, string][] = [
    [{ type: 'Text' }, 'name'],
    [{ name: 'x' }, 'type'],
    [{ name: '   ', type: 1 }, 'name'],
    [{ name: 'x'.repeat(101), type: 1 }, 'name'],
    [{ name: 'x', type: 10 }, 'type'],
    [{ name: 'x', type: 'Rainbow' }, 'type'],
    [{ name: 'x', type: 'Number', isRequired: 'yes' }, 'isRequired'],
    [{ name: 'x', type: 'Select' }, 'selectOptions'],
    [{ name: 'x', type: 'Select', selectOptions: [] }, 'selectOptions'],
    [{ name: 'x', type: 'MultiSelect', selectOptions: null }, 'selectOptions'],
    [{ name: 'x', type: 'Text', selectOptions: ['a'] }, 'selectOptions'],
    [{ name: 'x', type: 'Select', selectOptions: ['a', ' A '] }, 'selectOptions[1].value'],
  ];
  for (const [body, member] of cases) assertError(await ws.api('POST', DEFS, body), 400, 'Wasl:ValidationFailed', [member]);
  assert.deepEqual(json(await ws.api('GET', DEFS)), []);

  const sel = await define(ws, { name: 'Sel', type: 'Select', selectOptions: ['a'] });
  assertError(await ws.api('PUT', `${DEFS}/${sel.id}`, { selectOptions: [] }), 400, 'Wasl:ValidationFailed', ['selectOptions']);
  assertError(await ws.api('PUT', `${DEFS}/${sel.id}`, { type: 'Date', selectOptions: ['a'] }), 400, 'Wasl:ValidationFailed', ['selectOptions']);
  assertError(await ws.api('PUT', `${DEFS}/${sel.id}`, { name: '' }), 400, 'Wasl:ValidationFailed', ['name']);
  const text = await define(ws, { name: 'Txt', type: 'Text' });
  assertError(await ws.api('PUT', `${DEFS}/${text.id}`, { type: 'Select' }), 400, 'Wasl:ValidationFailed', ['selectOptions']);
  assert.deepEqual(json(await ws.api('GET', DEFS)), [sel, text], 'unchanged');
});

test('values: PUT answers the whole contact with the value typed per type; null, "" and DELETE remove it', async () => {
  const ws = await h.workspace();
  const defs = {
    text: await define(ws, { name: 'Note Text', type: 'Text' }),
    number: await define(ws, { name: 'Score', type: 'Number' }),
    select: await define(ws, { name: 'Status', type: 'Select', selectOptions: ['Lead', 'VIP'] }),
    date: await define(ws, { name: 'Birthday', type: 'Date' }),
    bool: await define(ws, { name: 'Consent', type: 'Boolean' }),
    multi: await define(ws, { name: 'Colours', type: 'MultiSelect', selectOptions: ['Red', 'Green', 'Blue'] }),
    url: await define(ws, { name: 'Website', type: 'Url' }),
    email: await define(ws, { name: 'Work Email', type: 'Email' }),
    phone: await define(ws, { name: 'Office Phone', type: 'Phone' }),
  };
  const c = await contact(ws, '+966500000101', { name: 'Typed' });
  const empty = { textValue: null, numberValue: null, dateValue: null, selectValue: null, booleanValue: null, selectValues: null };
  const cases: [keyof typeof defs, unknown, Partial<Value>][] = [
    ['text', ' hello ', { textValue: 'hello', value: 'hello' }],
    ['number', '12', { numberValue: 12, value: 12 }],
    ['number', 12.5, { numberValue: 12.5, value: 12.5 }],
    ['number', ' -3 ', { numberValue: -3, value: -3 }],
    ['select', 'vip', { selectValue: 'VIP', value: 'VIP' }],
    ['date', '2026-03-01', { dateValue: '2026-03-01T00:00:00.000Z', value: '2026-03-01T00:00:00.000Z' }],
    ['date', '2026-03-01T10:00:00+03:00', { dateValue: '2026-03-01T07:00:00.000Z', value: '2026-03-01T07:00:00.000Z' }],
    ['date', '2026-03-01T10:00', { dateValue: '2026-03-01T10:00:00.000Z', value: '2026-03-01T10:00:00.000Z' }],
    ['bool', 'yes', { booleanValue: true, value: true }],
    ['bool', false, { booleanValue: false, value: false }],
    ['bool', '1', { booleanValue: true, value: true }],
    ['multi', ['red', 'GREEN', 'red'], { selectValues: ['Red', 'Green'], selectValue: 'Red, Green', value: ['Red', 'Green'] }],
    ['multi', 'Blue; red', { selectValues: ['Blue', 'Red'], selectValue: 'Blue, Red', value: ['Blue', 'Red'] }],
    ['url', 'https://example.com/a?b=1', { textValue: 'https://example.com/a?b=1', value: 'https://example.com/a?b=1' }],
    ['email', 'Sales@Example.COM', { textValue: 'sales@example.com', value: 'sales@example.com' }],
    ['phone', '0500000001', { textValue: '+966500000001', value: '+966500000001' }],
  ];
  for (const [i, [kind, value, expected]] of cases.entries()) {
    const def = defs[kind];
    const body = i % 2 ? { Value: value } : { value };
    const answer = await setValue(ws, c.id, def.id, body);
    assert.deepEqual(Object.keys(answer).sort(), Object.keys(c).sort(), 'the whole contact');
    assert.deepEqual(valueOf(answer, def.id), { propertyDefinitionId: def.id, propertyName: def.name, propertyKey: def.key, propertyType: def.type, ...empty, ...expected }, `${kind} ${JSON.stringify(value)}`);
    assert.deepEqual(await get(ws, c.id), answer);
  }
  const all = await get(ws, c.id);
  assert.deepEqual(
    all.customProperties.map((p) => p.propertyName),
    ['Birthday', 'Colours', 'Consent', 'Note Text', 'Office Phone', 'Score', 'Status', 'Website', 'Work Email'],
    'one value per property, sorted by name',
  );

  h.clock.advance(1000);
  const removed = await setValue(ws, c.id, defs.text.id, { value: null });
  assert.equal(valueOf(removed, defs.text.id), undefined);
  assert.equal(removed.lastModificationTime, h.clock.now().toISOString());
  assert.equal(valueOf(await setValue(ws, c.id, defs.number.id, { value: '' }), defs.number.id), undefined, '"" removes');
  const deleted = await ws.api('DELETE', `/v1/contacts/${c.id}/properties/${defs.select.id}`);
  assert.equal(deleted.statusCode, 200, deleted.body);
  assert.equal(valueOf(json(deleted), defs.select.id), undefined);
  assert.equal(json<Contact>(deleted).customProperties.length, 6);
  h.clock.advance(1000);
  const again = await ws.api('DELETE', `/v1/contacts/${c.id}/properties/${defs.select.id}`);
  assert.equal(again.statusCode, 200, 'removing an unset value is no error');
  assert.deepEqual(json(again), json(deleted), 'and changes nothing');
});

test('values: a value that does not fit its type → 400 naming the member; nothing changes', async () => {
  const ws = await h.workspace();
  const d = {
    text: await define(ws, { name: 'T', type: 'Text' }),
    number: await define(ws, { name: 'N', type: 'Number' }),
    select: await define(ws, { name: 'S', type: 'Select', selectOptions: ['Lead', 'VIP'] }),
    date: await define(ws, { name: 'D', type: 'Date' }),
    bool: await define(ws, { name: 'B', type: 'Boolean' }),
    multi: await define(ws, { name: 'M', type: 'MultiSelect', selectOptions: ['Red', 'Green'] }),
    url: await define(ws, { name: 'U', type: 'Url' }),
    email: await define(ws, { name: 'E', type: 'Email' }),
    phone: await define(ws, { name: 'P', type: 'Phone' }),
  };
  const c = await contact(ws, '+966500000102', { properties: { n: 1 } });
  const bad: [keyof typeof d, unknown][] = [
    ['text', '   '],
    ['text', ['a']],
    ['number', 'abc'],
    ['number', true],
    ['number', '12abc'],
    ['select', 'Customer'],
    ['select', ['Lead']],
    ['date', '2026-13-45'],
    ['date', '01/03/2026'],
    ['date', 'tomorrow'],
    ['date', 20260301],
    ['bool', 'maybe'],
    ['bool', 2],
    ['multi', ['Red', 'Purple']],
    ['multi', []],
    ['multi', 'Purple'],
    ['url', 'ftp://example.com/file'],
    ['url', 'not a url'],
    ['email', 'nope'],
    ['phone', '12'],
    ['phone', 'call me'],
  ];
  for (const [kind, value] of bad) {
    assertError(await ws.api('PUT', `/v1/contacts/${c.id}/properties/${d[kind].id}`, { value }), 400, 'Wasl:ValidationFailed', ['value']);
  }
  assertError(await ws.api('PUT', `/v1/contacts/${c.id}/properties/${d.text.id}`, {}), 400, 'Wasl:ValidationFailed', ['value']);
  assertError(await ws.api('PUT', `/v1/contacts/${c.id}/properties/${d.text.id}`, { value: { a: 1 } }), 400, 'Wasl:ValidationFailed', ['value']);
  assertError(await ws.api('PUT', `/v1/contacts/${c.id}`, { properties: { s: 'Customer' } }), 400, 'Wasl:ValidationFailed', ['properties.s']);
  assertError(await ws.api('PUT', `/v1/contacts/${c.id}`, { properties: { n: 'many', s: 'Lead' } }), 400, 'Wasl:ValidationFailed', ['properties.n']);
  assert.deepEqual(await valuesOf(ws, c.id), { n: 1 }, 'nothing changed');
  assert.equal((await history(ws, c.id)).length, 3, 'only the creation is in history (name, phone, n)');
});

test('values through the contact body: properties by key (any case) or id, null removes', async () => {
  const ws = await h.workspace();
  const score = await define(ws, { name: 'Score', type: 'Number' });
  const status = await define(ws, { name: 'Status', type: 'Select', selectOptions: ['Lead', 'VIP'] });
  const c = await contact(ws, '+966500000103', { Properties: { SCORE: '7', [status.id]: 'lead' } });
  assert.deepEqual(await valuesOf(ws, c.id), { score: 7, status: 'Lead' });
  const updated = await ws.api('PUT', `/v1/contacts/${c.id}`, { properties: { score: null, status: 'VIP' } });
  assert.equal(updated.statusCode, 200, updated.body);
  assert.deepEqual(await valuesOf(ws, c.id), { status: 'VIP' });
  assert.equal(valueOf(json(updated), score.id), undefined);
});

test('history: every property value change with its old and new text', async () => {
  const ws = await h.workspace();
  const score = await define(ws, { name: 'Score', type: 'Number' });
  const tags = await define(ws, { name: 'Tags', type: 'MultiSelect', selectOptions: ['Red', 'Green', 'Blue'] });
  const day = await define(ws, { name: 'Renewal', type: 'Date' });
  const c = await contact(ws, '+966500000104', { name: 'Hist', properties: { score: 1 } });
  assert.deepEqual(changes(await history(ws, c.id)).sort(), ['Name: null → Hist', 'PhoneNumber: null → +966500000104', 'Score: null → 1']);
  const steps: [() => Promise<unknown>, string[]][] = [
    [() => setValue(ws, c.id, score.id, { value: 12.5 }), ['Score: 1 → 12.5']],
    [() => setValue(ws, c.id, tags.id, { value: ['Red', 'green'] }), ['Tags: null → Red, Green']],
    [() => setValue(ws, c.id, tags.id, { value: ['Blue'] }), ['Tags: Red, Green → Blue']],
    [() => setValue(ws, c.id, day.id, { value: '2026-05-01' }), ['Renewal: null → 2026-05-01T00:00:00.000Z']],
    [() => ws.api('DELETE', `/v1/contacts/${c.id}/properties/${score.id}`), ['Score: 12.5 → null']],
    [() => ws.api('PUT', `/v1/contacts/${c.id}`, { properties: { renewal: null, tags: 'red' } }), ['Renewal: 2026-05-01T00:00:00.000Z → null', 'Tags: Blue → Red']],
  ];
  for (const [step, expected] of steps) {
    h.clock.advance(60_000);
    await step();
    const latest = await history(ws, c.id, expected.length);
    assert.deepEqual(changes(latest).sort(), expected.sort());
    assert.ok(latest.every((i) => i.creationTime === h.clock.now().toISOString()));
  }
  const before = (await history(ws, c.id)).length;
  await setValue(ws, c.id, tags.id, { value: 'RED' });
  assert.equal((await history(ws, c.id)).length, before, 'the same value again is no change');
});

test('type change: compatible values convert (Text "12" → Number 12 …), incompatible ones → 409 and nothing changes', async () => {
  const ws = await h.workspace();
  const a = await contact(ws, '+966500000111');
  const b = await contact(ws, '+966500000112');
  const c = await contact(ws, '+966500000113');

  const score = await define(ws, { name: 'Score', type: 'Text' });
  await setValue(ws, a.id, score.id, { value: '12' });
  await setValue(ws, b.id, score.id, { value: '7.5' });
  const asNumber = json(await ws.api('PUT', `${DEFS}/${score.id}`, { type: 'Number' }));
  assert.equal(asNumber.type, 2);
  const converted = valueOf(await get(ws, a.id), score.id)!;
  assert.deepEqual([converted.numberValue, converted.textValue, converted.value, converted.propertyType], [12, null, 12, 2]);
  assert.equal(valueOf(await get(ws, b.id), score.id)!.value, 7.5);
  const bigger = json(await ws.api('POST', '/v1/contacts/search', { customPropertyFilters: [{ propertyDefinitionId: score.id, operator: 'GreaterThan', value: 10 }] }));
  assert.deepEqual(
    bigger.items.map((x: { id: string }) => x.id),
    [a.id],
    'searched as a number',
  );
  assert.equal(json(await ws.api('PUT', `${DEFS}/${score.id}`, { type: 'Text' })).type, 1);
  assert.equal(valueOf(await get(ws, b.id), score.id)!.value, '7.5', 'and back to text');

  const code = await define(ws, { name: 'Code', type: 'Text' });
  await setValue(ws, a.id, code.id, { value: '12' });
  await setValue(ws, b.id, code.id, { value: 'abc' });
  await setValue(ws, c.id, code.id, { value: 'x1' });
  const refused = await ws.api('PUT', `${DEFS}/${code.id}`, { type: 'Number', name: 'Code Renamed', isRequired: true });
  assertError(refused, 409, 'Wasl:ContactProperty:IncompatibleValues');
  assert.equal(json(refused).error.data.count, 2);
  const unchanged = json(await ws.api('GET', DEFS)).find((d: { id: string }) => d.id === code.id);
  assert.deepEqual(unchanged, code, 'nothing changed: not the type, the name or isRequired');
  assert.deepEqual(
    [await valuesOf(ws, a.id), await valuesOf(ws, b.id), await valuesOf(ws, c.id)].map((v) => v.code),
    ['12', 'abc', 'x1'],
  );

  const flag = await define(ws, { name: 'Flag', type: 'Text' });
  await setValue(ws, a.id, flag.id, { value: 'yes' });
  await setValue(ws, b.id, flag.id, { value: 'FALSE' });
  assert.equal(json(await ws.api('PUT', `${DEFS}/${flag.id}`, { type: 'Boolean' })).type, 5);
  assert.deepEqual([(await valuesOf(ws, a.id)).flag, (await valuesOf(ws, b.id)).flag], [true, false]);

  const when = await define(ws, { name: 'When', type: 'Text' });
  await setValue(ws, a.id, when.id, { value: '2026-02-03' });
  assert.equal(json(await ws.api('PUT', `${DEFS}/${when.id}`, { type: 'Date' })).type, 4);
  assert.equal((await valuesOf(ws, a.id)).when, '2026-02-03T00:00:00.000Z');
  await setValue(ws, b.id, when.id, { value: '2026-02-04' });
  assertError(await ws.api('PUT', `${DEFS}/${when.id}`, { type: 'Number' }), 409, 'Wasl:ContactProperty:IncompatibleValues');
  assert.equal(json(await ws.api('GET', DEFS)).find((d: { id: string }) => d.id === when.id).type, 4, 'dates do not become numbers');

  const stage = await define(ws, { name: 'Stage', type: 'Text' });
  await setValue(ws, a.id, stage.id, { value: 'lead' });
  await setValue(ws, b.id, stage.id, { value: 'Customer' });
  const asSelect = json(await ws.api('PUT', `${DEFS}/${stage.id}`, { type: 'Select', selectOptions: ['Lead', 'Customer', 'VIP'] }));
  assert.equal(asSelect.type, 3);
  assert.equal(valueOf(await get(ws, a.id), stage.id)!.selectValue, 'Lead', 'stored as the option is spelled');
  const asMulti = json(await ws.api('PUT', `${DEFS}/${stage.id}`, { type: 'MultiSelect' }));
  assert.equal(asMulti.type, 6);
  assert.deepEqual(asMulti.selectOptions, asSelect.selectOptions, 'options kept');
  assert.deepEqual((await valuesOf(ws, b.id)).stage, ['Customer']);
  assertError(await ws.api('PUT', `${DEFS}/${stage.id}`, { type: 'Number' }), 409, 'Wasl:ContactProperty:IncompatibleValues');
});

test('options: removing one in use → 409 and nothing changes; an unused one goes; a new spelling renames the values', async () => {
  const ws = await h.workspace();
  const status = await define(ws, { name: 'Status', type: 'Select', selectOptions: ['Lead', 'VIP', 'Churned'] });
  const tags = await define(ws, { name: 'Tags', type: 'MultiSelect', selectOptions: ['Red', 'Green', 'Blue'] });
  const a = await contact(ws, '+966500000121', { properties: { status: 'Lead', tags: ['Red', 'Green'] } });
  const b = await contact(ws, '+966500000122', { properties: { status: 'VIP', tags: ['Green'] } });

  const inUse = await ws.api('PUT', `${DEFS}/${status.id}`, { selectOptions: ['Lead', 'Churned'] });
  assertError(inUse, 409, 'Wasl:ContactProperty:IncompatibleValues');
  assert.equal(json(inUse).error.data.count, 1);
  assertError(await ws.api('PUT', `${DEFS}/${tags.id}`, { selectOptions: ['Red', 'Blue'] }), 409, 'Wasl:ContactProperty:IncompatibleValues');
  assert.deepEqual(json(await ws.api('GET', DEFS)), [status, tags], 'definitions unchanged');
  assert.deepEqual(await valuesOf(ws, b.id), { status: 'VIP', tags: ['Green'] });

  const fewer = json(await ws.api('PUT', `${DEFS}/${status.id}`, { selectOptions: ['Lead', 'VIP'] }));
  assert.deepEqual(
    fewer.selectOptions.map((o: { value: string }) => o.value),
    ['Lead', 'VIP'],
  );
  const respelled = json(await ws.api('PUT', `${DEFS}/${status.id}`, { selectOptions: ['LEAD', 'Vip'] }));
  assert.deepEqual(
    respelled.selectOptions.map((o: { value: string }) => o.value),
    ['LEAD', 'Vip'],
  );
  assert.deepEqual([(await valuesOf(ws, a.id)).status, (await valuesOf(ws, b.id)).status], ['LEAD', 'Vip']);
  json(await ws.api('PUT', `${DEFS}/${tags.id}`, { selectOptions: ['red', 'GREEN'] }));
  assert.deepEqual((await valuesOf(ws, a.id)).tags, ['red', 'GREEN']);
});

test('delete a definition → 204: its values go, each recorded in its contact\'s history; it is gone from search and statistics', async () => {
  const ws = await h.workspace();
  const score = await define(ws, { name: 'Score', type: 'Number' });
  const tags = await define(ws, { name: 'Tags', type: 'MultiSelect', selectOptions: ['Red', 'Green'] });
  const day = await define(ws, { name: 'Renewal', type: 'Date' });
  const flag = await define(ws, { name: 'Flag', type: 'Boolean' });
  const a = await contact(ws, '+966500000131', { properties: { score: 12.5, tags: ['Red', 'Green'], renewal: '2026-05-01T08:30:00Z', flag: true } });
  const b = await contact(ws, '+966500000132', { properties: { score: 3 } });
  const untouched = await contact(ws, '+966500000133');

  for (const def of [score, tags, day, flag]) {
    h.clock.advance(60_000);
    const res = await ws.api('DELETE', `${DEFS}/${def.id}`);
    assert.equal(res.statusCode, 204, res.body);
  }
  assert.deepEqual((await get(ws, a.id)).customProperties, []);
  assert.deepEqual((await get(ws, b.id)).customProperties, []);
  const aHistory = await history(ws, a.id, 4);
  assert.deepEqual(changes(aHistory), ['Flag: true → null', 'Renewal: 2026-05-01T08:30:00.000Z → null', 'Tags: Red, Green → null', 'Score: 12.5 → null'], 'newest first');
  assert.equal(aHistory[0]!.creationTime, h.clock.now().toISOString());
  assert.equal(aHistory[3]!.creationTime, new Date(h.clock.now().getTime() - 180_000).toISOString());
  assert.deepEqual(changes(await history(ws, b.id, 1)), ['Score: 3 → null']);
  assert.equal((await history(ws, untouched.id)).length, 2, 'a contact without the value gets no entry (name and phone only)');

  assertError(
    await ws.api('POST', '/v1/contacts/search', { customPropertyFilters: [{ propertyDefinitionId: score.id, operator: 'IsSet' }] }),
    400,
    'Wasl:ValidationFailed',
    ['customPropertyFilters[0].propertyDefinitionId'],
  );
  assertError(await ws.api('GET', `${DEFS}/${score.id}/statistics`), 404, 'Wasl:ContactProperty:NotFound');
  assertError(await ws.api('PUT', `/v1/contacts/${a.id}/properties/${score.id}`, { value: 1 }), 404, 'Wasl:ContactProperty:NotFound');
  assert.equal((await define(ws, { name: 'Score', type: 'Text' })).key, 'score', 'the key is free again');
});

test('statistics: the values in use, most frequent first; ?format=detailed gives counts, percentages, set/unset, min/max/avg', async () => {
  const ws = await h.workspace();
  const status = await define(ws, { name: 'Status', type: 'Select', selectOptions: ['Lead', 'VIP', 'Customer'] });
  const score = await define(ws, { name: 'Score', type: 'Number' });
  const day = await define(ws, { name: 'Renewal', type: 'Date' });
  const tags = await define(ws, { name: 'Tags', type: 'MultiSelect', selectOptions: ['Red', 'Green', 'Blue'] });
  const flag = await define(ws, { name: 'Flag', type: 'Boolean' });
  const unused = await define(ws, { name: 'Unused', type: 'Number' });
  await define(ws, { name: 'Required', type: 'Text', isRequired: true });
  const rows: Record<string, unknown>[] = [
    { status: 'Lead', score: 10, renewal: '2026-01-01', tags: ['Red', 'Green'], flag: true },
    { status: 'lead', score: 20, renewal: '2026-01-03', tags: ['Red'], flag: true },
    { status: 'VIP', score: 30, tags: ['Blue'], flag: false },
    { status: 'Lead', score: 20 },
    { status: 'VIP' },
    {},
  ];
  // isRequired is shown to people; the API still takes contacts without the value (a Hatif client cannot know it).
  for (const [i, properties] of rows.entries()) await contact(ws, `+9665000001${40 + i}`, { properties });
  const gone = await contact(ws, '+966500000149', { properties: { status: 'Customer', score: 1000, tags: ['Blue'] } });
  assert.equal((await ws.api('DELETE', `/v1/contacts/${gone.id}`)).statusCode, 204);

  assert.deepEqual(await stats(ws, status.id), ['Lead', 'VIP'], 'a deleted contact counts for nothing');
  assert.deepEqual(await stats(ws, score.id), ['20', '10', '30']);
  assert.deepEqual(await stats(ws, tags.id), ['Red', 'Blue', 'Green'], 'each option of a MultiSelect counts');
  assert.deepEqual(await stats(ws, flag.id, '?format=values'), ['true', 'false']);
  assert.deepEqual(await stats(ws, unused.id), []);

  assert.deepEqual(await stats(ws, status.id, '?format=detailed'), {
    propertyDefinitionId: status.id,
    type: 3,
    totalContacts: 6,
    setCount: 5,
    unsetCount: 1,
    values: [
      { value: 'Lead', count: 3, percentage: 50 },
      { value: 'VIP', count: 2, percentage: 33.33 },
    ],
    min: null,
    max: null,
    avg: null,
  });
  const numbers = await stats(ws, score.id, '?Format=detailed');
  assert.deepEqual([numbers.setCount, numbers.unsetCount, numbers.min, numbers.max, numbers.avg], [4, 2, 10, 30, 20]);
  assert.deepEqual(numbers.values, [
    { value: '20', count: 2, percentage: 33.33 },
    { value: '10', count: 1, percentage: 16.67 },
    { value: '30', count: 1, percentage: 16.67 },
  ]);
  const dates = await stats(ws, day.id, '?format=detailed');
  assert.deepEqual([dates.setCount, dates.min, dates.max, dates.avg], [2, '2026-01-01T00:00:00.000Z', '2026-01-03T00:00:00.000Z', '2026-01-02T00:00:00.000Z']);
  const multi = await stats(ws, tags.id, '?format=detailed');
  assert.deepEqual([multi.setCount, multi.unsetCount, multi.min], [3, 3, null]);
  assert.deepEqual(multi.values, [
    { value: 'Red', count: 2, percentage: 33.33 },
    { value: 'Blue', count: 1, percentage: 16.67 },
    { value: 'Green', count: 1, percentage: 16.67 },
  ]);
  assert.deepEqual(await stats(ws, unused.id, '?format=detailed'), {
    propertyDefinitionId: unused.id,
    type: 2,
    totalContacts: 6,
    setCount: 0,
    unsetCount: 6,
    values: [],
    min: null,
    max: null,
    avg: null,
  });
  assertError(await ws.api('GET', `${DEFS}/${status.id}/statistics?format=pie`), 400, 'Wasl:ValidationFailed', ['format']);
});
