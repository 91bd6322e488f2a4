import type { Db } from '../../db/store.js';
import type { ContactNoteRow, ContactRow, ContactValueRow, PropertyDefinitionRow } from '../../db/types.js';
import type { ContactsRepo } from './contacts.repo.js';
import type { PropertiesRepo } from './properties.repo.js';
import { valueView } from './values.js';

const CONTEXT_TTL_MS = 1000;

/** A contact's values in the order of `byId` (property names), without a comparison per contact. */
function inPropertyOrder(values: ContactValueRow[], byId: Map<string, PropertyDefinitionRow>) {
  const mine = new Map(values.map((v) => [v.definition_id, v]));
  const out: ReturnType<typeof valueView>[] = [];
  for (const def of byId.values()) {
    const v = mine.get(def.id);
    if (v) out.push(valueView(def, v));
  }
  return out;
}

/** Contacts as the API shows them (spec §5.A), and what reading them needs of their workspace. */
export function createContactViews(deps: {
  repo: ContactsRepo;
  properties: PropertiesRepo;
  region: (workspaceId: string, trx?: Db) => Promise<string>;
  db: Db;
}) {
  const { repo, properties, region } = deps;

  /**
   * The workspace's definitions: `defs` in creation order, `byId` in name order (a contact's
   * customProperties follow it), and `find(ref)` by id or key in any case (both are stored lower-case).
   */
  async function definitions(workspaceId: string, trx: Db = deps.db) {
    const defs = await properties.list(workspaceId, trx);
    const byRef = new Map<string, PropertyDefinitionRow>();
    for (const d of defs) {
      byRef.set(d.id, d);
      byRef.set(d.key, d);
    }
    const find = (ref: string) => byRef.get(ref.toLowerCase());
    const byName = [...defs].sort((a, b) => a.name.localeCompare(b.name));
    return { defs, byId: new Map(byName.map((d) => [d.id, d])), find };
  }

  /**
   * What reads (search, lists, export) need of a workspace — its region, definitions and the
   * planner's estimate of its live contacts — read at most once a second: a search is then three
   * round trips (estimate, page, values and notes). A definition changed through this node applies
   * at once (`definitionsChanged`); on other nodes within a second. Writes always read afresh,
   * in their transaction.
   */
  const contexts = new Map<string, { at: number; value: Promise<{ region: string; live: number } & Awaited<ReturnType<typeof definitions>>> }>();
  function readContext(workspaceId: string) {
    const now = performance.now();
    const hit = contexts.get(workspaceId);
    if (hit && now - hit.at < CONTEXT_TTL_MS) return hit.value;
    const value = Promise.all([region(workspaceId), definitions(workspaceId), repo.liveEstimate(workspaceId)]).then(([r, d, live]) => ({ region: r, live, ...d }));
    value.catch(() => contexts.delete(workspaceId));
    if (contexts.size > 10_000) contexts.clear();
    contexts.set(workspaceId, { at: now, value });
    return value;
  }

  /** Contact objects (spec §5.A) for rows, with their values and notes, in the rows' order. */
  async function views(workspaceId: string, rows: ContactRow[], trx: Db = deps.db, known?: Map<string, PropertyDefinitionRow>) {
    if (!rows.length) return [];
    const ids = rows.map((r) => r.id);
    const [byId, values, notes] = await Promise.all([known ?? definitions(workspaceId, trx).then((d) => d.byId), repo.values(ids, trx), repo.notes(ids, trx)]);
    const valuesOf = Map.groupBy(values, (v) => v.contact_id);
    const notesOf = Map.groupBy(notes, (n) => n.contact_id);
    return rows.map((row) => toView(row, valuesOf.get(row.id) ?? [], notesOf.get(row.id) ?? [], byId));
  }

  /**
   * The object of a contact just inserted without values or notes (a sender's first message, a
   * send to a new number): nothing to read — three statements fewer on every new sender.
   */
  const freshView = (row: ContactRow) => toView(row, [], [], new Map());

  /** One contact's object from its own values and notes. */
  function toView(row: ContactRow, values: ContactValueRow[], notes: ContactNoteRow[], byId: Map<string, PropertyDefinitionRow>) {
    return {
      id: row.id,
      workspaceId: row.workspace_id,
      name: row.name,
      phoneNumber: row.phone_number,
      contactType: row.contact_type,
      email: row.email,
      company: row.company,
      position: row.position,
      customFields: row.custom_fields,
      notes: notes.map((n) => ({
        id: n.id,
        contactId: n.contact_id,
        text: n.text,
        creatorName: n.creator_name,
        lastModificationTime: n.last_modification_time,
        lastModifierId: n.last_modifier_id,
        creationTime: n.creation_time,
        creatorId: n.creator_id,
      })),
      // By property name (the order of byId).
      customProperties: inPropertyOrder(values, byId),
      lastModificationTime: row.last_modification_time,
      lastModifierId: row.last_modifier_id,
      creationTime: row.creation_time,
      creatorId: row.creator_id,
    };
  }
  return {
    region,
    definitions,
    readContext,
    views,
    freshView,
    /** A definition of this workspace changed (the properties service, after its commit). */
    definitionsChanged: (workspaceId: string) => void contexts.delete(workspaceId),
  };
}
export type ContactViews = ReturnType<typeof createContactViews>;
export type ContactView = Awaited<ReturnType<ContactViews['views']>>[number];
