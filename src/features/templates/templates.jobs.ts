import { Type } from 'typebox';
import { queuedJob, type JobDefinition } from '../../jobs/queue.js';
import { Uuid } from '../../http/schemas.js';
import { SYNC_JOB, type TemplatesService } from './templates.service.js';

/** `due`: the time this run was queued for (ms), so a run a later sync has replaced does nothing. */
export const SyncPayload = Type.Object({ channelId: Uuid, due: Type.Integer() });

/** The periodic catalogue sync of a Cloud API channel, every 6 hours once it has synced once. */
export function templateJobs({ templates }: { templates: TemplatesService }): JobDefinition[] {
  return [queuedJob({ name: SYNC_JOB, payload: SyncPayload, maxAttempts: 4, timeoutMs: 60_000, handler: (payload, ctx) => templates.syncJob(payload, ctx) })];
}
