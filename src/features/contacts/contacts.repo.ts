import { sql, type RawBuilder } from 'kysely';
import type { Db } from '../../db/store.js';
import type { ContactHistoryTable, ContactNoteRow, ContactRow, ContactsTable, ContactValuesTable } from '../../db/types.js';
import { isUniqueViolation } from '../../db/errors.js';
import { errors } from '../../lib/errors.js';
import { fold } from '../../lib/fold.js';
import { codes, ContactType } from '../../lib/enums.js';
import { newId } from '../../lib/ids.js';
import { orderBy, pageOf, withTotal } from '../../db/paging.js';
import { COUNT_COST_LIMIT, estimate } from '../../db/estimate.js';
import type { PageRequest } from '../../lib/paging.js';
import type { Insertable, Updateable } from 'kysely';

/** Walks along the sort index up to this many contacts are cheaper than building the matching set first. */
export const PROBE_WALK = 20_000;

/**
 * The folded copies filters compare (lib/fold.ts), kept beside whichever of name, email, company
 * and position a write sets, so no caller can forget one.
 */
function withKeys<R extends Partial<Pick<ContactsTable, 'name' | 'email' | 'company' | 'position'>>>(row: R): R & Pick<ContactsTable, 'search_name'> {
  const keyed: Partial<ContactsTable> = {};
  const key = (v: string | null | undefined) => (v == null ? null : fold(v));
  if (row.name !== undefined) keyed.search_name = fold(row.name);
  if (row.email !== undefined) keyed.search_email = key(row.email);
  if (row.company !== undefined) keyed.search_company = key(row.company);
  if (row.position !== undefined) keyed.search_position = key(row.position);
  return { ...row, ...keyed } as R & Pick<ContactsTable, 'search_name'>;
}

/** One history row: a change of one contact, by `actor` at `at`. */
export const newHistory = (
  workspaceId: string,
  contactId: string,
  change: { propertyName: string; oldValue: string | null; newValue: string | null },
  actor: { id: string | null; source: number },
  at: Date,
): Insertable<ContactHistoryTable> => ({
  id: newId(),
  workspace_id: workspaceId,
  contact_id: contactId,
  property_name: change.propertyName,
  old_value: change.oldValue,
  new_value: change.newValue,
  source: actor.source,
  creation_time: at,
  creator_id: actor.id,
});

/** A new note on a contact, by `actor` at `at`. */
export const newNote = (workspaceId: string, contactId: string, text: string, actor: { id: string | null; name: string | null }, at: Date): ContactNoteRow => ({
  id: newId(),
  workspace_id: workspaceId,
  contact_id: contactId,
  text,
  creator_name: actor.name,
  creation_time: at,
  creator_id: actor.id,
  last_modification_time: null,
  last_modifier_id: null,
});

/** A contact row as callers write it; the repo adds the folded keys (`withKeys`). */
export type NewContact = Omit<Insertable<ContactsTable>, 'search_name' | 'search_email' | 'search_company' | 'search_position'>;

/** A new live contact's row: a fresh id, created and last changed at `at` by `by`. */
export function newContact(
  fields: Pick<ContactsTable, 'workspace_id' | 'name' | 'phone_number' | 'email' | 'company' | 'position' | 'custom_fields'> & { contact_type?: number },
  at: Date,
  by: string | null,
): NewContact {
  return {
    id: newId(),
    contact_type: codes(ContactType).Individual,
    ...fields,
    creation_time: at,
    creator_id: by,
    last_modification_time: at,
    last_modifier_id: null,
    deletion_time: null,
    deleter_id: null,
  };
}

/** The workspace's live contacts (not soft-deleted). */
const live = (trx: Db, workspaceId: string) => trx.selectFrom('contacts').selectAll().where('workspace_id', '=', workspaceId).where('deletion_time', 'is', null);

