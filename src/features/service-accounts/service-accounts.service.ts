import { randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import { hashSecret, randomToken, verifySecret } from '../../lib/crypto.js';
import { newId } from '../../lib/ids.js';
import { errors } from '../../lib/errors.js';
import { secretWeakness } from '../../lib/secret-strength.js';
import type { ServiceAccountsRepo } from './service-accounts.repo.js';

export const API_SCOPE = 'VoxaAPI';
/** How long a node trusts what it knows of an account: revocation reaches every node within this. */
const ACCOUNT_STATE_TTL_MS = 2_000;

export interface AccountState {
  version: number;
  disabled: boolean;
}

/**
 * Service accounts are a workspace's API credentials. Secrets are shown once and kept as scrypt
 * hashes; rotating or disabling bumps `credential_version`, which every token carries.
 */
export function createServiceAccountsService(deps: {
  repo: ServiceAccountsRepo;
  clock: Clock;
  workspaceExists: (id: string) => Promise<boolean>;
}) {
  const { repo, clock } = deps;
  // What this node knows of each account, re-read every 2 s: a revocation made on another node
  // (sharing the store) takes effect here within that; one made here, at once (`revoked`).
  const states = new Map<string, { state: AccountState | undefined; at: number }>();
  const revoked = (id: string) => void states.delete(id);

  const present = (row: { id: string; name: string; client_id: string; scopes: string[] }, clientSecret: string) => ({
    id: row.id,
    name: row.name,
    clientId: row.client_id,
    clientSecret,
    scopes: row.scopes,
  });

  return {
    async create(workspaceId: string, input: { name: string; clientId?: string; clientSecret?: string }) {
      if (!(await deps.workspaceExists(workspaceId))) throw errors.notFound('Workspace', workspaceId);
      const clientId = input.clientId ?? `wasl-${randomBytes(12).toString('hex')}`;
      if (await repo.findByClientId(clientId)) {
        throw errors.clientIdTaken(clientId);
      }
      // A secret someone chose must be strong enough to withstand online guessing; generated ones are.
      const weakness = input.clientSecret === undefined ? null : secretWeakness(input.clientSecret);
      if (weakness) throw errors.invalidField('clientSecret', `clientSecret ${weakness}.`);
      const clientSecret = input.clientSecret ?? randomToken(32);
      const now = clock.now();
      const row = await repo.insert({
        id: newId(),
        workspace_id: workspaceId,
        name: input.name,
        client_id: clientId,
        secret_hash: await hashSecret(clientSecret),
        scopes: [API_SCOPE],
        creation_time: now,
        last_modification_time: now,
      });
      return present(row, clientSecret);
    },

    async rotateSecret(id: string) {
      const clientSecret = randomToken(32);
      const row = await repo.setSecret(id, await hashSecret(clientSecret), clock.now());
      if (!row) throw errors.notFound('ServiceAccount', id);
      revoked(id);
      return { clientSecret };
    },

    async disable(id: string) {
      const row = await repo.disable(id, clock.now());
      if (!row) throw errors.notFound('ServiceAccount', id);
      revoked(id);
    },

    /** The account for these client credentials, or null; never says which half was wrong. */
    async authenticate(clientId: string, clientSecret: string) {
      const row = await repo.findByClientId(clientId);
      if (!row || row.disabled_at) {
        await hashSecret(clientSecret); // same cost either way: no timing oracle for client ids
        return null;
      }
      return (await verifySecret(clientSecret, row.secret_hash)) ? row : null;
    },

    hasAny: async (workspaceId: string) => (await repo.countByWorkspace(workspaceId)) > 0,

    /** Whether the account is disabled and its credential version, as tokens are checked against. */
    async state(id: string): Promise<AccountState | undefined> {
      const now = clock.now().getTime();
      const cached = states.get(id);
      if (cached && now - cached.at >= 0 && now - cached.at < ACCOUNT_STATE_TTL_MS) return cached.state;
      const row = await repo.state(id);
      const state = row && { version: row.credential_version, disabled: row.disabled_at !== null };
      if (states.size >= 10_000) states.delete(states.keys().next().value as string);
      states.set(id, { state, at: now });
      return state;
    },

    /**
     * Start-up: make sure `clientId` exists in the workspace with exactly this secret, enabled.
     * Idempotent: an unchanged account is left alone, so its tokens stay valid.
     */
    async ensure(workspaceId: string, clientId: string, clientSecret: string) {
      const row = await repo.findByClientId(clientId);
      if (!row) return { created: true, account: await this.create(workspaceId, { name: 'Default', clientId, clientSecret }) };
      if (row.workspace_id !== workspaceId) {
        throw new Error(`WASL_BOOTSTRAP_CLIENT_ID ${clientId} belongs to another workspace`);
      }
      if (!row.disabled_at && (await verifySecret(clientSecret, row.secret_hash))) return { created: false };
      await repo.setSecret(row.id, await hashSecret(clientSecret), clock.now(), true);
      revoked(row.id);
      return { created: false, updated: true };
    },
  };
}
export type ServiceAccountsService = ReturnType<typeof createServiceAccountsService>;
