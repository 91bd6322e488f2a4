import type { Static } from 'typebox';
import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { ContactRow, ContactValueRow, PropertyDefinitionRow } from '../../db/types.js';
import type { Clock } from '../../lib/clock.js';
import { ChangeSource, codes } from '../../lib/enums.js';
import { AppError, errors } from '../../lib/errors.js';
import type { PageRequest } from '../../lib/paging.js';
import type { Principal } from '../../lib/principal.js';
import { toE164 } from '../../lib/phone.js';
import type { EventType } from '../webhooks/webhooks.service.js';
import { newContact, newHistory, newNote, type ContactsRepo } from './contacts.repo.js';
import type { PropertiesRepo } from './properties.repo.js';
import type { CreateContactBody, UpdateContactBody } from './contacts.schemas.js';
import { historyText, isEmail, toStored, type Stored } from './values.js';
import type { ContactViews } from './views.js';

export const Source = codes(ChangeSource);
/** Who changes a contact: the service account (or person) and through what. */
export interface Actor {
  id: string | null;
  name: string | null;
  source: number;
}

/** The caller of the API as an actor: its service account, named by its client id; or the person signed in. */
export const apiActor = ({ principal: p }: { principal: Principal }): Actor =>
  p.kind === 'person' ? { id: p.userId, name: p.name, source: Source.Api } : { id: p.serviceAccountId, name: p.clientId, source: Source.Api };

interface Change {
  propertyName: string;
  oldValue: string | null;
  newValue: string | null;
}

type Emit = (trx: Db, event: { workspaceId: string; type: EventType; payload: object | (() => Promise<object>) }) => Promise<unknown>;

/** "" and null mean "no value" (Hatif applies only non-empty fields). */
const present = (value: string | null | undefined): value is string => typeof value === 'string' && value.trim() !== '';
const STANDARD: [keyof ContactRow & ('name' | 'phone_number' | 'email' | 'company' | 'position'), string][] = [
  ['name', 'Name'],
  ['phone_number', 'PhoneNumber'],
  ['email', 'Email'],
  ['company', 'Company'],
  ['position', 'Position'],
];

/** What the services that write contacts (this one, imports) are given. */
export interface ContactWriteDeps {
  repo: ContactsRepo;
  properties: PropertiesRepo;
  transaction: Transaction;
  clock: Clock;
  emit: Emit;
  /** The workspace's default region for national phone numbers. */
  region: (workspaceId: string, trx?: Db) => Promise<string>;
}

