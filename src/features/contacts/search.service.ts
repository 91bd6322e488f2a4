import type { Static } from 'typebox';
import type { Db } from '../../db/store.js';
import { errors } from '../../lib/errors.js';
import { fold } from '../../lib/fold.js';
import type { PageRequest } from '../../lib/paging.js';
import type { ContactsRepo } from './contacts.repo.js';
import type { SearchBody } from './contacts.schemas.js';
import { freeText, leaf, Op, phoneFragment, predicate, valueSet, type Node } from './search.js';
import { csvHeader, csvRow, vcard } from './transfer.js';
import type { ContactViews } from './views.js';

const EXPORT_BATCH = 1000;

/** The read side of the contact book: lists, search (search.ts compiles it) and export. */
export function createContactSearch(deps: {
  repo: ContactsRepo;
  views: ContactViews;
  /** The store itself: reads take any pooled connection, outside a transaction. */
  db: Db;
  /** SEARCH_EXACT_COUNT_UP_TO: lists estimated to match more are counted by the planner's estimate; 0 = always exact. */
  exactCountUpTo: number;
}) {
  const { repo } = deps;
  const { readContext, views } = deps.views;

  const service = {
    async list(workspaceId: string, page: PageRequest, filter: { phoneNumber?: string; name?: string; email?: string }) {
      const and: Node[] = [];
      const digits = filter.phoneNumber?.trim() ? phoneFragment(filter.phoneNumber, (await readContext(workspaceId)).region) : '';
      if (digits) and.push({ target: { kind: 'field', field: 'phoneNumber' }, op: Op.Contains, values: [digits] });
      for (const field of ['name', 'email'] as const) {
        const folded = fold(filter[field] ?? '');
        if (folded) and.push({ target: { kind: 'field', field }, op: Op.Contains, values: [folded] });
      }
      return run(workspaceId, { and }, page);
    },

    /**
     * Hatif's `customPropertyFilters` (ANDed), Wasl's `filterGroups` (OR of AND-groups) over
     * standard fields and properties, and free text, all ANDed.
     */
    async search(workspaceId: string, body: Static<typeof SearchBody>, page: PageRequest) {
      return run(workspaceId, await service.compile(workspaceId, body), page);
    },

    /** The body's filters as a checked tree (export uses it too). */
    async compile(workspaceId: string, body: Static<typeof SearchBody>): Promise<Node> {
      const { region: workspaceRegion, find } = await readContext(workspaceId);
      const and: Node[] = [];
      (body.customPropertyFilters ?? []).forEach((f, i) => {
        const member = `customPropertyFilters[${i}]`;
        const def = find(f.propertyDefinitionId);
        if (!def) throw errors.invalidField(`${member}.propertyDefinitionId`, `${member}.propertyDefinitionId: no contact property ${f.propertyDefinitionId} in this workspace.`);
        and.push(leaf({ kind: 'property', def }, f.operator, f.value, member, workspaceRegion));
      });
      // At most MAX_GROUPS × MAX_FILTERS_PER_GROUP: SearchBody's schema refuses more (400 naming the list).
      const or: Node[] = (body.filterGroups ?? []).map((group, g) => ({
        and: group.filters.map((f, i) => {
          const member = `filterGroups[${g}].filters[${i}]`;
          const given = [f.field, f.propertyDefinitionId, f.propertyKey].filter((x) => x !== undefined).length;
          if (given !== 1) throw errors.invalidField(member, `${member}: give exactly one of field, propertyDefinitionId, propertyKey.`);
          if (f.field) return leaf({ kind: 'field', field: f.field }, f.operator, f.value, member, workspaceRegion);
          const ref = (f.propertyDefinitionId ?? f.propertyKey)!;
          const def = find(ref);
          if (!def) throw errors.invalidField(member, `${member}: no contact property "${ref}" in this workspace.`);
          return leaf({ kind: 'property', def }, f.operator, f.value, member, workspaceRegion);
        }),
      }));
      if (or.length) and.push(or.length === 1 ? or[0]! : { or });
      if (body.query?.trim()) and.push(freeText(body.query, workspaceRegion));
      return and.length === 1 ? and[0]! : { and };
    },

    /**
     * The matching contacts as CSV or vCard text, a page of EXPORT_BATCH at a time by keyset (no
     * OFFSET, no snapshot held), so memory stays flat at any size.
     */
    async *export(workspaceId: string, tree: Node, format: 'csv' | 'vcf'): AsyncGenerator<string> {
      const { defs } = await readContext(workspaceId);
      const where = predicate(tree);
      if (format === 'csv') yield csvHeader(defs);
      let after: { time: Date; id: string } | null = null;
      for (;;) {
        const rows = await repo.scan(workspaceId, where, after, EXPORT_BATCH);
        if (!rows.length) return;
        const values = Map.groupBy(await repo.values(rows.map((r) => r.id)), (v) => v.contact_id);
        let chunk = '';
        for (const row of rows) {
          const c = { ...row, values: new Map((values.get(row.id) ?? []).map((v) => [v.definition_id, v])) };
          chunk += format === 'csv' ? csvRow(c, defs) : vcard(c);
        }
        yield chunk;
        const last = rows.at(-1)!;
        after = { time: last.creation_time, id: last.id };
        if (rows.length < EXPORT_BATCH) return;
      }
    },
  };

  /** Reads only, so no transaction: each statement takes any pooled connection (values and notes at once). */
  async function run(workspaceId: string, tree: Node, page: PageRequest) {
    const query = { where: predicate(tree), probe: predicate(tree, true), valueSet: valueSet(tree) };
    const { byId, live } = await readContext(workspaceId);
    const result = await repo.search(workspaceId, query, page, { exactUpTo: deps.exactCountUpTo, live });
    return { totalCount: result.totalCount, totalCountExact: result.exact, items: await views(workspaceId, result.items, deps.db, byId) };
  }

  return service;
}
export type ContactSearch = ReturnType<typeof createContactSearch>;
