import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertError } from '../../../test/helpers/assert.js';
import { authBattery } from '../../../test/helpers/auth-cases.js';
import { build, json, type Workspace } from '../../../test/helpers/build.js';

const h = await build();
const MISSING = '01890000-0000-7000-8000-000000000000';
const DEFS = '/v1/contact-property-definitions';
const CONTACT_KEYS = [
  'company',
  'contactType',
  'creationTime',
  'creatorId',
  'customFields',
  'customProperties',
  'email',
  'id',
  'lastModificationTime',
  'lastModifierId',
  'name',
  'notes',
  'phoneNumber',
  'position',
  'workspaceId',
];

interface HistoryItem {
  propertyName: string;
  oldValue: string | null;
  newValue: string | null;
  creationTime: string;
  creatorId: string | null;
  source: string;
}

async function create(ws: Workspace, body: Record<string, unknown>) {
  const res = await ws.api('POST', '/v1/contacts', body);
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}
async function update(ws: Workspace, id: string, body: Record<string, unknown>) {
  const res = await ws.api('PUT', `/v1/contacts/${id}`, body);
  assert.equal(res.statusCode, 200, res.body);
  return json(res);
}
async function list(ws: Workspace, query = '') {
  const res = await ws.api('GET', `/v1/contacts${query}`);
  assert.equal(res.statusCode, 200, res.body);
  return json<{ totalCount: number; items: { id: string; name: string; phoneNumber: string }[] }>(res);
}
async function history(ws: Workspace, id: string, query = '') {
  const res = await ws.api('GET', `/v1/contacts/${id}/history${query}`);
  assert.equal(res.statusCode, 200, res.body);
  return json<{ totalCount: number; items: HistoryItem[] }>(res);
}
const changes = (items: HistoryItem[]) => items.map((i) => `${i.propertyName}: ${i.oldValue} → ${i.newValue}`);

