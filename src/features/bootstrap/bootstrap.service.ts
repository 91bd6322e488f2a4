import type { Config } from '../../config.js';
import type { Clock } from '../../lib/clock.js';
import { randomToken, sha256Hex } from '../../lib/crypto.js';
import { ChannelType, codes, UserRole } from '../../lib/enums.js';
import type { ChannelsService } from '../channels/channels.service.js';
import type { ServiceAccountsService } from '../service-accounts/service-accounts.service.js';
import type { WorkspaceUsersService } from '../workspace-users/workspace-users.service.js';
import type { WorkspacesService } from '../workspaces/workspaces.service.js';
import type { SettingsRepo } from './settings.repo.js';

export const ADMIN_TOKEN_KEY = 'admin_token_sha256';
const DEFAULT_WORKSPACE_KEY = 'default_workspace_id';

export interface BootstrapReport {
  /** Secrets generated on this start: shown once, never stored in clear. */
  printed: { adminToken?: string; clientId?: string; clientSecret?: string; ownerInvitation?: string };
  defaultWorkspaceId: string;
  created: string[];
}

/**
 * First start: the default workspace with an Owner, a service account and a sandbox channel
 * (operator.md), and a one-time link for the Owner to set a password and sign in to the inbox
 * (issue 11; printed with the other first-start secrets). Each step checks what exists, so an
 * interrupted first start completes on the next one and a later start changes nothing (a lost
 * Owner link is replaced with `wasl user invite <ownerId>`).
 */
export function createBootstrapService(deps: {
  config: Config;
  clock: Clock;
  settings: SettingsRepo;
  workspaces: WorkspacesService;
  users: WorkspaceUsersService;
  channels: ChannelsService;
  serviceAccounts: ServiceAccountsService;
  /** A one-time invitation link for a workspace user (the people feature). */
  invite: (userId: string) => Promise<{ url: string }>;
}) {
  const { config, clock, settings } = deps;
  return {
    async run(): Promise<BootstrapReport> {
      const report: BootstrapReport = { printed: {}, defaultWorkspaceId: '', created: [] };

      if (!config.adminToken && !(await settings.get<string>(ADMIN_TOKEN_KEY))) {
        const token = `wasl_admin_${randomToken(24)}`;
        await settings.set(ADMIN_TOKEN_KEY, sha256Hex(token), clock.now());
        report.printed.adminToken = token;
      }

      let workspaceId = await settings.get<string>(DEFAULT_WORKSPACE_KEY);
      if (!workspaceId) {
        workspaceId = (await deps.workspaces.create({ name: 'Default', defaultRegion: 'SA' })).id;
        await settings.set(DEFAULT_WORKSPACE_KEY, workspaceId, clock.now());
        report.created.push('workspace');
      }
      report.defaultWorkspaceId = workspaceId;

      if ((await deps.users.list(workspaceId)).length === 0) {
        const owner = await deps.users.add(workspaceId, { name: 'Owner', role: codes(UserRole).Owner });
        report.created.push('owner');
        report.printed.ownerInvitation = (await deps.invite(owner.id)).url;
      }
      if ((await deps.channels.list(workspaceId, { skip: 0, take: 1, sort: [] })).totalCount === 0) {
        await deps.channels.create(workspaceId, { name: 'Sandbox', type: codes(ChannelType).PhoneNumberAndWhatsapp });
        report.created.push('sandbox channel');
      }

      if (config.bootstrapClientId && config.bootstrapClientSecret) {
        const result = await deps.serviceAccounts.ensure(workspaceId, config.bootstrapClientId, config.bootstrapClientSecret);
        if (result.created) report.created.push('service account');
      } else if (!(await deps.serviceAccounts.hasAny(workspaceId))) {
        const account = await deps.serviceAccounts.create(workspaceId, { name: 'Default' });
        report.printed.clientId = account.clientId;
        report.printed.clientSecret = account.clientSecret;
        report.created.push('service account');
      }
      return report;
    },
  };
}
