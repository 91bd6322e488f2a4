import type { Insertable } from 'kysely';
import type { Db } from '../../db/store.js';
import type { ContactHistoryTable, ContactNoteRow, ContactRow, ContactValuesTable, PropertyDefinitionRow } from '../../db/types.js';
import { AppError } from '../../lib/errors.js';
import { toE164 } from '../../lib/phone.js';
import type { Actor, ContactWriteDeps } from './contacts.service.js';
import { newContact, newHistory, newNote } from './contacts.repo.js';
import { historyText, isEmail, toStored, type Stored } from './values.js';
import type { ParsedCard } from './vcard.js';

/** One contact read from a file (vCard or CSV row), before checking. */
export interface ImportRecord extends ParsedCard {
  customFields?: Record<string, string>;
  /** Raw values by definition. */
  properties?: [PropertyDefinitionRow, string][];
}
export type ImportItem = { index: number; record: ImportRecord } | { index: number; error: { name: string | null; reason: string } };
export interface ImportResult {
  created: number;
  updated: number;
  skipped: number;
  errors: { index: number; name: string | null; reason: string }[];
  contactIds: string[];
}

export const IMPORT_BATCH = 1000;
const STANDARD = [
  ['name', 'Name'],
  ['email', 'Email'],
  ['company', 'Company'],
  ['position', 'Position'],
] as const;
const clean = (v: string | null | undefined) => (typeof v === 'string' && v.trim() ? v.trim() : null);

interface Checked {
  index: number;
  phone: string;
  name: string | null;
  email: string | null;
  company: string | null;
  position: string | null;
  notes: string[];
  customFields: Record<string, string>;
  values: Map<string, [PropertyDefinitionRow, Stored]>;
}

/**
 * Imports contacts in batches of IMPORT_BATCH, one transaction each (on the embedded store other
 * requests run between batches): a phone that exists fills that contact's empty fields (all of
 * them with `overwrite`), a new one is created, the same phone twice in a file is one contact, and
 * a record that cannot be read is reported by its index. Importing a file again creates nothing.
 * One `ContactsImported` event at the end, never one per contact.
 */
