import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { assertError } from '../../../test/helpers/assert.js';
import { build, json, type Workspace } from '../../../test/helpers/build.js';

const h = await build({ IMPORT_MAX_BYTES: String(4 * 1024 * 1024) });
const fixture = (name: string) => readFileSync(new URL(`../../../test/fixtures/vcards/${name}`, import.meta.url), 'utf8');
const raw = (ws: Workspace, url: string, body: string | Buffer, type: string) =>
  h.app.inject({ method: 'POST', url, payload: body, headers: { authorization: `Bearer ${ws.token}`, 'content-type': type } });

const card = (name: string, phone: string, extra = '') => `BEGIN:VCARD\r\nVERSION:3.0\r\nFN:${name}\r\nTEL;type=CELL:${phone}\r\n${extra}END:VCARD\r\n`;

test('vCards: the documented JSON body (PascalCase and camelCase), one string of many cards, a raw text/vcard body', async () => {
  const ws = await h.workspace();
  const documented = 'BEGIN:VCARD\nVERSION:3.0\nN:;Name شركة Name;;;\nFN:Name شركة Name\nX-WA-BIZ-NAME:Name\nORG:;\nTEL;type=CELL;type=VOICE;waid=966545614020:+966 55 555 5555\nEND:VCARD';
  const a = await ws.api('POST', '/v1/contacts/import/vcards', { VCards: [documented] });
  assert.equal(a.statusCode, 200, a.body);
  assert.deepEqual({ ...json<object>(a), contactIds: json(a).contactIds.length }, { created: 1, updated: 0, skipped: 0, errors: [], contactIds: 1 });
  const contact = json(await ws.api('GET', `/v1/contacts/${json(a).contactIds[0]}`));
  assert.equal(contact.phoneNumber, '+966545614020', 'the waid number wins over the displayed one');
  assert.equal(contact.name, 'Name شركة Name');

  const many = await ws.api('POST', '/v1/contacts/import/vcards', { vcards: card('One', '+966500000001') + card('Two', '+966500000002') });
  assert.equal(json(many).created, 2, many.body);

  const streamed = await raw(ws, '/v1/contacts/import/vcards', card('Three', '0500000003') + card('Four', '0500000004'), 'text/vcard; charset=utf-8');
  assert.equal(streamed.statusCode, 200, streamed.body);
  assert.equal(json(streamed).created, 2);
  assert.equal(json(await ws.api('GET', '/v1/contacts')).totalCount, 5);
});

test('vCard fixtures of every version import; a broken card is reported and the rest imported; the same file again creates nothing', async () => {
  const ws = await h.workspace();
  for (const file of ['v21-android.vcf', 'v30-apple.vcf', 'v30-google.vcf', 'v40.vcf', 'whatsapp.vcf', 'many-broken.vcf']) {
    const first = await raw(ws, '/v1/contacts/import/vcards', fixture(file), 'text/vcard');
    assert.equal(first.statusCode, 200, `${file}: ${first.body}`);
    const result = json(first);
    assert.ok(result.created + result.updated + result.skipped > 0, `${file} imported something: ${first.body}`);
    if (file === 'many-broken.vcf') {
      assert.ok(result.errors.length >= 1, 'the broken card is reported');
      for (const e of result.errors) assert.ok(Number.isInteger(e.index) && typeof e.reason === 'string');
    }
    const again = json(await raw(ws, '/v1/contacts/import/vcards', fixture(file), 'text/vcard'));
    assert.equal(again.created, 0, `${file} again creates nothing`);
    assert.equal(again.updated, 0, `${file} again changes nothing`);
    assert.deepEqual(again.contactIds.sort(), result.contactIds.sort());
  }
});

test('an existing phone: empty fields are filled, set ones kept unless overwrite=true; history says Import', async () => {
  const ws = await h.workspace();
  const c = json(await ws.api('POST', '/v1/contacts', { phoneNumber: '+966501112233', company: 'Old Co' }));
  const file = card('Filled Name', '+966501112233', 'ORG:New Co\r\nEMAIL:filled@example.com\r\nNOTE:from the card\r\n');
  const first = json(await ws.api('POST', '/v1/contacts/import/vcards', { VCards: [file] }));
  assert.deepEqual([first.created, first.updated, first.skipped], [0, 1, 0]);
  let got = json(await ws.api('GET', `/v1/contacts/${c.id}`));
  assert.equal(got.name, 'Filled Name', 'a name that was only the number is filled');
  assert.equal(got.company, 'Old Co', 'not clobbered');
  assert.equal(got.email, 'filled@example.com');
  assert.deepEqual(got.notes.map((n: { text: string }) => n.text), ['from the card']);

  const again = json(await ws.api('POST', '/v1/contacts/import/vcards', { VCards: [file] }));
  assert.deepEqual([again.created, again.updated, again.skipped], [0, 0, 1], 'the note is not added twice');

  const over = json(await ws.api('POST', '/v1/contacts/import/vcards?overwrite=true', { VCards: [file] }));
  assert.equal(over.updated, 1);
  got = json(await ws.api('GET', `/v1/contacts/${c.id}`));
  assert.equal(got.company, 'New Co');
  const history = json(await ws.api('GET', `/v1/contacts/${c.id}/history?MaxResultCount=50`)).items;
  const company = history.find((i: { propertyName: string; newValue: string }) => i.propertyName === 'Company' && i.newValue === 'New Co');
  assert.deepEqual([company.oldValue, company.source], ['Old Co', 'Import']);
});