test('create: the documented PascalCase body (with CustomFields) → the §5.A contact; GET answers the same', async () => {
  const ws = await h.workspace();
  const now = h.clock.now().toISOString();
  const contact = await create(ws, {
    Name: 'John Doe',
    PhoneNumber: '0500888777',
    Email: 'john.doe@example.com',
    Company: 'Acme Corp',
    Position: 'Software Engineer',
    CustomFields: { Department: 'IT' },
  });
  assert.deepEqual(Object.keys(contact).sort(), CONTACT_KEYS);
  assert.match(contact.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.deepEqual(
    { ...contact, id: '<id>' },
    {
      id: '<id>',
      workspaceId: ws.id,
      name: 'John Doe',
      phoneNumber: '+966500888777',
      contactType: 1,
      email: 'john.doe@example.com',
      company: 'Acme Corp',
      position: 'Software Engineer',
      customFields: { Department: 'IT' },
      notes: [],
      customProperties: [],
      lastModificationTime: now,
      lastModifierId: null,
      creationTime: now,
      creatorId: ws.serviceAccountId,
    },
  );
  const got = await ws.api('GET', `/v1/contacts/${contact.id}`);
  assert.equal(got.statusCode, 200, got.body);
  assert.deepEqual(json(got), contact);
});

test('create: the camelCase body without CustomFields; name defaults to the number; a note is appended; contactType by name', async () => {
  const ws = await h.workspace();
  const sara = await create(ws, { name: '  سارة العتيبي ', phoneNumber: '+966 50 012 3456', email: 'sara@example.com' });
  assert.equal(sara.name, 'سارة العتيبي', 'trimmed');
  assert.equal(sara.phoneNumber, '+966500123456');
  assert.deepEqual(sara.customFields, {});
  assert.equal(sara.company, null);
  assert.equal(sara.position, null);

  const bare = await create(ws, { phoneNumber: '00966500000003', note: '  met at the fair ', contactType: 'Business', name: '', email: null });
  assert.equal(bare.name, '+966500000003', 'an empty name is the phone number');
  assert.equal(bare.email, null);
  assert.equal(bare.contactType, 2);
  assert.equal(bare.notes.length, 1);
  assert.deepEqual(
    { ...bare.notes[0], id: '<id>' },
    { id: '<id>', contactId: bare.id, text: 'met at the fair', creatorName: ws.clientId, lastModificationTime: null, lastModifierId: null, creationTime: bare.creationTime, creatorId: ws.serviceAccountId },
  );
  const arabicDigits = await create(ws, { phoneNumber: '٠٥٠٠٠٠٠٠٠٤' });
  assert.equal(arabicDigits.phoneNumber, '+966500000004', 'Arabic-Indic digits, national form');
  assert.equal((await list(ws)).totalCount, 3);
});

test('create: bad input is a 400 naming the member, and writes nothing', async () => {
  const ws = await h.workspace();
  assert.equal((await ws.api('POST', DEFS, { name: 'Status', type: 'Select', selectOptions: ['Lead', 'VIP'] })).statusCode, 200);
  const phone = '+966500000001';
  const cases: [unknown, string][] = [
    [{}, 'phoneNumber'],
    [{ name: 'x' }, 'phoneNumber'],
    [{ phoneNumber: 'not a phone' }, 'phoneNumber'],
    [{ phoneNumber: '123' }, 'phoneNumber'],
    [{ phoneNumber: '+1 555' }, 'phoneNumber'],
    [{ phoneNumber: 966500000001 }, 'phoneNumber'],
    [{ phoneNumber: '' }, 'phoneNumber'],
    [{ phoneNumber: phone, email: 'nope' }, 'email'],
    [{ phoneNumber: phone, email: 'a@b' }, 'email'],
    [{ phoneNumber: phone, email: 'two words@example.com' }, 'email'],
    [{ phoneNumber: phone, name: 'x'.repeat(201) }, 'name'],
    [{ phoneNumber: phone, name: 7 }, 'name'],
    [{ phoneNumber: phone, contactType: 7 }, 'contactType'],
    [{ phoneNumber: phone, contactType: 'Robot' }, 'contactType'],
    [{ phoneNumber: phone, customFields: { Department: 5 } }, 'customFields.Department'],
    [{ phoneNumber: phone, customFields: ['IT'] }, 'customFields'],
    [{ phoneNumber: phone, note: 'x'.repeat(10_001) }, 'note'],
    [{ phoneNumber: phone, properties: { nope: 'x' } }, 'properties.nope'],
    [{ phoneNumber: phone, properties: { status: 'Customer' } }, 'properties.status'],
    [{ phoneNumber: phone, PhoneNumber: phone }, 'phoneNumber'],
  ];
  for (const [body, member] of cases) {
    assertError(await ws.api('POST', '/v1/contacts', body), 400, 'Wasl:ValidationFailed', [member]);
  }
  assertError(await ws.api('POST', '/v1/contacts', '{"phoneNumber": "+966500000001"'), 400, 'Wasl:MalformedJson');
  assert.equal((await list(ws)).totalCount, 0, 'nothing was written');
});

test('update is partial: absent, null and "" keep a field; PascalCase and camelCase change it; lastModification* follow', async () => {
  const ws = await h.workspace();
  const c = await create(ws, {
    name: 'Old Name',
    phoneNumber: '+966500000010',
    email: 'old@example.com',
    company: 'Acme',
    position: 'Buyer',
    customFields: { Department: 'IT', Tier: 'Gold' },
  });
  h.clock.advance(1000);
  // A Hatif client sends every field, the untouched ones empty.
  const same = await update(ws, c.id, { Name: null, PhoneNumber: '', Email: '', Company: null, Position: '   ', CustomFields: null, Note: '', Properties: null });
  assert.deepEqual(same, c, 'nothing changed, not even lastModificationTime');
  assert.deepEqual(await update(ws, c.id, {}), c);
  assert.equal((await history(ws, c.id)).totalCount, 7, 'no history for a no-op');

  const pascal = await update(ws, c.id, { Position: 'Manager', Name: ' New Name ' });
  assert.equal(pascal.position, 'Manager');
  assert.equal(pascal.name, 'New Name');
  assert.deepEqual([pascal.email, pascal.company, pascal.phoneNumber], ['old@example.com', 'Acme', '+966500000010'], 'the rest is kept');
  assert.equal(pascal.lastModificationTime, h.clock.now().toISOString());
  assert.equal(pascal.lastModifierId, ws.serviceAccountId);
  assert.equal(pascal.creationTime, c.creationTime);

  h.clock.advance(1000);
  const camel = await update(ws, c.id, { phoneNumber: '0500000011', email: 'new@example.com', contactType: 'Business' });
  assert.equal(camel.phoneNumber, '+966500000011');
  assert.equal(camel.email, 'new@example.com');
  assert.equal(camel.contactType, 2);
  assert.equal(camel.name, 'New Name');
  assert.deepEqual(json(await ws.api('GET', `/v1/contacts/${c.id}`)), camel);
});

test('update: clearFields empties, customFields merge (null removes a key), note appends', async () => {
  const ws = await h.workspace();
  const c = await create(ws, { name: 'Nour', phoneNumber: '+966500000012', email: 'n@example.com', company: 'Acme', position: 'CTO', customFields: { Department: 'IT', Tier: 'Gold' }, note: 'first' });
  const cleared = await update(ws, c.id, { clearFields: ['email', 'company'] });
  assert.deepEqual([cleared.email, cleared.company, cleared.position], [null, null, 'CTO']);
  assert.deepEqual((await update(ws, c.id, { ClearFields: ['position'], company: 'Back' })).company, 'Back');
  const merged = await update(ws, c.id, { customFields: { Tier: null, Region: 'Riyadh' } });
  assert.deepEqual(merged.customFields, { Department: 'IT', Region: 'Riyadh' });
  assert.equal(merged.position, null);
  const noted = await update(ws, c.id, { Note: 'second' });
  assert.deepEqual(
    noted.notes.map((n: { text: string }) => n.text),
    ['first', 'second'],
  );
  await update(ws, c.id, { note: 'third' });
  const got = json(await ws.api('GET', `/v1/contacts/${c.id}`));
  assert.deepEqual(
    got.notes.map((n: { text: string }) => n.text),
    ['first', 'second', 'third'],
  );
  assert.deepEqual(got.customFields, { Department: 'IT', Region: 'Riyadh' });
});

test('update: bad input → 400 naming the member; a phone another contact has → 409 with its id; nothing changes', async () => {
  const ws = await h.workspace();
  const a = await create(ws, { name: 'A', phoneNumber: '+966500000013', email: 'a@example.com' });
  const b = await create(ws, { name: 'B', phoneNumber: '+966500000014' });
  const cases: [unknown, string][] = [
    [{ email: 'nope' }, 'email'],
    [{ phoneNumber: 'abc' }, 'phoneNumber'],
    [{ clearFields: ['name'] }, 'clearFields[0]'],
    [{ contactType: 9 }, 'contactType'],
    [{ customFields: { x: 1 } }, 'customFields.x'],
    [{ properties: { nope: 1 } }, 'properties.nope'],
    [{ name: 'x'.repeat(201) }, 'name'],
  ];
  for (const [body, member] of cases) assertError(await ws.api('PUT', `/v1/contacts/${a.id}`, body), 400, 'Wasl:ValidationFailed', [member]);
  const taken = await ws.api('PUT', `/v1/contacts/${a.id}`, { name: 'A2', phoneNumber: '0500000014' });
  assertError(taken, 409, 'Wasl:Contact:DuplicatePhoneNumber');
  assert.equal(json(taken).error.data.contactId, b.id);
  assert.deepEqual(json(await ws.api('GET', `/v1/contacts/${a.id}`)), a, 'the name did not change either');
  assert.equal((await update(ws, a.id, { phoneNumber: '+966500000013' })).phoneNumber, '+966500000013', 'its own number is no conflict');
  assertError(await ws.api('PUT', `/v1/contacts/${MISSING}`, { name: 'x' }), 404, 'Wasl:Contact:NotFound');
});

test('duplicate phone (any form) → 409 with error.data.contactId; other workspaces may have it', async () => {
  const ws = await h.workspace();
  const first = await create(ws, { name: 'First', phoneNumber: '+966500000020' });
  for (const phoneNumber of ['+966500000020', '0500000020', '00966500000020', '966500000020', '+966 50 000 0020']) {
    const res = await ws.api('POST', '/v1/contacts', { Name: 'Second', PhoneNumber: phoneNumber });
    assertError(res, 409, 'Wasl:Contact:DuplicatePhoneNumber');
    assert.equal(json(res).error.data.contactId, first.id, phoneNumber);
    assert.equal(json(res).error.data.phoneNumber, '+966500000020');
  }
  assert.equal((await list(ws)).totalCount, 1);
  const other = await h.workspace();
  assert.notEqual((await create(other, { phoneNumber: '+966500000020' })).id, first.id);
});

test('concurrent creates of one phone: exactly one contact, every other answer 409 with its id', async () => {
  const ws = await h.workspace();
  const results = await Promise.all(Array.from({ length: 10 }, (_, i) => ws.api('POST', '/v1/contacts', { name: `Racer ${i}`, phoneNumber: i % 2 ? '+966500000030' : '0500000030' })));
  const ok = results.filter((r) => r.statusCode === 200);
  const conflicts = results.filter((r) => r.statusCode === 409);
  assert.equal(ok.length, 1, results.map((r) => r.statusCode).join());
  assert.equal(conflicts.length, 9);
  const id = json(ok[0]!).id;
  for (const r of conflicts) {
    assertError(r, 409, 'Wasl:Contact:DuplicatePhoneNumber');
    assert.equal(json(r).error.data.contactId, id);
  }
  const all = await list(ws);
  assert.equal(all.totalCount, 1);
  assert.equal(all.items[0]!.id, id);
});

test('concurrent updates to one phone: one wins, every 409 names the winner', async () => {
  const ws = await h.workspace();
  for (let round = 0; round < 3; round++) {
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) ids.push((await create(ws, { phoneNumber: `+96650${round}00071${i}` })).id);
    const target = `+9665500007${round}0`;
    const results = await Promise.all(ids.map((id) => ws.api('PUT', `/v1/contacts/${id}`, { phoneNumber: target })));
    const ok = results.filter((r) => r.statusCode === 200);
    assert.equal(ok.length, 1, results.map((r) => r.statusCode).join());
    const winner = json(ok[0]!).id;
    for (const r of results.filter((x) => x.statusCode !== 200)) {
      assertError(r, 409, 'Wasl:Contact:DuplicatePhoneNumber');
      assert.equal(json(r).error.data.contactId, winner);
    }
    assert.deepEqual(
      (await list(ws, `?phoneNumber=${target.slice(1)}`)).items.map((c) => c.id),
      [winner],
    );
  }
});

