import { Registry } from 'prom-client';
import type { Config } from './config.js';
import type { Db } from './db/store.js';
import type { Clock } from './lib/clock.js';
import { createKeysRepo } from './features/auth/keys.repo.js';
import { createKeysService } from './features/auth/keys.service.js';
import { createTokensService } from './features/auth/tokens.service.js';
import { createBootstrapService } from './features/bootstrap/bootstrap.service.js';
import { createSettingsRepo } from './features/bootstrap/settings.repo.js';
import { createChannelsRepo } from './features/channels/channels.repo.js';
import { createChannelsService } from './features/channels/channels.service.js';
import { createServiceAccountsRepo } from './features/service-accounts/service-accounts.repo.js';
import { createServiceAccountsService } from './features/service-accounts/service-accounts.service.js';
import { createTagsRepo } from './features/tags/tags.repo.js';
import { createTagsService } from './features/tags/tags.service.js';
import { createWorkspaceUsersRepo } from './features/workspace-users/workspace-users.repo.js';
import { createWorkspaceUsersService } from './features/workspace-users/workspace-users.service.js';
import { createWorkspacesRepo } from './features/workspaces/workspaces.repo.js';
import { createWorkspacesService } from './features/workspaces/workspaces.service.js';
import { createJobsRepo } from './jobs/jobs.repo.js';
import { createJobMetrics } from './jobs/metrics.js';
import { createJobQueue } from './jobs/queue.js';
import { createWebhookUrlGuard } from './features/webhooks/url-guard.js';
import { defineWebhookJobs } from './features/webhooks/webhooks.jobs.js';
import { createWebhooksRepo } from './features/webhooks/webhooks.repo.js';
import { createWebhooksService } from './features/webhooks/webhooks.service.js';
import { createOutboundHttp } from './providers/http/outbound.js';

/** The one place that wires repos → services → job handlers. */
export function createContainer({ config, db, clock }: { config: Config; db: Db; clock: Clock }) {
  const registry = new Registry();
  const jobsRepo = createJobsRepo(db);
  const queue = createJobQueue({ repo: jobsRepo, clock });
  const jobMetrics = createJobMetrics(registry, jobsRepo, clock);

  const workspacesRepo = createWorkspacesRepo(db);
  const assertWebhookUrl = createWebhookUrlGuard(config.webhookAllowPrivate);
  const workspaces = createWorkspacesService({ repo: workspacesRepo, clock, assertWebhookUrl });
  const workspaceRegion = async (id: string) => (await workspacesRepo.findById(id))?.default_region;

  const keys = createKeysService({ keysRepo: createKeysRepo(db), clock });
  const serviceAccountsRepo = createServiceAccountsRepo(db);
  // The tokens service learns of revocations through this late-bound callback (they need each other).
  const revoked = { notify: (_id: string) => {} };
  const serviceAccounts = createServiceAccountsService({
    repo: serviceAccountsRepo,
    clock,
    workspaceExists: workspaces.exists,
    onRevoked: (id) => revoked.notify(id),
  });
  const tokens = createTokensService({
    keys,
    accountState: serviceAccounts.state,
    clock,
    issuer: config.publicUrl,
    ttlSeconds: config.tokenTtlSeconds,
  });
  revoked.notify = tokens.forget;

  const users = createWorkspaceUsersService({ repo: createWorkspaceUsersRepo(db), clock, workspaceRegion });
  const channels = createChannelsService({ repo: createChannelsRepo(db), clock, workspaceRegion, assertWebhookUrl });
  const tags = createTagsService({ repo: createTagsRepo(db), clock });
  const settings = createSettingsRepo(db);
  const outbound = createOutboundHttp({ allowPrivate: config.webhookAllowPrivate, timeoutMs: config.webhookTimeoutMs, label: 'webhook URL' });
  const webhooks = createWebhooksService({
    repo: createWebhooksRepo(db),
    queue,
    clock,
    outbound,
    schedule: config.webhookRetrySchedule,
    channelHooks: channels.webhookHooks,
    workspaceHooks: workspaces.webhookHooks,
  });
  defineWebhookJobs(queue, webhooks, config.webhookRetrySchedule.length);

  const bootstrap = createBootstrapService({ config, clock, settings, workspaces, users, channels, serviceAccounts });

  return { registry, jobsRepo, queue, jobMetrics, outbound, webhooks, workspaces, keys, serviceAccounts, tokens, users, channels, tags, settings, bootstrap };
}
export type Container = ReturnType<typeof createContainer>;
