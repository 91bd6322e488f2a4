import type { Static } from 'typebox';
import type { Transaction } from '../../db/transaction.js';
import type { Clock } from '../../lib/clock.js';
import { randomToken, sha256Hex } from '../../lib/crypto.js';
import { errors } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import type { PersonPrincipal } from '../../lib/principal.js';
import { assertPasswordRules, hashPassword, needsRehash, verifyPassword } from './passwords.js';
import type { LinkPurpose, PeopleRepo } from './people.repo.js';
import type { AcceptLinkBody, LoginBody, PreferencesBody } from './people.schemas.js';
import type { Sessions } from './sessions.service.js';
import type { SignInGuard } from './sign-in-guard.js';

/** One-time links (invitations, password resets) are valid this long (issue 11). */
export const LINK_TTL_MS = 72 * 3_600_000;
const LINK_TOKEN = /^[A-Za-z0-9_-]{43}$/;

export interface RequestMeta {
  ip: string;
  userAgent: string | null;
}

const normaliseEmail = (email: string) => email.trim().toLowerCase();
const EMAIL = /^[^\s@]+@[^\s@]+$/;

/**
 * People who sign in: passwords, sign-ins, one-time links, preferences. Everything that hashes a
 * password runs through `hashing` (the token guard's slots, shared with client-secret checks), so
 * unauthenticated requests cannot take the thread pool the rest of the server needs.
 */