test('soft delete: 204, then 404 everywhere, gone from list and search, phone free again, history still readable', async () => {
  const ws = await h.workspace();
  const def = json(await ws.api('POST', DEFS, { name: 'Status', type: 'Select', selectOptions: ['Lead', 'VIP'] }));
  const gone = await create(ws, { name: 'Gone Soon', phoneNumber: '+966500000040', email: 'gone@example.com', properties: { status: 'Lead' } });
  const kept = await create(ws, { name: 'Kept', phoneNumber: '+966500000041', properties: { status: 'Lead' } });
  h.clock.advance(1000);
  const deleted = await ws.api('DELETE', `/v1/contacts/${gone.id}`);
  assert.equal(deleted.statusCode, 204);
  assert.equal(deleted.body, '');

  assertError(await ws.api('GET', `/v1/contacts/${gone.id}`), 404, 'Wasl:Contact:NotFound');
  assertError(await ws.api('PUT', `/v1/contacts/${gone.id}`, { name: 'x' }), 404, 'Wasl:Contact:NotFound');
  assertError(await ws.api('DELETE', `/v1/contacts/${gone.id}`), 404, 'Wasl:Contact:NotFound');
  assertError(await ws.api('PUT', `/v1/contacts/${gone.id}/properties/${def.id}`, { value: 'VIP' }), 404, 'Wasl:Contact:NotFound');
  assertError(await ws.api('DELETE', `/v1/contacts/${gone.id}/properties/${def.id}`), 404, 'Wasl:Contact:NotFound');

  const ids = (res: { items: { id: string }[] }) => res.items.map((c) => c.id);
  assert.deepEqual(ids(await list(ws)), [kept.id]);
  assert.equal((await list(ws, '?name=gone')).totalCount, 0);
  assert.equal((await list(ws, '?phoneNumber=500000040')).totalCount, 0);
  const searches: [Record<string, unknown>, string[]][] = [
    [{ query: 'gone' }, []],
    [{ query: '500000040' }, []],
    [{ customPropertyFilters: [{ propertyDefinitionId: def.id, operator: 'Equals', value: 'Lead' }] }, [kept.id]],
    [{ filterGroups: [{ filters: [{ field: 'email', operator: 'IsSet' }] }] }, []],
    [{ filterGroups: [{ filters: [{ propertyKey: 'status', operator: 'NotEquals', value: 'VIP' }] }] }, [kept.id]],
    [{}, [kept.id]],
  ];
  for (const [body, expected] of searches) {
    const res = json(await ws.api('POST', '/v1/contacts/search', body));
    assert.deepEqual(ids(res), expected, JSON.stringify(body));
    assert.equal(res.totalCount, res.items.length);
    assert.equal(json(await ws.api('POST', '/v1/contacts/search', { ...body, maxResultCount: 1, skipCount: 1 })).totalCount, res.items.length, 'the count path too');
  }
  assert.deepEqual(json(await ws.api('GET', `${DEFS}/${def.id}/statistics?format=detailed`)).values, [{ value: 'Lead', count: 1, percentage: 100 }], 'its values no longer count');

  const again = await create(ws, { name: 'Reborn', phoneNumber: '0500000040' });
  assert.notEqual(again.id, gone.id);
  assert.deepEqual(again.customProperties, []);

  const past = await history(ws, gone.id);
  assert.equal(past.items[0]!.propertyName, 'Deleted');
  assert.equal(past.items[0]!.newValue, h.clock.now().toISOString());
  assert.ok(changes(past.items).includes('Status: null → Lead'));
  assertError(await ws.api('GET', `/v1/contacts/${MISSING}/history`), 404, 'Wasl:Contact:NotFound');
  assertError(await ws.api('DELETE', `/v1/contacts/${MISSING}`), 404, 'Wasl:Contact:NotFound');
});