export function createContactsService(deps: ContactWriteDeps & { views: ContactViews }) {
  const { repo, properties, transaction, clock, emit, region } = deps;

  function phoneOf(input: string, member: string, workspaceRegion: string) {
    const e164 = toE164(input, workspaceRegion);
    if (!e164) throw errors.invalidField(member, `${member} "${input}" is not a phone number (E.164, or national in ${workspaceRegion}).`);
    return e164;
  }
  function emailOf(input: string, member: string) {
    const email = input.trim();
    if (!isEmail(email)) throw errors.invalidField(member, `${member} "${input}" is not an email address.`);
    return email;
  }

  const { definitions, views } = deps.views;
  const view = async (workspaceId: string, row: ContactRow, trx?: Db) => (await views(workspaceId, [row], trx))[0]!;

  const historyRows = (workspaceId: string, contactId: string, changes: Change[], actor: Actor, at: Date) =>
    changes.map((c) => newHistory(workspaceId, contactId, c, actor, at));

  /** `properties` map (key or id → value or null) → the values to put and remove, checked. */
  function planValues(
    input: Record<string, unknown>,
    find: (ref: string) => PropertyDefinitionRow | undefined,
    workspaceRegion: string,
  ): { put: [PropertyDefinitionRow, Stored][]; remove: PropertyDefinitionRow[] } {
    const put: [PropertyDefinitionRow, Stored][] = [];
    const remove: PropertyDefinitionRow[] = [];
    for (const [ref, value] of Object.entries(input)) {
      const def = find(ref);
      const member = `properties.${ref}`;
      if (!def) throw errors.invalidField(member, `${member}: no contact property has the key or id "${ref}".`);
      if (value === null || value === '') remove.push(def);
      else put.push([def, toStored(def, value, member, workspaceRegion)]);
    }
    return { put, remove };
  }

  /** Applies planned values to one contact, returning the history changes. */
  async function applyValues(contactId: string, plan: ReturnType<typeof planValues>, existing: ContactValueRow[], trx: Db): Promise<Change[]> {
    const before = new Map(existing.map((v) => [v.definition_id, v]));
    const changes: Change[] = [];
    for (const [def, stored] of plan.put) {
      const oldValue = historyText(before.get(def.id));
      const newValue = historyText(stored);
      if (oldValue === newValue) continue;
      await repo.putValue({ definition_id: def.id, contact_id: contactId, ...stored }, trx);
      changes.push({ propertyName: def.name, oldValue, newValue });
    }
    for (const def of plan.remove) {
      const old = before.get(def.id);
      if (!old) continue;
      await repo.deleteValue(def.id, contactId, trx);
      changes.push({ propertyName: def.name, oldValue: historyText(old), newValue: null });
    }
    return changes;
  }

  async function addNote(workspaceId: string, contactId: string, text: string, actor: Actor, at: Date, trx: Db): Promise<Change> {
    await repo.insertNotes([newNote(workspaceId, contactId, text.trim(), actor, at)], trx);
    return { propertyName: 'Note', oldValue: null, newValue: text.trim() };
  }

  /** A new contact's rows (values, note, history), in `tx`: what create and ensure share. */
  async function insertNew(workspaceId: string, input: Static<typeof CreateContactBody>, actor: Actor, tx: Db) {
    const workspaceRegion = await region(workspaceId, tx);
    const phone = phoneOf(input.phoneNumber, 'phoneNumber', workspaceRegion);
    const email = present(input.email) ? emailOf(input.email, 'email') : null;
    const properties = input.properties ?? {};
    // The definitions are read only when values are given (a contact made by a message has none).
    const plan = Object.keys(properties).length ? planValues(properties, (await definitions(workspaceId, tx)).find, workspaceRegion) : { put: [], remove: [] };
    const name = present(input.name) ? input.name.trim() : phone;
    const at = clock.now();
    const customFields = Object.fromEntries(Object.entries(input.customFields ?? {}).filter((e): e is [string, string] => present(e[1])));
    const result = await repo.insert(
      newContact(
        {
          workspace_id: workspaceId,
          name,
          phone_number: phone,
          email,
          company: present(input.company) ? input.company.trim() : null,
          position: present(input.position) ? input.position.trim() : null,
          custom_fields: customFields,
          ...(input.contactType !== undefined && { contact_type: input.contactType }),
        },
        at,
        actor.id,
      ),
      tx,
    );
    if ('existingId' in result) throw errors.contactPhoneTaken(phone, result.existingId);
    const row = result.row;
    const changes: Change[] = STANDARD.filter(([col]) => row[col] !== null).map(([col, label]) => ({ propertyName: label, oldValue: null, newValue: String(row[col]) }));
    for (const [key, value] of Object.entries(customFields)) changes.push({ propertyName: `CustomFields.${key}`, oldValue: null, newValue: value });
    changes.push(...(await applyValues(row.id, plan, [], tx)));
    if (present(input.note)) changes.push(await addNote(workspaceId, row.id, input.note, actor, at, tx));
    await repo.record(historyRows(workspaceId, row.id, changes, actor, at), tx);
    return row;
  }

  const service = {
    async create(workspaceId: string, input: Static<typeof CreateContactBody>, actor: Actor, trx?: Db) {
      return transaction(async (tx) => {
        const row = await insertNew(workspaceId, input, actor, tx);
        const contact = await view(workspaceId, row, tx);
        await emit(tx, { workspaceId, type: 'ContactCreated', payload: contact });
        return contact;
      }, trx);
    },

    /**
     * The live contact with this phone, made when there is none (named `name`, else the number):
     * conversations and sends start here. Concurrent calls for one number meet one contact.
     * `find`: how the caller looks the contact up by its E.164 number instead of the plain read
     * (a send reads it together with its conversation, in one statement).
     */
    async ensure(
      workspaceId: string,
      input: { phoneNumber: string; name?: string | null; member: string; find?: (phone: string) => Promise<{ id: string } | undefined> },
      actor: Actor,
      trx?: Db,
    ) {
      return transaction(async (tx) => {
        const phone = phoneOf(input.phoneNumber, input.member, await region(workspaceId, tx));
        const found = input.find ? await input.find(phone) : await repo.findByPhone(workspaceId, phone, tx);
        if (found) return { id: found.id, phoneNumber: phone, created: false };
        try {
          const row = await insertNew(workspaceId, { phoneNumber: phone, ...(present(input.name) && { name: input.name }) }, actor, tx);
          // Made just now with no values or notes: its object needs nothing read.
          await emit(tx, { workspaceId, type: 'ContactCreated', payload: deps.views.freshView(row) });
          return { id: row.id, phoneNumber: phone, created: true };
        } catch (err) {
          // Created by a concurrent call since the lookup (create wrote nothing).
          if (err instanceof AppError && err.code === 'Wasl:Contact:DuplicatePhoneNumber') return { id: String(err.extra.data!.contactId), phoneNumber: phone, created: false };
          throw err;
        }
      }, trx);
    },

    async get(workspaceId: string, id: string) {
      const row = await repo.find(workspaceId, id);
      if (!row) throw errors.notFound('Contact', id);
      return view(workspaceId, row);
    },

    /** Partial: only non-empty fields change; `clearFields` empties; `note` appends. */
    async update(workspaceId: string, id: string, input: Static<typeof UpdateContactBody>, actor: Actor) {
      return transaction(async (tx) => {
        const row = await repo.lock(workspaceId, id, tx);
        if (!row) throw errors.notFound('Contact', id);
        const workspaceRegion = await region(workspaceId, tx);
        const patch: Partial<Pick<ContactRow, 'name' | 'phone_number' | 'email' | 'company' | 'position' | 'contact_type' | 'custom_fields'>> = {};
        if (present(input.name) && input.name.trim() !== row.name) patch.name = input.name.trim();
        if (present(input.phoneNumber)) {
          const phone = phoneOf(input.phoneNumber, 'phoneNumber', workspaceRegion);
          if (phone !== row.phone_number) {
            const other = await repo.findByPhone(workspaceId, phone, tx);
            if (other) throw errors.contactPhoneTaken(phone, other.id);
            patch.phone_number = phone;
          }
        }
        if (present(input.email) && input.email.trim() !== row.email) patch.email = emailOf(input.email, 'email');
        if (present(input.company) && input.company.trim() !== row.company) patch.company = input.company.trim();
        if (present(input.position) && input.position.trim() !== row.position) patch.position = input.position.trim();
        for (const field of input.clearFields ?? []) if (row[field] !== null) patch[field] = null;
        if (input.contactType !== undefined && input.contactType !== row.contact_type) patch.contact_type = input.contactType;

        const changes: Change[] = STANDARD.filter(([col]) => col in patch).map(([col, label]) => ({
          propertyName: label,
          oldValue: row[col] as string | null,
          newValue: patch[col] as string | null,
        }));
        if (patch.contact_type !== undefined) changes.push({ propertyName: 'ContactType', oldValue: String(row.contact_type), newValue: String(patch.contact_type) });
        if (input.customFields) {
          const merged = { ...row.custom_fields };
          for (const [key, value] of Object.entries(input.customFields)) {
            const next = present(value) ? value : null;
            const before = merged[key] ?? null;
            if (next === before) continue;
            if (next === null) delete merged[key];
            else merged[key] = next;
            changes.push({ propertyName: `CustomFields.${key}`, oldValue: before, newValue: next });
          }
          if (changes.some((c) => c.propertyName.startsWith('CustomFields.'))) patch.custom_fields = merged;
        }
        const { find } = await definitions(workspaceId, tx);
        const plan = planValues(input.properties ?? {}, find, workspaceRegion);
        const at = clock.now();
        changes.push(...(await applyValues(id, plan, await repo.values([id], tx), tx)));
        if (present(input.note)) changes.push(await addNote(workspaceId, id, input.note, actor, at, tx));
        return finish(workspaceId, row, patch, changes, actor, at, tx);
      }).catch(async (err: unknown) => {
        // Another contact took the phone between the check and the write: name it, now that it has committed.
        const data = err instanceof AppError && err.code === 'Wasl:Contact:DuplicatePhoneNumber' ? err.extra.data : undefined;
        if (data && !data.contactId) {
          const other = await repo.findByPhone(workspaceId, String(data.phoneNumber));
          if (other) throw errors.contactPhoneTaken(other.phone_number, other.id);
        }
        throw err;
      });
    },

    async delete(workspaceId: string, id: string, actor: Actor) {
      await transaction(async (tx) => {
        const at = clock.now();
        const row = await repo.softDelete(workspaceId, id, actor.id, at, tx);
        if (!row) throw errors.notFound('Contact', id);
        await repo.record(historyRows(workspaceId, id, [{ propertyName: 'Deleted', oldValue: null, newValue: at.toISOString() }], actor, at), tx);
        await emit(tx, { workspaceId, type: 'ContactDeleted', payload: { id, workspaceId, name: row.name, phoneNumber: row.phone_number, deletionTime: at } });
      });
    },

    /** Sets (replaces) or, with null, removes one property value; answers the whole contact. */
    async setValue(workspaceId: string, contactId: string, definitionId: string, value: unknown, actor: Actor) {
      return transaction(async (tx) => {
        const row = await repo.lock(workspaceId, contactId, tx);
        if (!row) throw errors.notFound('Contact', contactId);
        const def = await properties.find(workspaceId, definitionId, tx);
        if (!def) throw errors.notFound('ContactProperty', definitionId);
        const workspaceRegion = await region(workspaceId, tx);
        const plan = value === null || value === undefined || value === '' ? { put: [], remove: [def] } : { put: [[def, toStored(def, value, 'value', workspaceRegion)] as [PropertyDefinitionRow, Stored]], remove: [] };
        const at = clock.now();
        const changes = await applyValues(contactId, plan, await repo.values([contactId], tx), tx);
        return finish(workspaceId, row, {}, changes, actor, at, tx);
      });
    },

    async history(workspaceId: string, contactId: string, page: PageRequest) {
      if (!(await repo.exists(workspaceId, contactId))) throw errors.notFound('Contact', contactId);
      const result = await repo.history(workspaceId, contactId, page);
      return {
        totalCount: result.totalCount,
        items: result.items.map((h) => ({
          id: h.id,
          propertyName: h.property_name,
          oldValue: h.old_value,
          newValue: h.new_value,
          creationTime: h.creation_time,
          creatorId: h.creator_id,
          source: ChangeSource[h.source as keyof typeof ChangeSource] ?? 'Api',
        })),
      };
    },
  };

  /** Writes a change to one contact: the row, history, and the ContactUpdated event when anything changed. */
  async function finish(workspaceId: string, row: ContactRow, patch: Partial<ContactRow>, changes: Change[], actor: Actor, at: Date, tx: Db) {
    if (!changes.length) return view(workspaceId, row, tx);
    const updated = await repo.update(workspaceId, row.id, { ...patch, last_modification_time: at, last_modifier_id: actor.id }, tx);
    await repo.record(historyRows(workspaceId, row.id, changes, actor, at), tx);
    const contact = await view(workspaceId, updated, tx);
    await emit(tx, { workspaceId, type: 'ContactUpdated', payload: { contact, changes } });
    return contact;
  }

  return service;
}
export type ContactsService = ReturnType<typeof createContactsService>;
