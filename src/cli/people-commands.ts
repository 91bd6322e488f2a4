import type { AdminClient } from './client.js';
import { seg, str, type Command, type Values } from './command.js';
import { cliError, usageError } from './errors.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const workspace = { type: 'string', value: 'ID', help: 'the workspace, when the email is a person in several' } as const;

/** A user id as given, or the one person with that email (in --workspace when given). */
async function resolvePerson(api: AdminClient, given: string, values: Values, key: string): Promise<string> {
  if (UUID.test(given)) return given.toLowerCase();
  if (!given.includes('@')) throw usageError(`${key} needs an email address or a user id, got "${given}".`, key);
  const query = new URLSearchParams({ email: given, ...(str(values, 'workspace') ? { workspaceId: str(values, 'workspace')! } : {}) });
  const found = await api.request<{ items: { userId: string; workspaceId: string }[] }>('GET', `/admin/v1/users?${query}`);
  if (!found.items.length) throw cliError(1, `No person with email ${given}${str(values, 'workspace') ? ' in that workspace' : ''}: add one with "wasl user add".`);
  if (found.items.length > 1) {
    throw usageError(`${given} is a person in several workspaces (${found.items.map((p) => p.workspaceId).join(', ')}): pass --workspace ID or the user id.`, key);
  }
  return found.items[0]!.userId;
}

/** `user invite|reset-password|disable|enable`: a person's sign-in to the inbox (features/people). */
export const peopleCommands: readonly Command[] = [
  {
    group: 'user',
    verb: 'invite',
    summary: 'A one-time link (72 hours) for a person to set a password and sign in; replaces their earlier unused link.',
    positional: 'EMAIL|USER_ID',
    options: { workspace },
    run: async (api, { id, values }) => api.request('POST', `/admin/v1/users/${seg(await resolvePerson(api, id, values, 'user invite'))}/invitation`),
  },
  {
    group: 'user',
    verb: 'reset-password',
    summary: 'A one-time link (72 hours) for a person to set a new password; their sign-ins end when they use it.',
    positional: 'EMAIL|USER_ID',
    options: { workspace },
    run: async (api, { id, values }) => api.request('POST', `/admin/v1/users/${seg(await resolvePerson(api, id, values, 'user reset-password'))}/password-reset`),
  },
  {
    group: 'user',
    verb: 'disable',
    summary: 'Disable a person: they cannot sign in and their sign-ins end at once.',
    positional: 'EMAIL|USER_ID',
    options: { workspace },
    run: async (api, { id, values }) => {
      const userId = await resolvePerson(api, id, values, 'user disable');
      await api.request('POST', `/admin/v1/users/${seg(userId)}/disable`);
      return { userId, disabled: true };
    },
  },
  {
    group: 'user',
    verb: 'enable',
    summary: 'Enable a disabled person again.',
    positional: 'EMAIL|USER_ID',
    options: { workspace },
    run: async (api, { id, values }) => {
      const userId = await resolvePerson(api, id, values, 'user enable');
      await api.request('POST', `/admin/v1/users/${seg(userId)}/enable`);
      return { userId, disabled: false };
    },
  },
];
