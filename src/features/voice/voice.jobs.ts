import { queuedJob, type JobDefinition } from '../../jobs/queue.js';
import type { IvrService } from './ivr.service.js';
import { IVR_CALL_JOB, IvrCallPayload, MAX_CALL_MS } from './ivr.outcomes.js';
import type { SandboxCalls } from './sandbox-calls.js';
import type { TwimlCalls } from './twiml-calls.js';

/**
 * The voice feature's jobs, listed by container.ts: `voice.ivr-call` (one outbound IVR call from
 * dialling to the completion webhook; it runs as long as the call, so a worker loop of its own —
 * `CALL_CONCURRENCY` — takes them: calls wait on the phone, not on the CPU) and `voice.sandbox-call`
 * (a step of a simulated inbound call), `voice.twiml-check` (a TwiML call whose callbacks stopped). A call job never retries by itself: a second try would
 * ring the customer again.
 */
export function voiceJobs({ ivr, sandboxCalls, twimlCalls, callConcurrency }: { ivr: IvrService; sandboxCalls: SandboxCalls; twimlCalls: TwimlCalls; callConcurrency: number }): JobDefinition[] {
  return [queuedJob({ name: IVR_CALL_JOB, payload: IvrCallPayload, maxAttempts: 3, timeoutMs: MAX_CALL_MS, ownLoop: callConcurrency, handler: (payload, ctx) => ivr.run(payload, ctx) }), ...sandboxCalls.jobs(), ...twimlCalls.jobs()];
}
