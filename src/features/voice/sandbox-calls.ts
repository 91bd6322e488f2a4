import { Type, type Static } from 'typebox';
import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { Clock } from '../../lib/clock.js';
import { errors } from '../../lib/errors.js';
import { Uuid } from '../../http/schemas.js';
import { queuedJob, type JobDefinition, type JobQueue, type JobResult } from '../../jobs/queue.js';
import type { CallsRepo } from './calls.repo.js';
import { Call, CallKind, type CallsService } from './calls.service.js';
import type { VoiceChannel } from './ivr.service.js';
import type { SandboxInboundCallBody } from './voice.schemas.js';

export const SANDBOX_CALL_JOB = 'voice.sandbox-call';
const SandboxCallPayload = Type.Object({ callId: Uuid, step: Type.Union([Type.Literal('answer'), Type.Literal('miss'), Type.Literal('end')]), durationSeconds: Type.Integer({ minimum: 0 }) });
const RING_MS = 3_000;

/**
 * Simulated inbound calls to a sandbox line (operator.md `…/inbound-call`, `wasl sandbox call`):
 * the call and its Ringing webhook at once, then, on the server clock, answered and ended after
 * `durationSeconds`, or missed — each step a job, so it survives a restart like a real call's record.
 */
export function createSandboxCalls(deps: { transaction: Transaction; clock: Clock; queue: JobQueue; calls: CallsService; repo: CallsRepo; channel: (id: string, trx?: Db) => Promise<VoiceChannel | undefined> }) {
  const { transaction, clock, queue, calls } = deps;
  const at = (ms: number) => new Date(clock.now().getTime() + ms);
  return {
    async inbound(channelId: string, input: Static<typeof SandboxInboundCallBody>) {
      const channel = await deps.channel(channelId);
      if (!channel) throw errors.notFound('Channel', channelId);
      if (channel.settings?.provider !== 'sandbox') throw errors.channelNotSandboxVoice(channelId);
      return transaction(async (trx) => {
        const call = await calls.start(trx, { workspaceId: channel.workspaceId, channelId, direction: CallKind.Inbound, contactNumber: input.from, member: 'from', businessNumber: channel.phoneNumber, provider: 'sandbox' });
        await calls.ringing(trx, call.id, call.created_at);
        const answered = input.answered ?? true;
        await queue.enqueue(trx, SANDBOX_CALL_JOB, { callId: call.id, step: answered ? 'answer' : 'miss', durationSeconds: input.durationSeconds ?? 30 }, { runAt: at(RING_MS) });
        return { callId: call.id };
      });
    },

    async step(payload: Static<typeof SandboxCallPayload>): Promise<JobResult> {
      const call = await deps.repo.call(payload.callId);
      if (!call || call.hangup_at) return;
      await transaction(async (trx) => {
        const now = clock.now();
        if (payload.step === 'miss') return void (await calls.ended(trx, call.id, { status: Call.Missed, at: now, cause: 'NO_ANSWER' }));
        if (payload.step === 'end') return void (await calls.ended(trx, call.id, { status: Call.Completed, at: now, cause: 'NORMAL_CLEARING' }));
        if (call.pickup_at) return;
        await calls.answered(trx, call.id, now);
        await queue.enqueue(trx, SANDBOX_CALL_JOB, { ...payload, step: 'end' }, { runAt: at(payload.durationSeconds * 1000) });
      });
    },

    jobs(): JobDefinition[] {
      return [queuedJob({ name: SANDBOX_CALL_JOB, payload: SandboxCallPayload, maxAttempts: 5, handler: (p) => this.step(p) })];
    },
  };
}
export type SandboxCalls = ReturnType<typeof createSandboxCalls>;
