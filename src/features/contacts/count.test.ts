import assert from 'node:assert/strict';
import { test } from 'node:test';
import { build, json } from '../../../test/helpers/build.js';

// A tiny threshold, so 40 contacts are "many": totalCount becomes the planner's estimate.
const h = await build({ SEARCH_EXACT_COUNT_UP_TO: '5' });
// The same searches on a store that never estimates (SEARCH_EXACT_COUNT_UP_TO=0): its pages let
// the planner build the matching set, where the harness above probes along the sort index.
// Both are built before the first test: a top-level await between two tests lets the first end
// the file's root test, whose after-hooks then close `h` under the second (CI, once).
const exact = await build({ SEARCH_EXACT_COUNT_UP_TO: '0' });

test('above SEARCH_EXACT_COUNT_UP_TO totalCount is estimated, flagged, and paging until a short page still reads every contact once', async () => {
  const ws = await h.workspace();
  const tier = json(await ws.api('POST', '/v1/contact-property-definitions', { name: 'Tier', type: 'Select', selectOptions: ['Gold', 'Silver'] }));
  const gold: string[] = [];
  for (let i = 0; i < 40; i++) {
    const res = await ws.api('POST', '/v1/contacts', { name: `C${i}`, phoneNumber: `+9665000020${String(i).padStart(2, '0')}`, properties: { tier: i % 4 ? 'Gold' : 'Silver' } });
    assert.equal(res.statusCode, 200, res.body);
    if (i % 4) gold.push(json(res).id);
  }
  // The estimate follows the statistics: analyse what was just written, as autovacuum would.
  await h.app.container.transaction(async (trx) => void (await (await import('kysely')).sql`ANALYZE contacts, contact_values`.execute(trx)));

  for (const [what, call] of [
    ['list', (skip: number) => ws.api('GET', `/v1/contacts?SkipCount=${skip}&MaxResultCount=7`)],
    ['search', (skip: number) => ws.api('POST', '/v1/contacts/search', { skipCount: skip, maxResultCount: 7, customPropertyFilters: [{ propertyDefinitionId: tier.id, operator: 1, value: 'Gold' }] })],
  ] as const) {
    const seen: string[] = [];
    let estimated = false;
    for (let skip = 0; ; skip += 7) {
      const res = await call(skip);
      assert.equal(res.statusCode, 200, res.body);
      const page = json(res);
      seen.push(...page.items.map((c: { id: string }) => c.id));
      if (!page.totalCountExact) {
        estimated = true;
        assert.ok(page.totalCount > skip + page.items.length - 1, `${what}: a full page promises at least one more (${page.totalCount} at ${skip})`);
      }
      if (page.items.length < 7) {
        assert.equal(page.totalCountExact, true, `${what}: the short last page knows the total`);
        assert.equal(page.totalCount, seen.length);
        break;
      }
      assert.ok(skip < 100, 'paging ends');
    }
    assert.ok(estimated, `${what}: the estimate was used`);
    assert.equal(new Set(seen).size, seen.length, `${what}: no contact twice`);
    if (what === 'search') assert.deepEqual([...seen].sort(), [...gold].sort(), 'exactly the matches');
    else assert.equal(seen.length, 40);
  }

  // A narrow search (estimated under the threshold) is counted exactly, even when its page is full.
  const one = json(await ws.api('POST', '/v1/contacts/search', { maxResultCount: 1, filterGroups: [{ filters: [{ field: 'phoneNumber', operator: 'Equals', value: '+966500002003' }] }] }));
  assert.deepEqual([one.totalCount, one.totalCountExact, one.items.length], [1, true, 1]);
});

test('the probing page and the set-building page return the same contacts, each matching the filters', async () => {
  const data = Array.from({ length: 24 }, (_, i) => ({ name: `P${i}`, tier: i % 3 === 0 ? null : i % 3 === 1 ? 'Gold' : 'Silver', score: i }));
  const searches = (tier: string) => [
    { customPropertyFilters: [{ propertyDefinitionId: tier, operator: 'Equals', value: 'Gold' }], filterGroups: [{ filters: [{ propertyKey: 'score', operator: 'GreaterThan', value: 5 }] }] },
    { filterGroups: [{ filters: [{ propertyKey: 'tier', operator: 'IsNotSet' }] }, { filters: [{ field: 'name', operator: 'Equals', value: 'p7' }] }] },
    { filterGroups: [{ filters: [{ propertyKey: 'tier', operator: 'NotEquals', value: 'Silver' }, { propertyKey: 'score', operator: 'Between', value: [4, 12] }] }] },
  ];
  const expected = [
    data.filter((d) => d.tier === 'Gold' && d.score > 5),
    data.filter((d) => d.tier === null || d.name === 'P7'),
    data.filter((d) => d.tier !== 'Silver' && d.score >= 4 && d.score <= 12),
  ].map((list) => list.map((d) => d.name).sort());

  for (const harness of [h, exact]) {
    const ws = await harness.workspace();
    const tier = json(await ws.api('POST', '/v1/contact-property-definitions', { name: 'Tier', type: 'Select', selectOptions: ['Gold', 'Silver'] })).id;
    assert.equal((await ws.api('POST', '/v1/contact-property-definitions', { name: 'Score', type: 'Number' })).statusCode, 200);
    for (const [i, d] of data.entries()) {
      const properties = { score: d.score, ...(d.tier ? { tier: d.tier } : {}) };
      assert.equal((await ws.api('POST', '/v1/contacts', { name: d.name, phoneNumber: `+9665000030${String(i).padStart(2, '0')}`, properties })).statusCode, 200);
    }
    for (const [i, body] of searches(tier).entries()) {
      const seen: string[] = [];
      for (let skip = 0; ; skip += 4) {
        const page = json(await ws.api('POST', '/v1/contacts/search', { ...body, skipCount: skip, maxResultCount: 4 }));
        seen.push(...page.items.map((c: { name: string }) => c.name));
        if (page.items.length < 4) break;
      }
      assert.deepEqual(seen.sort(), expected[i], `search ${i} on the ${harness === h ? 'probing' : 'set-building'} store`);
    }
  }
});