test('GET /v1/contacts: paging (defaults, any spelling), Sorting, bounds', async () => {
  const ws = await h.workspace();
  const names = ['Delta', 'bravo', 'Alpha', 'charlie', 'Echo', 'foxtrot', 'Golf', 'hotel', 'India', 'juliet', 'Kilo', 'lima'];
  const made: string[] = [];
  for (const [i, name] of names.entries()) {
    made.push((await create(ws, { name, phoneNumber: `+9665000002${String(50 - i).padStart(2, '0')}` })).id);
    h.clock.advance(1000);
  }
  const first = await list(ws);
  assert.equal(first.totalCount, 12);
  assert.equal(first.items.length, 10, 'default page size is 10');
  assert.deepEqual(
    first.items.map((c) => c.id),
    [...made].reverse().slice(0, 10),
    'default order is CreationTime DESC',
  );
  const second = await list(ws, '?SkipCount=10');
  assert.deepEqual(
    second.items.map((c) => c.id),
    [made[1], made[0]],
  );
  assert.equal(second.totalCount, 12);
  const n = (res: { items: { name: string }[] }) => res.items.map((c) => c.name).join(',');
  assert.equal(n(await list(ws, '?Sorting=Name%20ASC&MaxResultCount=3')), 'Alpha,bravo,charlie', 'by name, case-insensitively');
  assert.equal(n(await list(ws, '?sorting=name%20desc&skipcount=1&maxresultcount=2')), 'Kilo,juliet');
  assert.equal(n(await list(ws, '?Sorting=PhoneNumber%20ASC&MaxResultCount=2')), 'lima,Kilo');
  assert.equal(n(await list(ws, '?Sorting=CreationTime%20ASC&MaxResultCount=2')), 'Delta,bravo');
  assert.deepEqual(await list(ws, '?SkipCount=50'), { totalCount: 12, totalCountExact: true, items: [] }, 'past the end, the total still comes');
  assert.equal((await list(ws, '?MaxResultCount=1000')).items.length, 12);
  assertError(await ws.api('GET', '/v1/contacts?MaxResultCount=1001'), 400, 'Wasl:ValidationFailed', ['MaxResultCount']);
  assertError(await ws.api('GET', '/v1/contacts?SkipCount=-1'), 400, 'Wasl:ValidationFailed', ['SkipCount']);
  for (const bad of ['Color%20ASC', 'Name%20SIDEWAYS', 'Name;drop%20table%20contacts']) {
    assertError(await ws.api('GET', `/v1/contacts?Sorting=${bad}`), 400, 'Wasl:ValidationFailed', ['Sorting']);
  }
});