export function createPeopleService(deps: {
  repo: PeopleRepo;
  sessions: Sessions;
  guard: SignInGuard;
  hashing: <T>(fn: () => Promise<T>) => Promise<T>;
  transaction: Transaction;
  clock: Clock;
  publicUrl: string;
}) {
  const { repo, sessions, guard, hashing, transaction, clock } = deps;
  // Verified instead of a real hash when the email is unknown, so both answers take as long.
  let dummy: Promise<string> | null = null;
  const dummyHash = () => (dummy ??= hashPassword(randomToken(16)));

  async function me(userId: string, session: { id: string; expiresAt: Date }) {
    const p = await repo.byUserId(userId);
    if (!p) throw errors.unauthorized('The sign-in is not valid: sign in again.');
    return {
      userId: p.user_id,
      workspaceId: p.workspace_id,
      workspaceName: p.workspace_name,
      name: p.name,
      email: p.email,
      role: p.role,
      logoUrl: p.logo_url,
      language: p.language,
      digits: p.digits,
      sessionId: session.id,
      sessionExpiresAt: session.expiresAt,
    };
  }
  const lifetimeSeconds = (row: { creation_time: Date; expires_at: Date }) => (row.expires_at.getTime() - row.creation_time.getTime()) / 1000;
  const expiryOf = (row: { idle_expires_at: Date; expires_at: Date }) => (row.idle_expires_at < row.expires_at ? row.idle_expires_at : row.expires_at);

  async function signedIn(person: { user_id: string; workspace_id: string }, meta: RequestMeta, trx?: Parameters<Sessions['create']>[2]) {
    const { token, row } = await sessions.create(person, meta, trx);
    return { token, row };
  }

  async function current(principal: PersonPrincipal) {
    const live = (await sessions.live(principal.userId)).find((s) => s.id === principal.sessionId);
    if (!live) throw errors.unauthorized('The sign-in has ended: sign in again.');
    return me(principal.userId, { id: live.id, expiresAt: expiryOf(live) });
  }

  return {
    /** Email and password → a new sign-in. Wrong password, unknown email, disabled person: one 401, one timing. */
    async login(input: Static<typeof LoginBody>, meta: RequestMeta) {
      const email = normaliseEmail(input.email);
      guard.check(email, meta.ip);
      const fallback = dummyHash();
      const person = await repo.bySignInEmail(email);
      const stored = person?.password_hash ?? (await fallback);
      const ok = await hashing(() => verifyPassword(input.password, stored));
      if (!person || !ok || person.disabled_at) {
        guard.failed(email, meta.ip);
        throw errors.invalidCredentials();
      }
      guard.succeeded(email, meta.ip);
      if (needsRehash(stored)) {
        const fresh = await hashing(() => hashPassword(input.password));
        await repo.rehash(person.user_id, stored, fresh);
      }
      const { token, row } = await signedIn(person, meta);
      return { token, maxAgeSeconds: lifetimeSeconds(row), me: await me(person.user_id, { id: row.id, expiresAt: expiryOf(row) }) };
    },

    me: current,

    async setPreferences(principal: PersonPrincipal, input: Static<typeof PreferencesBody>) {
      const patch: { language?: string | null; digits?: string | null } = {};
      if (input.language !== undefined) patch.language = input.language;
      if (input.digits !== undefined) patch.digits = input.digits;
      if (Object.keys(patch).length) await repo.setPreferences(principal.userId, patch, clock.now());
      return current(principal);
    },

    async sessions(principal: PersonPrincipal) {
      const rows = await sessions.live(principal.userId);
      return {
        totalCount: rows.length,
        items: rows.map((s) => ({
          id: s.id,
          current: s.id === principal.sessionId,
          creationTime: s.creation_time,
          lastSeenAt: s.last_seen_at,
          expiresAt: expiryOf(s),
          userAgent: s.user_agent,
          ip: s.ip,
        })),
      };
    },

    async revokeSession(principal: PersonPrincipal, id: string) {
      if (!(await sessions.revoke(principal.userId, id))) throw errors.notFound('Session', id);
    },

    /** Signs out the sign-in of this cookie value, if it is one (an expired or unknown cookie is already signed out). */
    async logout(token: string | undefined) {
      if (!token) return;
      const principal = await sessions.verify(token, { touch: false }).catch(() => null);
      if (principal) await sessions.revoke(principal.userId, principal.sessionId);
    },

    logoutEverywhere: (principal: PersonPrincipal) => sessions.revokeAll(principal.userId),

    /** A one-time link for a workspace user to set a password (replacing any earlier unused link). */
    async createLink(userId: string, purpose: LinkPurpose) {
      const user = await repo.userWithPerson(userId);
      if (!user) throw errors.notFound('User', userId);
      if (user.is_ai_agent) throw errors.userIsAiAgent(userId);
      const email = user.sign_in_email ?? (user.user_email ? normaliseEmail(user.user_email) : null);
      if (email && (await repo.emailTakenByOther(email, userId))) throw errors.signInEmailInUse(email);
      const now = clock.now();
      const token = randomToken(32);
      const expiresAt = new Date(now.getTime() + LINK_TTL_MS);
      await transaction(async (trx) => {
        await repo.ensure({ user_id: userId, workspace_id: user.workspace_id, email, at: now }, trx);
        await repo.supersedeLinks(userId, now, new Date(now.getTime() - LINK_TTL_MS), trx);
        await repo.insertLink({ id: newId(), user_id: userId, workspace_id: user.workspace_id, purpose, token_sha256: sha256Hex(token), creation_time: now, expires_at: expiresAt, used_at: null }, trx);
      });
      return { userId, workspaceId: user.workspace_id, name: user.name, email, purpose, url: `${deps.publicUrl}/inbox/welcome#token=${token}`, expiresAt };
    },

    /** What a link is for (the welcome page shows it before asking for a password). */
    async linkInfo(token: string) {
      const link = await liveLink(token);
      return { purpose: link.purpose, name: link.name, email: link.email, emailRequired: link.email === null, workspaceName: link.workspace_name, expiresAt: link.expires_at };
    },

    /**
     * Sets the password a link was made for, once: every earlier sign-in of the person ends, and
     * a new one begins (the answer is the same as a sign-in's).
     */
    async acceptLink(input: Static<typeof AcceptLinkBody>, meta: RequestMeta) {
      const link = await liveLink(input.token);
      const given = input.email === undefined || input.email === null ? null : normaliseEmail(input.email);
      if (given !== null && !EMAIL.test(given)) throw errors.invalidField('email', 'email is not an email address.');
      if (link.email && given && given !== link.email) throw errors.invalidField('email', 'email is set by your administrator; leave it out.');
      const email = link.email ?? given;
      if (!email) throw errors.invalidField('email', 'email is required: it is what you will sign in with.');
      assertPasswordRules(input.password, email);
      if (await repo.emailTakenByOther(email, link.user_id)) throw errors.signInEmailInUse(email);
      const hash = await hashing(() => hashPassword(input.password));
      const person = { user_id: link.user_id, workspace_id: link.workspace_id };
      const { token, row } = await transaction(async (trx) => {
        if (!(await repo.useLink(link.id, clock.now(), trx))) throw errors.linkUsed();
        await repo.setPassword(link.user_id, { hash, email, at: clock.now() }, trx);
        await sessions.revokeAll(link.user_id, trx);
        return signedIn(person, meta, trx);
      });
      guard.succeeded(email, meta.ip);
      return { token, maxAgeSeconds: lifetimeSeconds(row), me: await me(link.user_id, { id: row.id, expiresAt: expiryOf(row) }) };
    },

    /** Disables (or enables) a person: a disabled person cannot sign in, and their sign-ins stop at once. */
    async setDisabled(userId: string, disabled: boolean) {
      const user = await repo.userWithPerson(userId);
      if (!user) throw errors.notFound('User', userId);
      if (user.is_ai_agent) throw errors.userIsAiAgent(userId);
      const now = clock.now();
      await transaction(async (trx) => {
        await repo.ensure({ user_id: userId, workspace_id: user.workspace_id, email: user.sign_in_email ?? (user.user_email ? normaliseEmail(user.user_email) : null), at: now }, trx);
        await repo.setDisabled(userId, disabled ? now : null, now, trx);
      });
      sessions.forgetUser(userId);
    },

    async listUsers(filter: { email?: string; workspaceId?: string }) {
      const rows = await repo.listUsers({ ...filter, ...(filter.email ? { email: normaliseEmail(filter.email) } : {}) });
      return {
        totalCount: rows.length,
        items: rows.map((r) => ({
          userId: r.id,
          workspaceId: r.workspace_id,
          name: r.name,
          role: r.role,
          email: r.sign_in_email ?? r.user_email,
          hasPassword: r.password_hash !== null,
          disabled: r.disabled_at !== null,
        })),
      };
    },
  };

  async function liveLink(token: string) {
    const link = LINK_TOKEN.test(token) ? await repo.linkByHash(sha256Hex(token)) : undefined;
    if (!link) throw errors.invalidField('token', 'token is not a valid link; ask for a new one.');
    if (link.used_at) throw errors.linkUsed();
    if (clock.now() >= link.expires_at) throw errors.linkExpired();
    if (link.disabled_at) throw errors.forbidden('This person is disabled.');
    return link;
  }
}
export type PeopleService = ReturnType<typeof createPeopleService>;