/** Contacts, their values, notes and history; every query is scoped by workspace. */
export function createContactsRepo(db: Db) {
  return {
    /** The new contact, or the id of the live contact that already has this phone (concurrent creates included). */
    async insert(row: NewContact, trx: Db = db): Promise<{ row: ContactRow } | { existingId: string }> {
      const inserted = await trx
        .insertInto('contacts')
        .values(withKeys(row))
        .onConflict((oc) => oc.expression(sql`workspace_id, phone_number text_pattern_ops`).where('deletion_time', 'is', null).doNothing())
        .returningAll()
        .executeTakeFirst();
      if (inserted) return { row: inserted };
      const existing = await this.findByPhone(row.workspace_id, row.phone_number, trx);
      if (!existing) throw errors.contactPhoneTaken(row.phone_number, '');
      return { existingId: existing.id };
    },

    /**
     * Many new contacts of one workspace, in one statement per 1,000 (columns as arrays through
     * `unnest`: a third of the time of a 16,000-parameter VALUES list). A phone a live contact has
     * is left out of the answer, so the caller can treat it as existing.
     */
    async insertMany(rows: NewContact[], trx: Db = db) {
      const made: NewContact[] = [];
      for (let i = 0; i < rows.length; i += 1000) {
        const part: Insertable<ContactsTable>[] = rows.slice(i, i + 1000).map(withKeys);
        if (!part.length) continue;
        const col = <K extends keyof Insertable<ContactsTable>>(k: K) => part.map((r) => r[k] ?? null);
        const first = part[0]!;
        const result = await sql<{ id: string }>`
          INSERT INTO contacts (id, workspace_id, name, search_name, phone_number, email, company, position, search_email, search_company, search_position,
                                contact_type, custom_fields, creation_time, creator_id, last_modification_time, last_modifier_id)
          SELECT u.id, ${first.workspace_id}, u.name, u.search_name, u.phone_number, u.email, u.company, u.position, u.search_email, u.search_company, u.search_position,
                 u.contact_type, u.custom_fields, ${first.creation_time}, ${first.creator_id ?? null}, ${first.creation_time}, NULL
          FROM unnest(${col('id')}::uuid[], ${col('name')}::text[], ${col('search_name')}::text[], ${col('phone_number')}::text[],
                      ${col('email')}::text[], ${col('company')}::text[], ${col('position')}::text[],
                      ${col('search_email')}::text[], ${col('search_company')}::text[], ${col('search_position')}::text[], ${col('contact_type')}::smallint[],
                      ${part.map((r) => JSON.stringify(r.custom_fields ?? {}))}::jsonb[])
               AS u(id, name, search_name, phone_number, email, company, position, search_email, search_company, search_position, contact_type, custom_fields)
          ON CONFLICT (workspace_id, phone_number text_pattern_ops) WHERE deletion_time IS NULL DO NOTHING
          RETURNING id
        `.execute(trx);
        const ids = new Set(result.rows.map((r) => r.id));
        made.push(...part.filter((r) => ids.has(r.id)));
      }
      return made;
    },

    async insertValues(rows: ContactValuesTable[], trx: Db = db) {
      for (let i = 0; i < rows.length; i += 1000) await trx.insertInto('contact_values').values(rows.slice(i, i + 1000)).execute();
    },

    async insertNotes(rows: ContactNoteRow[], trx: Db = db) {
      for (let i = 0; i < rows.length; i += 1000) await trx.insertInto('contact_notes').values(rows.slice(i, i + 1000)).execute();
    },

    find: (workspaceId: string, id: string, trx: Db = db) => live(trx, workspaceId).where('id', '=', id).executeTakeFirst(),

    findByPhone: (workspaceId: string, phone: string, trx: Db = db) => live(trx, workspaceId).where('phone_number', '=', phone).executeTakeFirst(),

    findByPhones: (workspaceId: string, phones: string[], trx: Db = db) =>
      phones.length
        ? // One array parameter, not 1,000: planning a long IN list cost more than the lookup.
          live(trx, workspaceId).where('phone_number', '=', sql<string>`ANY(${phones}::text[])`).execute()
        : Promise.resolve([] as ContactRow[]),

    /** Locks the row for the rest of `trx` (a read-modify-write of one contact). */
    lock: (workspaceId: string, id: string, trx: Db) => live(trx, workspaceId).where('id', '=', id).forUpdate().executeTakeFirst(),

    async update(workspaceId: string, id: string, patch: Updateable<ContactsTable>, trx: Db = db) {
      try {
        return await trx.updateTable('contacts').set(withKeys(patch)).where('workspace_id', '=', workspaceId).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
      } catch (err) {
        if (isUniqueViolation(err, 'contacts_phone')) throw errors.contactPhoneTaken(patch.phone_number as string, '');
        throw err;
      }
    },

    /** Soft delete: the row stays (history, conversations), its values go (they are in history). */
    async softDelete(workspaceId: string, id: string, by: string | null, at: Date, trx: Db = db) {
      const row = await trx
        .updateTable('contacts')
        .set({ deletion_time: at, deleter_id: by, last_modification_time: at, last_modifier_id: by })
        .where('workspace_id', '=', workspaceId)
        .where('id', '=', id)
        .where('deletion_time', 'is', null)
        .returningAll()
        .executeTakeFirst();
      if (row) await trx.deleteFrom('contact_values').where('contact_id', '=', id).execute();
      return row;
    },

    /**
     * A page of live contacts matching the tree (`search.ts`) and their number, shaped by the
     * planner's estimate of the matches (EXPLAIN, ~0.3 ms; rules and measurements in README.md):
     * - the page probes contact by contact along the sort index when that walk is short
     *   (`(skip + take) × live / matches ≤ probeWalk`), else lets the planner build the set;
     * - the number is counted exactly when fewer than `exactUpTo` matches are expected and the
     *   count is cheap (planner cost < COUNT_COST_LIMIT); otherwise it is the estimate, never less
     *   than what the pages have shown plus one while they come full. `exactUpTo` 0: always exact.
     */
    async search(
      workspaceId: string,
      q: { where: RawBuilder<unknown>; probe: RawBuilder<unknown>; valueSet: RawBuilder<unknown> | null },
      page: PageRequest,
      rules: { exactUpTo: number; live: number },
      trx: Db = db,
    ) {
      const live = sql`c.workspace_id = ${workspaceId} AND c.deletion_time IS NULL`;
      const matching = q.valueSet ?? sql`SELECT c.id FROM contacts c WHERE ${live} AND ${q.where}`;
      const plan = rules.exactUpTo > 0 ? await estimate(matching, trx) : null;
      const walk = plan ? ((page.skip + page.take) * rules.live) / Math.max(plan.rows, 1) : Infinity;
      const rows = (
        await sql<ContactRow>`
          SELECT c.* FROM contacts c WHERE ${live} AND ${walk <= PROBE_WALK ? q.probe : q.where}
          ORDER BY ${orderBy(page.sort, 'c')} OFFSET ${page.skip} LIMIT ${page.take}
        `.execute(trx)
      ).rows;
      const seen = page.skip + rows.length;
      // A short page ends the list: the number is known without counting.
      if (rows.length < page.take && (rows.length > 0 || page.skip === 0)) return { totalCount: seen, exact: true, items: rows };
      if (plan && (plan.rows >= rules.exactUpTo || plan.cost >= COUNT_COST_LIMIT)) {
        return { totalCount: Math.max(plan.rows, rows.length === page.take ? seen + 1 : seen), exact: false, items: rows };
      }
      const counted = await sql<{ n: number }>`SELECT count(*)::int AS n FROM (${matching}) s`.execute(trx);
      return { totalCount: counted.rows[0]!.n, exact: true, items: rows };
    },

    /** The planner's estimate of this workspace's live contacts (search shapes its page by it). */
    liveEstimate: async (workspaceId: string, trx: Db = db) =>
      (await estimate(sql`SELECT c.id FROM contacts c WHERE c.workspace_id = ${workspaceId} AND c.deletion_time IS NULL`, trx)).rows,

    /** The next `limit` matching live contacts after `after` in (creation_time, id) order: an export's keyset scan. */
    async scan(workspaceId: string, where: RawBuilder<unknown>, after: { time: Date; id: string } | null, limit: number, trx: Db = db) {
      const from = after ? sql`AND (c.creation_time, c.id) > (${after.time}, ${after.id})` : sql``;
      const rows = await sql<ContactRow>`
        SELECT c.* FROM contacts c WHERE c.workspace_id = ${workspaceId} AND c.deletion_time IS NULL AND ${where} ${from}
        ORDER BY c.creation_time, c.id LIMIT ${limit}
      `.execute(trx);
      return rows.rows;
    },

    // Values.
    values: (contactIds: string[], trx: Db = db) =>
      contactIds.length ? trx.selectFrom('contact_values').selectAll().where('contact_id', 'in', contactIds).execute() : Promise.resolve([]),

    async putValue(row: ContactValuesTable, trx: Db = db) {
      await trx
        .insertInto('contact_values')
        .values(row)
        .onConflict((oc) =>
          oc.columns(['definition_id', 'contact_id']).doUpdateSet({
            text_value: row.text_value,
            text_key: row.text_key,
            number_value: row.number_value,
            date_value: row.date_value,
            bool_value: row.bool_value,
            list_value: row.list_value,
          }),
        )
        .execute();
    },

    async deleteValue(definitionId: string, contactId: string, trx: Db = db) {
      await trx.deleteFrom('contact_values').where('definition_id', '=', definitionId).where('contact_id', '=', contactId).execute();
    },

    // Notes.
    notes: (contactIds: string[], trx: Db = db) =>
      contactIds.length
        ? trx.selectFrom('contact_notes').selectAll().where('contact_id', 'in', contactIds).orderBy('creation_time').orderBy('id').execute()
        : Promise.resolve([] as ContactNoteRow[]),

    // History.
    /** History rows in one `unnest` statement per 5,000. */
    async record(rows: Insertable<ContactHistoryTable>[], trx: Db = db) {
      for (let i = 0; i < rows.length; i += 5000) {
        const part = rows.slice(i, i + 5000);
        const col = <K extends keyof Insertable<ContactHistoryTable>>(k: K) => part.map((r) => r[k] ?? null);
        await sql`
          INSERT INTO contact_history (id, workspace_id, contact_id, property_name, old_value, new_value, source, creation_time, creator_id)
          SELECT * FROM unnest(${col('id')}::uuid[], ${col('workspace_id')}::uuid[], ${col('contact_id')}::uuid[], ${col('property_name')}::text[],
                               ${col('old_value')}::text[], ${col('new_value')}::text[], ${col('source')}::smallint[],
                               ${col('creation_time')}::timestamptz[], ${col('creator_id')}::uuid[])
        `.execute(trx);
      }
    },

    async history(workspaceId: string, contactId: string, page: PageRequest, trx: Db = db) {
      const query = trx.selectFrom('contact_history').where('contact_id', '=', contactId).where('workspace_id', '=', workspaceId);
      const rows = await query
        .selectAll()
        .select(withTotal())
        .orderBy('creation_time', 'desc')
        .orderBy('id', 'desc')
        .offset(page.skip)
        .limit(page.take)
        .execute();
      return pageOf(rows, page.skip, async () => (await query.select(sql<number>`count(*)::int`.as('n')).executeTakeFirstOrThrow()).n);
    },

    /** Whether the contact ever existed in this workspace (history of a deleted contact stays readable). */
    exists: async (workspaceId: string, id: string, trx: Db = db) =>
      !!(await trx.selectFrom('contacts').select('id').where('workspace_id', '=', workspaceId).where('id', '=', id).executeTakeFirst()),
  };
}
export type ContactsRepo = ReturnType<typeof createContactsRepo>;