test('GET /v1/contacts filters: phoneNumber digits with or without +, name case-insensitive in Arabic and Latin, email', async () => {
  const ws = await h.workspace();
  const people = [
    ['أحمد علي', '+966500000301', 'Ahmed.Ali@Example.com'],
    ['احمد سالم', '+966500000302', null],
    ['Ahmed Khan', '+966500000303', 'khan@example.org'],
    ['AHMAD', '+966511000304', null],
    ['فاطمة الزهراء', '+966500000305', 'fatima@example.com'],
    ['Jöhn Smith', '+971500000306', 'john@example.com'],
  ] as const;
  const byName = new Map<string, string>();
  for (const [name, phoneNumber, email] of people) byName.set(name, (await create(ws, { name, phoneNumber, email })).id);
  const names = async (query: string) => (await list(ws, `?${query}&Sorting=PhoneNumber%20ASC`)).items.map((c) => c.name);
  const q = encodeURIComponent;

  assert.deepEqual(await names(`name=${q('احمد')}`), ['أحمد علي', 'احمد سالم'], 'أ and ا are one letter to search');
  assert.deepEqual(await names(`name=${q('أحمد')}`), ['أحمد علي', 'احمد سالم']);
  assert.deepEqual(await names(`name=${q('فاطمه')}`), ['فاطمة الزهراء'], 'ة and ه');
  assert.deepEqual(await names(`name=${q('الزهراء')}`), ['فاطمة الزهراء'], 'any part of the name');
  assert.deepEqual(await names('name=ahm'), ['Ahmed Khan', 'AHMAD']);
  assert.deepEqual(await names('name=AHMED'), ['Ahmed Khan']);
  assert.deepEqual(await names('Name=john'), ['Jöhn Smith'], 'accents folded, query name in any case');
  assert.deepEqual(await names('name=%25'), [], 'LIKE wildcards are literal');

  assert.deepEqual(await names(`phoneNumber=${q('+96650000030')}`), ['أحمد علي', 'احمد سالم', 'Ahmed Khan', 'فاطمة الزهراء']);
  assert.deepEqual(await names('phoneNumber=96650000030'), ['أحمد علي', 'احمد سالم', 'Ahmed Khan', 'فاطمة الزهراء'], 'without +');
  assert.deepEqual(await names('phoneNumber=+96650000030'), ['أحمد علي', 'احمد سالم', 'Ahmed Khan', 'فاطمة الزهراء'], 'a raw + (a space in a query string)');
  assert.deepEqual(await names('phoneNumber=0000303'), ['Ahmed Khan'], 'any part of the number');
  assert.deepEqual(await names('phoneNumber=0500000303'), ['Ahmed Khan'], 'a whole national number');
  assert.deepEqual(await names(`phoneNumber=${q('00966 50 000 0303')}`), ['Ahmed Khan'], 'a whole number in any form');
  assert.deepEqual(await names(`phoneNumber=${q('+971')}`), ['Jöhn Smith']);
  assert.deepEqual(await names(`phoneNumber=${q('511 000')}`), ['AHMAD'], 'separators ignored');

  assert.deepEqual(await names('email=EXAMPLE.COM'), ['أحمد علي', 'فاطمة الزهراء', 'Jöhn Smith'], 'case-insensitive');
  assert.deepEqual(await names('email=ahmed.ali'), ['أحمد علي']);
  assert.deepEqual(await names(`name=${q('احمد')}&email=example`), ['أحمد علي'], 'filters are ANDed');
  assert.deepEqual(await names('name=ahmed&phoneNumber=0000303'), ['Ahmed Khan']);
  assert.deepEqual(await list(ws, '?name=nobody'), { totalCount: 0, totalCountExact: true, items: [] });
  assert.equal((await list(ws, `?name=${q('احمد')}&MaxResultCount=1`)).totalCount, 2, 'totalCount counts the filtered list');
});

