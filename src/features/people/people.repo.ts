import type { Selectable } from 'kysely';
import { sql } from 'kysely';
import type { Db } from '../../db/store.js';
import { isUniqueViolation } from '../../db/errors.js';
import { errors } from '../../lib/errors.js';

/** Tables of 0018_people.ts. */
export interface PeopleTable {
  user_id: string;
  workspace_id: string;
  /** The sign-in email, lower-cased; unique among people with a password. */
  email: string | null;
  /** argon2id PHC string; null until an invitation is accepted. */
  password_hash: string | null;
  password_changed_at: Date | null;
  disabled_at: Date | null;
  language: string | null;
  digits: string | null;
  creation_time: Date;
  last_modification_time: Date;
}
export interface PersonSessionsTable {
  id: string;
  user_id: string;
  workspace_id: string;
  /** SHA-256 (hex) of the cookie's value; the value itself is not stored. */
  token_sha256: string;
  creation_time: Date;
  last_seen_at: Date;
  idle_expires_at: Date;
  expires_at: Date;
  user_agent: string | null;
  ip: string | null;
  revoked_at: Date | null;
}
export interface PersonLinksTable {
  id: string;
  user_id: string;
  workspace_id: string;
  purpose: LinkPurpose;
  token_sha256: string;
  creation_time: Date;
  expires_at: Date;
  used_at: Date | null;
}
export type LinkPurpose = 'invitation' | 'password-reset';
export type PersonRow = Selectable<PeopleTable>;
export type SessionRow = Selectable<PersonSessionsTable>;
export type LinkRow = Selectable<PersonLinksTable>;

type Tables = {
  people: PeopleTable;
  person_sessions: PersonSessionsTable;
  person_links: PersonLinksTable;
};

/** What sign-in and `me` need of the workspace user and its workspace (read-only joins). */
const PERSON_COLUMNS = [
  'p.user_id',
  'p.workspace_id',
  'p.email',
  'p.password_hash',
  'p.disabled_at',
  'p.language',
  'p.digits',
  'u.name',
  'u.role',
  'u.logo_url',
  'w.name as workspace_name',
] as const;

