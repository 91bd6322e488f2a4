import { sql } from 'kysely';
import type { Updateable } from 'kysely';
import type { Db } from '../../db/store.js';
import type { ContactValuesTable, PropertyDefinitionRow } from '../../db/types.js';
import { isUniqueViolation } from '../../db/errors.js';
import { errors } from '../../lib/errors.js';

/** A UUIDv7 made in SQL (PostgreSQL 15 has no `uuidv7()`): `at`'s milliseconds, then random bits. */
const uuidV7At = (at: Date) =>
  sql`encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) placing substring(int8send(${at.getTime()}::bigint) from 3) from 1 for 6), 52, 1), 53, 1), 'hex')::uuid`;

/** Property definitions and the whole-definition operations on their values. */
export function createPropertiesRepo(db: Db) {
  return {
    async insert(row: PropertyDefinitionRow, trx: Db = db) {
      try {
        return await trx.insertInto('contact_property_definitions').values({ ...row, select_options: JSON.stringify(row.select_options) as never }).returningAll().executeTakeFirstOrThrow();
      } catch (err) {
        if (isUniqueViolation(err, 'contact_property_definitions_key')) throw errors.propertyNameTaken(row.name, row.key);
        throw err;
      }
    },

    find: (workspaceId: string, id: string, trx: Db = db) =>
      trx.selectFrom('contact_property_definitions').selectAll().where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst(),

    list: (workspaceId: string, trx: Db = db) =>
      trx.selectFrom('contact_property_definitions').selectAll().where('workspace_id', '=', workspaceId).orderBy('creation_time').orderBy('id').execute(),

    async update(workspaceId: string, id: string, patch: Updateable<PropertyDefinitionRow>, trx: Db = db) {
      const set = patch.select_options ? { ...patch, select_options: JSON.stringify(patch.select_options) as never } : patch;
      try {
        return await trx.updateTable('contact_property_definitions').set(set).where('workspace_id', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
      } catch (err) {
        if (isUniqueViolation(err, 'contact_property_definitions_key')) throw errors.propertyNameTaken(String(patch.name), String(patch.key));
        throw err;
      }
    },

    async delete(workspaceId: string, id: string, trx: Db = db) {
      await trx.deleteFrom('contact_property_definitions').where('workspace_id', '=', workspaceId).where('id', '=', id).execute();
    },

    /** Every value of a definition (a type change converts them). */
    values: (definitionId: string, trx: Db = db) => trx.selectFrom('contact_values').selectAll().where('definition_id', '=', definitionId).execute(),

    async replaceValues(definitionId: string, rows: ContactValuesTable[], trx: Db = db) {
      await trx.deleteFrom('contact_values').where('definition_id', '=', definitionId).execute();
      for (let i = 0; i < rows.length; i += 1000) await trx.insertInto('contact_values').values(rows.slice(i, i + 1000)).execute();
    },

    /** History rows for every value of a definition being deleted, written by one statement. */
    async recordRemoval(def: PropertyDefinitionRow, history: { source: number; at: Date; by: string | null }, trx: Db = db) {
      await sql`
        INSERT INTO contact_history (id, workspace_id, contact_id, property_name, old_value, new_value, source, creation_time, creator_id)
        SELECT ${uuidV7At(history.at)}, ${def.workspace_id}, v.contact_id, ${def.name},
               coalesce(v.text_value, v.number_value::text, to_char(v.date_value AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), v.bool_value::text, array_to_string(v.list_value, ', ')),
               NULL, ${history.source}, ${history.at}, ${history.by}
        FROM contact_values v WHERE v.definition_id = ${def.id}
      `.execute(trx);
    },

    /** Values in use, most frequent first, and the set count (statistics). */
    async valueCounts(def: PropertyDefinitionRow, trx: Db = db) {
      const result = await sql<{ value: string; n: number }>`
        SELECT value, count(*)::int AS n FROM (
          SELECT coalesce(v.text_value, v.number_value::text, to_char(v.date_value AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), v.bool_value::text) AS value
          FROM contact_values v WHERE v.definition_id = ${def.id} AND v.list_value IS NULL
          UNION ALL
          SELECT unnest(v.list_value) FROM contact_values v WHERE v.definition_id = ${def.id} AND v.list_value IS NOT NULL
        ) s GROUP BY value ORDER BY n DESC, value ASC LIMIT 1000
      `.execute(trx);
      return result.rows;
    },

    async summary(def: PropertyDefinitionRow, trx: Db = db) {
      const result = await sql<{ total: number; set: number; min_n: number | null; max_n: number | null; avg_n: number | null; min_d: Date | null; max_d: Date | null; avg_d: Date | null }>`
        SELECT (SELECT count(*)::int FROM contacts WHERE workspace_id = ${def.workspace_id} AND deletion_time IS NULL) AS total,
               count(*)::int AS set,
               min(number_value) AS min_n, max(number_value) AS max_n, avg(number_value) AS avg_n,
               min(date_value) AS min_d, max(date_value) AS max_d,
               to_timestamp(avg(extract(epoch FROM date_value))) AS avg_d
        FROM contact_values WHERE definition_id = ${def.id}
      `.execute(trx);
      return result.rows[0]!;
    },
  };
}
export type PropertiesRepo = ReturnType<typeof createPropertiesRepo>;
