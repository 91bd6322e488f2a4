import type { Static } from 'typebox';
import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { ContactValuesTable, PropertyDefinitionRow } from '../../db/types.js';
import type { Clock } from '../../lib/clock.js';
import { errors } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { PropertiesRepo } from './properties.repo.js';
import type { CreatePropertyBody, UpdatePropertyBody } from './properties.schemas.js';
import type { Actor } from './contacts.service.js';
import { convert, keyOf, T } from './values.js';

type OptionInput = string | { value: string; color?: string | null };

/** Spec §3.20's definition object. */
export const toDefinition = (row: PropertyDefinitionRow) => ({
  id: row.id,
  workspaceId: row.workspace_id,
  name: row.name,
  key: row.key,
  type: row.type,
  isRequired: row.is_required,
  selectOptions: row.select_options,
  lastModificationTime: row.last_modification_time,
  lastModifierId: row.last_modifier_id,
  creationTime: row.creation_time,
  creatorId: row.creator_id,
});

const hasOptions = (type: number) => type === T.Select || type === T.MultiSelect;

/** Options as `{value, color}`, trimmed; a repeated value (case-insensitive) is a 400. */
function options(type: number, input: OptionInput[] | null | undefined): { value: string; color: string | null }[] {
  if (!hasOptions(type)) {
    if (input?.length) throw errors.invalidField('selectOptions', 'selectOptions: only Select and MultiSelect properties have options.');
    return [];
  }
  const out = (input ?? []).map((o) => (typeof o === 'string' ? { value: o.trim(), color: null } : { value: o.value.trim(), color: o.color ?? null }));
  const seen = new Set<string>();
  out.forEach((o, i) => {
    const lower = o.value.toLowerCase();
    if (seen.has(lower)) throw errors.invalidField(`selectOptions[${i}].value`, `selectOptions[${i}]: the option "${o.value}" is given twice.`);
    seen.add(lower);
  });
  if (!out.length) throw errors.invalidField('selectOptions', 'selectOptions: a Select or MultiSelect property needs at least one option.');
  return out;
}

export function createPropertiesService(deps: {
  repo: PropertiesRepo;
  transaction: Transaction;
  clock: Clock;
  region: (workspaceId: string, trx?: Db) => Promise<string>;
  /** Told after a definition of the workspace changed (searches cache definitions for a second). */
  changed: (workspaceId: string) => void;
}) {
  const { repo, transaction, clock } = deps;

  async function found(workspaceId: string, id: string, trx?: Db) {
    const row = await repo.find(workspaceId, id, trx);
    if (!row) throw errors.notFound('ContactProperty', id);
    return row;
  }

  return {
    list: async (workspaceId: string) => (await repo.list(workspaceId)).map(toDefinition),
    /** The definitions as stored (imports map columns to them). */
    rows: (workspaceId: string) => repo.list(workspaceId),

    async create(workspaceId: string, input: Static<typeof CreatePropertyBody>, actor: Actor) {
      const name = input.name.trim();
      const row = await repo.insert({
        id: newId(),
        workspace_id: workspaceId,
        name,
        key: keyOf(name),
        type: input.type,
        is_required: input.isRequired ?? false,
        select_options: options(input.type, input.selectOptions),
        creation_time: clock.now(),
        creator_id: actor.id,
        last_modification_time: null,
        last_modifier_id: null,
      });
      deps.changed(workspaceId);
      return toDefinition(row);
    },

    /**
     * Partial. A new type or a smaller option list converts the values in use; when any does not
     * fit → 409 with how many (nothing is changed). Values are renamed along with option case.
     */
    async update(workspaceId: string, id: string, input: Static<typeof UpdatePropertyBody>, actor: Actor) {
      return transaction(async (tx) => {
        const row = await found(workspaceId, id, tx);
        const type = input.type ?? row.type;
        const name = input.name?.trim() || row.name;
        const next: PropertyDefinitionRow = {
          ...row,
          name,
          key: keyOf(name),
          type,
          is_required: input.isRequired ?? row.is_required,
          select_options:
            input.selectOptions != null ? options(type, input.selectOptions) : hasOptions(type) ? options(type, row.select_options) : options(type, []),
          last_modification_time: clock.now(),
          last_modifier_id: actor.id,
        };
        // jsonb hands options back with its own key order: compare the pairs.
        const optionPairs = (o: PropertyDefinitionRow['select_options']) => JSON.stringify(o.map((x) => [x.value, x.color]));
        if (next.type !== row.type || optionPairs(next.select_options) !== optionPairs(row.select_options)) {
          const region = await deps.region(workspaceId, tx);
          const values = await repo.values(id, tx);
          const converted: ContactValuesTable[] = [];
          let failed = 0;
          let reason = '';
          for (const v of values) {
            const result = convert(next, v, region);
            if ('reason' in result) {
              failed++;
              reason ||= result.reason;
            } else converted.push({ definition_id: id, contact_id: v.contact_id, ...result.converted });
          }
          if (failed) throw errors.propertyValuesIncompatible(id, failed, `do not fit the new definition (e.g. ${reason})`);
          await repo.replaceValues(id, converted, tx);
        }
        const { id: _, workspace_id: __, creation_time: ___, creator_id: ____, ...patch } = next;
        return toDefinition(await repo.update(workspaceId, id, patch, tx));
      }).finally(() => deps.changed(workspaceId));
    },

    /** Removes the definition and its values; each removed value is a history entry of its contact. */
    async delete(workspaceId: string, id: string, actor: Actor) {
      await transaction(async (tx) => {
        const row = await found(workspaceId, id, tx);
        await repo.recordRemoval(row, { source: actor.source, at: clock.now(), by: actor.id }, tx);
        await repo.delete(workspaceId, id, tx);
      }).finally(() => deps.changed(workspaceId));
    },

    /** The values in use, most frequent first; `detailed`: counts, percentages, set/unset, min/max/avg. */
    async statistics(workspaceId: string, id: string, format: 'values' | 'detailed') {
      const row = await found(workspaceId, id);
      const counts = await repo.valueCounts(row);
      if (format === 'values') return counts.map((c) => c.value);
      const s = await repo.summary(row);
      const numeric = row.type === T.Number;
      const dated = row.type === T.Date;
      return {
        propertyDefinitionId: row.id,
        type: row.type,
        totalContacts: s.total,
        setCount: s.set,
        unsetCount: Math.max(0, s.total - s.set),
        values: counts.map((c) => ({ value: c.value, count: c.n, percentage: s.total ? Math.round((c.n / s.total) * 10_000) / 100 : 0 })),
        min: numeric ? s.min_n : dated && s.min_d ? new Date(s.min_d).toISOString() : null,
        max: numeric ? s.max_n : dated && s.max_d ? new Date(s.max_d).toISOString() : null,
        avg: numeric ? (s.avg_n === null ? null : Number(s.avg_n)) : dated && s.avg_d ? new Date(s.avg_d).toISOString() : null,
      };
    },
  };
}
export type PropertiesService = ReturnType<typeof createPropertiesService>;