test('history: each kind of change with its old and new value, newest first, paged', async () => {
  const ws = await h.workspace();
  const t0 = h.clock.now().toISOString();
  const c = await create(ws, { name: 'Hist', phoneNumber: '+966500000050', email: 'h@example.com', company: 'Acme', customFields: { Department: 'IT' }, note: 'hello' });
  const created = await history(ws, c.id);
  assert.deepEqual(
    changes(created.items).sort(),
    ['Company: null → Acme', 'CustomFields.Department: null → IT', 'Email: null → h@example.com', 'Name: null → Hist', 'Note: null → hello', 'PhoneNumber: null → +966500000050'],
    'creation records each set field, the old value null',
  );
  for (const item of created.items) {
    assert.deepEqual(Object.keys(item).sort(), ['creationTime', 'creatorId', 'id', 'newValue', 'oldValue', 'propertyName', 'source']);
    assert.equal(item.creationTime, t0);
    assert.equal(item.creatorId, ws.serviceAccountId);
    assert.equal(item.source, 'Api');
  }
  const steps: [Record<string, unknown>, string[]][] = [
    [{ name: 'Hist Renamed' }, ['Name: Hist → Hist Renamed']],
    [{ phoneNumber: '0500000051' }, ['PhoneNumber: +966500000050 → +966500000051']],
    [{ clearFields: ['email'] }, ['Email: h@example.com → null']],
    [{ position: 'CTO' }, ['Position: null → CTO']],
    [{ customFields: { Department: 'Sales', Region: 'Riyadh' } }, ['CustomFields.Department: IT → Sales', 'CustomFields.Region: null → Riyadh']],
    [{ customFields: { Department: null } }, ['CustomFields.Department: Sales → null']],
    [{ note: 'second note' }, ['Note: null → second note']],
    [{ contactType: 2 }, ['ContactType: 1 → 2']],
  ];
  for (const [body, expected] of steps) {
    h.clock.advance(60_000);
    await update(ws, c.id, body);
    const latest = await history(ws, c.id, `?MaxResultCount=${expected.length}`);
    assert.deepEqual(changes(latest.items).sort(), expected.sort(), JSON.stringify(body));
    assert.ok(latest.items.every((i) => i.creationTime === h.clock.now().toISOString()));
  }
  const all = await history(ws, c.id, '?MaxResultCount=100');
  assert.equal(all.totalCount, 6 + 9);
  const times = all.items.map((i) => i.creationTime);
  assert.deepEqual(times, [...times].sort().reverse(), 'newest first');
  const page = await history(ws, c.id, '?SkipCount=1&MaxResultCount=2');
  assert.equal(page.totalCount, 15);
  assert.deepEqual(page.items, all.items.slice(1, 3));
  assert.deepEqual((await history(ws, c.id, '?skipcount=100')).items, []);
  assert.equal((await history(ws, c.id, '?skipcount=100')).totalCount, 15);
  assert.equal((await history(ws, c.id)).items.length, 10, 'default page size');
});