export function createPeopleRepo(db: Db) {
  const t = (executor: Db) => executor.withTables<Tables>();
  const people = (executor: Db) =>
    t(executor)
      .selectFrom('people as p')
      .innerJoin('workspace_users as u', 'u.id', 'p.user_id')
      .innerJoin('workspaces as w', 'w.id', 'p.workspace_id');

  return {
    /** The person who signs in with this email (lower-cased), if any has a password. */
    bySignInEmail: (email: string, trx: Db = db) =>
      people(trx).select(PERSON_COLUMNS).where('p.email', '=', email).where('p.password_hash', 'is not', null).executeTakeFirst(),

    byUserId: (userId: string, trx: Db = db) => people(trx).select(PERSON_COLUMNS).where('p.user_id', '=', userId).executeTakeFirst(),

    /** The workspace user (any workspace) with its person row, if it has one. */
    userWithPerson: (userId: string, trx: Db = db) =>
      t(trx)
        .selectFrom('workspace_users as u')
        .leftJoin('people as p', 'p.user_id', 'u.id')
        .select(['u.id', 'u.workspace_id', 'u.email as user_email', 'u.name', 'u.role', 'u.is_ai_agent', 'p.email as sign_in_email', 'p.password_hash', 'p.disabled_at'])
        .where('u.id', '=', userId)
        .executeTakeFirst(),

    /** People and would-be people (workspace users that are not AI agents) by email and/or workspace, for operators. */
    listUsers: (filter: { email?: string; workspaceId?: string }, trx: Db = db) => {
      let query = t(trx)
        .selectFrom('workspace_users as u')
        .leftJoin('people as p', 'p.user_id', 'u.id')
        .select(['u.id', 'u.workspace_id', 'u.name', 'u.role', 'u.email as user_email', 'p.email as sign_in_email', 'p.password_hash', 'p.disabled_at'])
        .where('u.is_ai_agent', '=', false);
      if (filter.email) query = query.where((eb) => eb.or([eb(sql`lower(u.email)`, '=', filter.email), eb('p.email', '=', filter.email!)]));
      if (filter.workspaceId) query = query.where('u.workspace_id', '=', filter.workspaceId);
      return query.orderBy('u.creation_time').orderBy('u.id').limit(1000).execute();
    },

    /** Makes the person row of a workspace user when it has none; fills its email when it had none. */
    async ensure(row: { user_id: string; workspace_id: string; email: string | null; at: Date }, trx: Db = db) {
      await t(trx)
        .insertInto('people')
        .values({ user_id: row.user_id, workspace_id: row.workspace_id, email: row.email, password_hash: null, password_changed_at: null, disabled_at: null, language: null, digits: null, creation_time: row.at, last_modification_time: row.at })
        .onConflict((oc) => oc.column('user_id').doNothing())
        .execute();
    },

    /** Another person (not `userId`) signing in with this email. */
    emailTakenByOther: async (email: string, userId: string, trx: Db = db) =>
      Boolean(await t(trx).selectFrom('people').select('user_id').where('email', '=', email).where('password_hash', 'is not', null).where('user_id', '!=', userId).executeTakeFirst()),

    async setPassword(userId: string, change: { hash: string; email: string; at: Date }, trx: Db = db) {
      try {
        await t(trx)
          .updateTable('people')
          .set({ password_hash: change.hash, email: change.email, password_changed_at: change.at, last_modification_time: change.at })
          .where('user_id', '=', userId)
          .execute();
      } catch (err) {
        if (isUniqueViolation(err, 'people_email')) throw errors.signInEmailInUse(change.email);
        throw err;
      }
    },

    /** A rehash at sign-in: only when the stored hash is still the one that was verified. */
    rehash: (userId: string, from: string, to: string, trx: Db = db) =>
      t(trx).updateTable('people').set({ password_hash: to }).where('user_id', '=', userId).where('password_hash', '=', from).execute(),

    setDisabled: (userId: string, disabledAt: Date | null, at: Date, trx: Db = db) =>
      t(trx).updateTable('people').set({ disabled_at: disabledAt, last_modification_time: at }).where('user_id', '=', userId).execute(),

    setPreferences: (userId: string, patch: { language?: string | null; digits?: string | null }, at: Date, trx: Db = db) =>
      t(trx)
        .updateTable('people')
        .set({ ...patch, last_modification_time: at })
        .where('user_id', '=', userId)
        .execute(),

    // Sign-ins.
    insertSession: (row: SessionRow, trx: Db = db) => t(trx).insertInto('person_sessions').values(row).execute(),

    /** A sign-in by its cookie's hash, with what every request checks of its person. */
    sessionByHash: (hash: string, trx: Db = db) =>
      t(trx)
        .selectFrom('person_sessions as s')
        .innerJoin('people as p', 'p.user_id', 's.user_id')
        .innerJoin('workspace_users as u', 'u.id', 's.user_id')
        .select(['s.id', 's.user_id', 's.workspace_id', 's.last_seen_at', 's.idle_expires_at', 's.expires_at', 's.revoked_at', 'p.disabled_at', 'p.email', 'u.name'])
        .where('s.token_sha256', '=', hash)
        .executeTakeFirst(),

    touch: (id: string, at: Date, idleExpiresAt: Date, trx: Db = db) =>
      t(trx).updateTable('person_sessions').set({ last_seen_at: at, idle_expires_at: idleExpiresAt }).where('id', '=', id).where('revoked_at', 'is', null).execute(),

    /** Live sign-ins of a person, newest first (at most 100). */
    liveSessions: (userId: string, now: Date, trx: Db = db) =>
      t(trx)
        .selectFrom('person_sessions')
        .selectAll()
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('idle_expires_at', '>', now)
        .where('expires_at', '>', now)
        .orderBy('creation_time', 'desc')
        .orderBy('id', 'desc')
        .limit(100)
        .execute(),

    /** Revokes one live sign-in of this person; returns its token hash, or undefined when there is none. */
    async revokeSession(userId: string, id: string, at: Date, trx: Db = db) {
      const row = await t(trx)
        .updateTable('person_sessions')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('idle_expires_at', '>', at)
        .where('expires_at', '>', at)
        .returning('token_sha256')
        .executeTakeFirst();
      return row?.token_sha256;
    },

    /** Revokes every sign-in of a person; returns their token hashes. */
    async revokeAll(userId: string, at: Date, trx: Db = db) {
      const rows = await t(trx).updateTable('person_sessions').set({ revoked_at: at }).where('user_id', '=', userId).where('revoked_at', 'is', null).returning('token_sha256').execute();
      return rows.map((r) => r.token_sha256);
    },

    /** Forgets a person's sign-ins that ended more than a week before `before` (kept that long to show why a cookie stopped). */
    pruneSessions: (userId: string, before: Date, trx: Db = db) =>
      t(trx)
        .deleteFrom('person_sessions')
        .where('user_id', '=', userId)
        .where((eb) => eb.or([eb('revoked_at', '<', before), eb('idle_expires_at', '<', before), eb('expires_at', '<', before)]))
        .execute(),

    // One-time links.
    insertLink: (row: LinkRow, trx: Db = db) => t(trx).insertInto('person_links').values(row).execute(),

    /** A new link replaces the person's unused ones (marked used), and old used or expired ones are forgotten. */
    async supersedeLinks(userId: string, at: Date, forgetBefore: Date, trx: Db = db) {
      await t(trx).updateTable('person_links').set({ used_at: at }).where('user_id', '=', userId).where('used_at', 'is', null).execute();
      await t(trx).deleteFrom('person_links').where('user_id', '=', userId).where('expires_at', '<', forgetBefore).execute();
    },

    linkByHash: (hash: string, trx: Db = db) =>
      t(trx)
        .selectFrom('person_links as l')
        .innerJoin('workspace_users as u', 'u.id', 'l.user_id')
        .innerJoin('people as p', 'p.user_id', 'l.user_id')
        .innerJoin('workspaces as w', 'w.id', 'l.workspace_id')
        .select(['l.id', 'l.user_id', 'l.workspace_id', 'l.purpose', 'l.expires_at', 'l.used_at', 'p.email', 'p.disabled_at', 'u.name', 'w.name as workspace_name'])
        .where('l.token_sha256', '=', hash)
        .executeTakeFirst(),

    /** Uses a link once: true when this call marked it used (it was unused). */
    async useLink(id: string, at: Date, trx: Db = db) {
      const result = await t(trx).updateTable('person_links').set({ used_at: at }).where('id', '=', id).where('used_at', 'is', null).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
  };
}
export type PeopleRepo = ReturnType<typeof createPeopleRepo>;