export function createImportService(deps: ContactWriteDeps) {
  const { repo, transaction, clock } = deps;

  function check(item: { index: number; record: ImportRecord }, region: string, errors: ImportResult['errors']): Checked | null {
    const r = item.record;
    const name = clean(r.name);
    if (!r.phones.length) {
      errors.push({ index: item.index, name, reason: 'no phone number' });
      return null;
    }
    const phone = r.phones.map((p) => toE164(p, region)).find((p) => p !== null);
    if (!phone) {
      errors.push({ index: item.index, name, reason: `no valid phone number (${r.phones.slice(0, 3).join(', ')})` });
      return null;
    }
    const values = new Map<string, [PropertyDefinitionRow, Stored]>();
    for (const [def, raw] of r.properties ?? []) {
      if (!clean(raw)) continue;
      try {
        values.set(def.id, [def, toStored(def, raw, def.name, region)]);
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        errors.push({ index: item.index, name, reason: err.extra.validationErrors?.[0]?.message ?? err.message });
        return null;
      }
    }
    const email = clean(r.email);
    return {
      index: item.index,
      phone,
      name,
      email: email && isEmail(email) ? email : null, // an address that is not one is left out
      company: clean(r.company),
      position: clean(r.position),
      notes: clean(r.note) ? [r.note!.trim()] : [],
      customFields: Object.fromEntries(Object.entries(r.customFields ?? {}).filter((e) => clean(e[1]) !== null).map(([k, v]) => [k, v.trim()])),
      values,
    };
  }

  /** Two records of one phone in a batch become one: the first non-empty value of each field wins. */
  function merge(into: Checked, from: Checked) {
    into.name ??= from.name;
    into.email ??= from.email;
    into.company ??= from.company;
    into.position ??= from.position;
    for (const n of from.notes) if (!into.notes.includes(n)) into.notes.push(n);
    for (const [k, v] of Object.entries(from.customFields)) into.customFields[k] ??= v;
    for (const [k, v] of from.values) if (!into.values.has(k)) into.values.set(k, v);
  }

  async function batch(workspaceId: string, records: Checked[], overwrite: boolean, actor: Actor, result: ImportResult, trx: Db) {
    const at = clock.now();
    const history: Insertable<ContactHistoryTable>[] = [];
    const record = (contactId: string, propertyName: string, oldValue: string | null, newValue: string | null) =>
      history.push(newHistory(workspaceId, contactId, { propertyName, oldValue, newValue }, actor, at));
    const notes: ContactNoteRow[] = [];
    const note = (contactId: string, text: string) => notes.push(newNote(workspaceId, contactId, text, actor, at));
    const newValues: ContactValuesTable[] = [];

    // Insert first (the unique index decides, ON CONFLICT DO NOTHING), then read only the phones that
    // were taken: a first import does no lookup at all, and none depends on the planner's statistics
    // of a table the import itself is growing (stale, they made a 1,000-phone lookup walk the workspace).
    const rows = records.map((r) =>
      newContact(
        { workspace_id: workspaceId, name: r.name ?? r.phone, phone_number: r.phone, email: r.email, company: r.company, position: r.position, custom_fields: r.customFields },
        at,
        actor.id,
      ),
    );
    const inserted = new Map((await repo.insertMany(rows, trx)).map((c) => [c.phone_number, c]));
    const taken = records.filter((r) => !inserted.has(r.phone)).map((r) => r.phone);
    const existing = new Map((await repo.findByPhones(workspaceId, taken, trx)).map((c) => [c.phone_number, c]));

    const existingIds = [...existing.values()].map((c) => c.id);
    const [oldValues, oldNotes] = await Promise.all([repo.values(existingIds, trx), repo.notes(existingIds, trx)]);
    const valuesOf = Map.groupBy(oldValues, (v) => v.contact_id);
    const notesOf = Map.groupBy(oldNotes, (n) => n.contact_id);

    for (const r of records) {
      const made = inserted.get(r.phone);
      if (made) {
        result.created++;
        result.contactIds.push(made.id);
        for (const [col, label] of STANDARD) if (made[col] != null) record(made.id, label, null, made[col]);
        record(made.id, 'PhoneNumber', null, made.phone_number);
        for (const [k, v] of Object.entries(r.customFields)) record(made.id, `CustomFields.${k}`, null, v);
        for (const [def, stored] of r.values.values()) {
          newValues.push({ definition_id: def.id, contact_id: made.id, ...stored });
          record(made.id, def.name, null, historyText(stored));
        }
        for (const n of r.notes) {
          note(made.id, n);
          record(made.id, 'Note', null, n);
        }
        continue;
      }
      const c = existing.get(r.phone)!;
      result.contactIds.push(c.id);
      const patch: Partial<Pick<ContactRow, 'name' | 'email' | 'company' | 'position' | 'custom_fields'>> = {};
      const fills = (old: string | null, next: string | null) => next !== null && next !== old && (overwrite || old === null);
      // A contact named by its number (the default) has no name yet.
      if (fills(c.name === c.phone_number ? null : c.name, r.name)) patch.name = r.name!;
      if (fills(c.email, r.email)) patch.email = r.email;
      if (fills(c.company, r.company)) patch.company = r.company;
      if (fills(c.position, r.position)) patch.position = r.position;
      const changedBefore = history.length;
      for (const [col, label] of STANDARD) if (col in patch) record(c.id, label, c[col], patch[col] as string);
      const fields = { ...c.custom_fields };
      for (const [k, v] of Object.entries(r.customFields)) {
        if (!fills(fields[k] ?? null, v)) continue;
        record(c.id, `CustomFields.${k}`, fields[k] ?? null, v);
        fields[k] = v;
      }
      if (Object.entries(fields).some(([k, v]) => c.custom_fields[k] !== v)) patch.custom_fields = fields;
      const had = new Map((valuesOf.get(c.id) ?? []).map((v) => [v.definition_id, v]));
      for (const [def, stored] of r.values.values()) {
        const old = historyText(had.get(def.id));
        const next = historyText(stored);
        if (!fills(old, next)) continue;
        await repo.putValue({ definition_id: def.id, contact_id: c.id, ...stored }, trx);
        record(c.id, def.name, old, next);
      }
      const texts = new Set((notesOf.get(c.id) ?? []).map((n) => n.text));
      for (const n of r.notes) {
        if (texts.has(n)) continue;
        note(c.id, n);
        record(c.id, 'Note', null, n);
      }
      if (history.length === changedBefore) {
        result.skipped++;
        continue;
      }
      result.updated++;
      await repo.update(workspaceId, c.id, { ...patch, last_modification_time: at, last_modifier_id: actor.id }, trx);
    }
    await repo.insertValues(newValues, trx);
    await repo.insertNotes(notes, trx);
    await repo.record(history, trx);
  }

  return {
    async run(workspaceId: string, items: AsyncIterable<ImportItem> | Iterable<ImportItem>, options: { overwrite: boolean; format: 'vcard' | 'csv' }, actor: Actor): Promise<ImportResult> {
      const region = await deps.region(workspaceId);
      const result: ImportResult = { created: 0, updated: 0, skipped: 0, errors: [], contactIds: [] };
      let pending = new Map<string, Checked>();
      // One batch in the store while the next is read and checked; never two at once, so a phone
      // in two batches finds the first one's contact (and PGlite's one connection is not queued on).
      let inFlight: Promise<void> = Promise.resolve();
      const flush = async () => {
        await inFlight;
        if (!pending.size) return;
        const records = [...pending.values()];
        pending = new Map();
        inFlight = transaction((trx) => batch(workspaceId, records, options.overwrite, actor, result, trx));
        inFlight.catch(() => {}); // awaited by the next flush, which rethrows it
      };
      for await (const item of items) {
        if ('error' in item) {
          result.errors.push({ index: item.index, ...item.error });
          continue;
        }
        const checked = check(item, region, result.errors);
        if (!checked) continue;
        const same = pending.get(checked.phone);
        if (same) merge(same, checked);
        else pending.set(checked.phone, checked);
        if (pending.size >= IMPORT_BATCH) await flush();
      }
      await flush();
      await inFlight;
      result.contactIds = [...new Set(result.contactIds)];
      await transaction((trx) =>
        deps.emit(trx, {
          workspaceId,
          type: 'ContactsImported',
          payload: { workspaceId, format: options.format, created: result.created, updated: result.updated, skipped: result.skipped, errors: result.errors.length },
        }),
      );
      return result;
    },
  };
}
export type ImportService = ReturnType<typeof createImportService>;