test("another workspace's contacts and definitions answer 404 on every id route, byte-for-byte like a missing id", async () => {
  const owner = await h.workspace();
  const stranger = await h.workspace();
  const contact = await create(owner, { name: 'Private', phoneNumber: '+966500000060', email: 'p@example.com' });
  const def = json(await owner.api('POST', DEFS, { name: 'Secret', type: 'Text' }));
  await update(owner, contact.id, { properties: { secret: 'classified' } });
  const before = json(await owner.api('GET', `/v1/contacts/${contact.id}`));
  const mine = await create(stranger, { name: 'Mine', phoneNumber: '+966500000061' });
  const myDef = json(await stranger.api('POST', DEFS, { name: 'Mine', type: 'Text' }));

  const strip = (body: string) => [contact.id, def.id, MISSING].reduce((b, id) => b.replaceAll(id, '<id>'), body);
  const pairs: [string, string, string, unknown, string][] = [
    ['GET', `/v1/contacts/${contact.id}`, `/v1/contacts/${MISSING}`, undefined, 'Wasl:Contact:NotFound'],
    ['PUT', `/v1/contacts/${contact.id}`, `/v1/contacts/${MISSING}`, { name: 'stolen' }, 'Wasl:Contact:NotFound'],
    ['DELETE', `/v1/contacts/${contact.id}`, `/v1/contacts/${MISSING}`, undefined, 'Wasl:Contact:NotFound'],
    ['GET', `/v1/contacts/${contact.id}/history`, `/v1/contacts/${MISSING}/history`, undefined, 'Wasl:Contact:NotFound'],
    ['PUT', `/v1/contacts/${contact.id}/properties/${myDef.id}`, `/v1/contacts/${MISSING}/properties/${myDef.id}`, { value: 'x' }, 'Wasl:Contact:NotFound'],
    ['DELETE', `/v1/contacts/${contact.id}/properties/${myDef.id}`, `/v1/contacts/${MISSING}/properties/${myDef.id}`, undefined, 'Wasl:Contact:NotFound'],
    ['PUT', `/v1/contacts/${mine.id}/properties/${def.id}`, `/v1/contacts/${mine.id}/properties/${MISSING}`, { value: 'x' }, 'Wasl:ContactProperty:NotFound'],
    ['DELETE', `/v1/contacts/${mine.id}/properties/${def.id}`, `/v1/contacts/${mine.id}/properties/${MISSING}`, undefined, 'Wasl:ContactProperty:NotFound'],
    ['PUT', `/v1/contacts/${contact.id}/properties/${def.id}`, `/v1/contacts/${MISSING}/properties/${MISSING}`, { value: 'x' }, 'Wasl:Contact:NotFound'],
    ['PUT', `${DEFS}/${def.id}`, `${DEFS}/${MISSING}`, { name: 'stolen' }, 'Wasl:ContactProperty:NotFound'],
    ['DELETE', `${DEFS}/${def.id}`, `${DEFS}/${MISSING}`, undefined, 'Wasl:ContactProperty:NotFound'],
    ['GET', `${DEFS}/${def.id}/statistics`, `${DEFS}/${MISSING}/statistics`, undefined, 'Wasl:ContactProperty:NotFound'],
    ['GET', `${DEFS}/${def.id}/statistics?format=detailed`, `${DEFS}/${MISSING}/statistics?format=detailed`, undefined, 'Wasl:ContactProperty:NotFound'],
  ];
  for (const [method, foreignUrl, missingUrl, body, code] of pairs) {
    const foreign = await stranger.api(method as 'GET', foreignUrl, body);
    const missing = await stranger.api(method as 'GET', missingUrl, body);
    assertError(foreign, 404, code);
    assert.equal(missing.statusCode, 404, `${method} ${missingUrl}`);
    assert.equal(strip(foreign.body), strip(missing.body), `${method} ${foreignUrl}`);
  }
  assert.deepEqual(json(await owner.api('GET', `/v1/contacts/${contact.id}`)), before, 'untouched');
  assert.deepEqual(
    json(await owner.api('GET', DEFS)).map((d: { name: string }) => d.name),
    ['Secret'],
  );
  assert.equal((await list(stranger, '?name=private')).totalCount, 0);
  assert.equal((await list(stranger)).totalCount, 1);
  assert.deepEqual(json(await stranger.api('GET', `/v1/contacts/${mine.id}`)).customProperties, []);
  for (const url of [`/v1/contacts/not-a-uuid`, `${DEFS}/not-a-uuid/statistics`]) {
    assertError(await owner.api('GET', url), 400, 'Wasl:ValidationFailed', ['id']);
  }
  assertError(await owner.api('GET', '/v1/contacts/not-a-uuid/history'), 400, 'Wasl:ValidationFailed', ['contactId']);
  assertError(await owner.api('PUT', `/v1/contacts/${contact.id}/properties/nope`, { value: 'x' }), 400, 'Wasl:ValidationFailed', ['propertyDefinitionId']);
});