test('CSV: header mapped to fields, properties and custom fields; typed values checked per row; same answer and rules', async () => {
  const ws = await h.workspace();
  const tier = json(await ws.api('POST', '/v1/contact-property-definitions', { name: 'Tier', type: 'Select', selectOptions: ['Gold', 'Silver'] }));
  const score = json(await ws.api('POST', '/v1/contact-property-definitions', { name: 'Score', type: 'Number' }));
  const csv = '\ufeffالاسم;رقم الجوال;Email;tier;Score;Source\r\nسارة;0501234567;s@example.com;gold;12.5;fair\r\nBad;0501234568;;Bronze;1;x\r\nNo phone;;;;;\r\n"Quoted; name";+966501234569;;;;"multi\nline"\r\n';
  const res = await raw(ws, '/v1/contacts/import/csv', csv, 'text/csv');
  assert.equal(res.statusCode, 200, res.body);
  const result = json(res);
  assert.equal(result.created, 2);
  assert.deepEqual(result.errors.map((e: { index: number }) => e.index), [1, 2]);
  assert.match(result.errors[0].reason, /Bronze/);
  const sara = json(await ws.api('GET', `/v1/contacts/${result.contactIds[0]}`));
  assert.equal(sara.name, 'سارة');
  assert.equal(sara.phoneNumber, '+966501234567');
  assert.deepEqual(sara.customFields, { Source: 'fair' });
  const byKey = Object.fromEntries(sara.customProperties.map((p: { propertyDefinitionId: string; value: unknown }) => [p.propertyDefinitionId, p.value]));
  assert.deepEqual(byKey, { [tier.id]: 'Gold', [score.id]: 12.5 });

  assertError(await raw(ws, '/v1/contacts/import/csv', 'name,email\r\nx,y@z.com\r\n', 'text/csv'), 400, 'Wasl:ValidationFailed', ['header']);
  assertError(await raw(ws, '/v1/contacts/import/csv', Buffer.from([0x6e, 0x61, 0xff, 0x0a]), 'text/csv'), 400, 'Wasl:MalformedBody');
});

test('an oversized import is refused with 413 before anything is imported; a card of a million folded lines is reported, not fatal', async () => {
  const ws = await h.workspace();
  const big = Buffer.alloc(5 * 1024 * 1024, 'A');
  const started = performance.now();
  assertError(await raw(ws, '/v1/contacts/import/vcards', big, 'text/vcard'), 413, 'Wasl:PayloadTooLarge');
  assertError(await ws.api('POST', '/v1/contacts/import/vcards', JSON.stringify({ VCards: ['x'.repeat(5 * 1024 * 1024)] })), 413, 'Wasl:PayloadTooLarge');
  assert.ok(performance.now() - started < 5000);

  const folded = `BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Folded\r\nNOTE:x${'\r\n y'.repeat(1_000_000)}\r\nTEL:+966500000009\r\nEND:VCARD\r\n${card('After', '+966500000010')}`;
  const res = await raw(ws, '/v1/contacts/import/vcards', folded, 'text/vcard');
  assert.equal(res.statusCode, 200, res.body.slice(0, 300));
  assert.equal(json(res).created, 1, 'the card after the bad one is imported');
  assert.equal(json(res).errors.length, 1);
  assert.equal(json(await ws.api('GET', '/v1/contacts')).totalCount, 1);
});

test('export: CSV and vCard, with the search filters, streamed; what it exports imports back unchanged', async () => {
  const ws = await h.workspace();
  const tier = json(await ws.api('POST', '/v1/contact-property-definitions', { name: 'Tier', type: 'Select', selectOptions: ['Gold', 'Silver'] }));
  for (let i = 0; i < 30; i++) {
    const res = await ws.api('POST', '/v1/contacts', { name: i % 2 ? `Odd, "${i}"` : `=cmd ${i}`, phoneNumber: `+9665000001${String(i).padStart(2, '0')}`, properties: { tier: i % 3 ? 'Gold' : 'Silver' } });
    assert.equal(res.statusCode, 200, res.body);
  }
  const csv = await ws.api('GET', '/v1/contacts/export?format=csv');
  assert.equal(csv.statusCode, 200, csv.body);
  assert.match(String(csv.headers['content-type']), /^text\/csv/);
  const lines = csv.body.trim().split('\r\n');
  assert.equal(lines[0], 'id,name,phoneNumber,email,company,position,creationTime,tier');
  assert.equal(lines.length, 31);
  assert.ok(lines.some((l) => l.includes(`"Odd, ""1"""`)), 'quotes and commas escaped');
  assert.ok(lines.some((l) => l.includes(`'=cmd 0`)), 'a formula is neutralised');

  const filter = encodeURIComponent(JSON.stringify({ customPropertyFilters: [{ PropertyDefinitionId: tier.id, operator: 'Equals', value: 'silver' }] }));
  const silver = await ws.api('GET', `/v1/contacts/export?format=vcf&filter=${filter}`);
  assert.equal(silver.statusCode, 200, silver.body);
  assert.equal(silver.body.match(/BEGIN:VCARD/g)?.length, 10);

  assertError(await ws.api('GET', '/v1/contacts/export?filter=%7Bnot%20json'), 400, 'Wasl:ValidationFailed', ['filter']);
  const badOp = encodeURIComponent(JSON.stringify({ customPropertyFilters: [{ propertyDefinitionId: tier.id, operator: 'GreaterThan', value: 'Gold' }] }));
  assertError(await ws.api('GET', `/v1/contacts/export?filter=${badOp}`), 400, 'Wasl:ValidationFailed', ['customPropertyFilters[0]']);

  const other = await h.workspace();
  const back = json(await raw(other, '/v1/contacts/import/vcards', silver.body, 'text/vcard'));
  assert.equal(back.created, 10, JSON.stringify(back.errors));
});