authBattery(h, async (ws) => {
  const contact = await create(ws, { name: 'battery', phoneNumber: '+966500000070' });
  const def = json(await ws.api('POST', DEFS, { name: 'Battery', type: 'Text' }));
  return [
    { method: 'POST', url: '/v1/contacts', body: { name: 'nope', phoneNumber: '+966500000071' } },
    { method: 'GET', url: '/v1/contacts' },
    { method: 'GET', url: `/v1/contacts/${contact.id}` },
    { method: 'PUT', url: `/v1/contacts/${contact.id}`, body: { name: 'nope' } },
    { method: 'DELETE', url: `/v1/contacts/${contact.id}` },
    { method: 'GET', url: `/v1/contacts/${contact.id}/history` },
    { method: 'POST', url: '/v1/contacts/search', body: { maxResultCount: 10 } },
    { method: 'POST', url: '/v1/contacts/search?SkipCount=0&MaxResultCount=10' },
    { method: 'PUT', url: `/v1/contacts/${contact.id}/properties/${def.id}`, body: { value: 'nope' } },
    { method: 'DELETE', url: `/v1/contacts/${contact.id}/properties/${def.id}` },
    { method: 'GET', url: DEFS },
    { method: 'POST', url: DEFS, body: { name: 'Nope', type: 'Text' } },
    { method: 'PUT', url: `${DEFS}/${def.id}`, body: { name: 'Nope' } },
    { method: 'DELETE', url: `${DEFS}/${def.id}` },
    { method: 'GET', url: `${DEFS}/${def.id}/statistics` },
    { method: 'POST', url: '/v1/contacts/import/vcards', body: { VCards: ['BEGIN:VCARD\nVERSION:3.0\nFN:Nope\nTEL:+966500000072\nEND:VCARD'] } },
    { method: 'POST', url: '/v1/contacts/import/csv' },
    { method: 'GET', url: '/v1/contacts/export?format=csv' },
    { method: 'GET', url: '/v1/contacts/export?format=vcf' },
  ];
});
