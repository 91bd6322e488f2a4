import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Static } from 'typebox';
import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { Clock } from '../../lib/clock.js';
import { codes, IvrResult, IvrStatus } from '../../lib/enums.js';
import { errors } from '../../lib/errors.js';
import { queuedJob, type JobDefinition, type JobQueue, type JobResult } from '../../jobs/queue.js';
import { ProviderError } from '../../providers/errors.js';
import type { VoiceChannelSettings } from '../../providers/settings.js';
import type { FileStorage } from '../../providers/storage/port.js';
import type { CallbackStep, CallbackTelephony, HangupCause, PlaceRequest, Prompt, TelephonyPort, Unanswered } from '../../providers/telephony/port.js';
import type { CallsRepo, OutboundIvrRow } from './calls.repo.js';
import { Call } from './calls.service.js';
import { initialState, step, type IvrAction, type IvrInput, type PromptName } from './ivr-engine.js';
import { MAX_CALL_MS, TWIML_CHECK_JOB, TwimlCheckPayload, unanswered, type Finish } from './ivr.outcomes.js';
import type { IvrService, VoiceChannel } from './ivr.service.js';
import type { TwimlCallRow, TwimlRepo } from './twiml.repo.js';

const Status = codes(IvrStatus);
const Result = codes(IvrResult);

/** What a callback asks (the query Wasl put in the URL it gave the provider). */
export interface CallbackQuery {
  ev: 'answer' | 'status' | 'gather' | 'played';
  /** The engine step the answer being reported on led to. */
  s?: number;
  p?: string;
}

/** A final CallStatus of a call that was never answered → the port's outcome and cause. */
const UNANSWERED: Record<string, { outcome: Unanswered; cause: HangupCause; reason: string }> = {
  busy: { outcome: 'busy', cause: 'USER_BUSY', reason: 'Busy' },
  'no-answer': { outcome: 'no-answer', cause: 'NO_ANSWER', reason: 'No answer' },
  failed: { outcome: 'failed', cause: 'NORMAL_TEMPORARY_FAILURE', reason: 'The provider could not connect the call' },
  canceled: { outcome: 'cancelled', cause: 'ORIGINATOR_CANCEL', reason: 'Cancelled' },
};
const SIP_CAUSE: Record<string, HangupCause> = { '404': 'UNALLOCATED_NUMBER', '484': 'INVALID_NUMBER_FORMAT', '503': 'NORMAL_TEMPORARY_FAILURE', '603': 'CALL_REJECTED' };
/** A call's final statuses in TwiML's words. */
const FINAL = new Set(['completed', ...Object.keys(UNANSWERED)]);

/** A call is asked about at the provider this long after it could have stopped ringing, and then again as often, while it has not ended. */
export const CHECK_EVERY_MS = 2 * 60_000;
/** Tries of a placement the provider refused for now (429, 503: nothing was placed), and the longest wait between them. */
const PLACE_TRIES = 3;
const PLACE_WAIT_MAX_MS = 10_000;

/**
 * Outbound IVR calls on a callback provider (TwiML): `start` places the call with the engine's
 * state stored (`twiml_calls`); then every callback of the provider — on any node — takes the
 * call's row lock, feeds the engine (`step`) and answers the TwiML of the next action, or records
 * a status (ringing, answered, the end). A callback names the step it answers (`s`): a retried or
 * stale one gets the stored answer again, so nothing moves twice.
 */
export function createTwimlCalls(deps: {
  repo: TwimlRepo;
  calls: CallsRepo;
  transaction: Transaction;
  clock: Clock;
  /** The IVR service's steps (late-bound: the IVR service is handed this one). */
  steps: () => IvrService['steps'];
  channel: (id: string) => Promise<VoiceChannel | undefined>;
  telephony: (channel: VoiceChannel & { settings: VoiceChannelSettings }) => TelephonyPort;
  storage: FileStorage;
  publicUrl: string;
  ringTimeoutMs: number;
  queue: JobQueue;
}) {
  const { repo, transaction, clock } = deps;
  const callbackUrl = (channelId: string, callId: string) => `${deps.publicUrl}/webhooks/voice/${channelId}/twiml/${callId}`;

  /** Claims the end (only once per call, in `trx`); the record's end is written in the same transaction. */
  async function claimEnd(trx: Db, row: TwimlCallRow) {
    if (row.finished) return false;
    await repo.update(row.call_id, { finished: true }, trx);
    return true;
  }
  const finishIvr = async (ivrId: string, f: Finish, trx?: Db) => deps.steps().finish((await deps.calls.ivr(ivrId, trx))!, f, trx);

  function toStep(row: TwimlCallRow, action: IvrAction, seq: number): CallbackStep {
    const next = (query: string) => `${callbackUrl(row.channel_id, row.call_id)}?${query}&s=${seq}`;
    if ('hangUp' in action) return { hangUp: true };
    if ('play' in action) return { play: { url: row.prompts[action.play] ?? '' }, next: next(`ev=played&p=${action.play}`) };
    return { gather: { url: row.prompts.main ?? '', timeoutMs: action.timeoutMs }, next: next('ev=gather') };
  }

  async function markAnswered(trx: Db, row: TwimlCallRow, at: Date) {
    const ivr = (await deps.calls.ivr(row.ivr_id, trx))!;
    if (!ivr.answered_at) await deps.steps().markAnswered(trx, row.ivr_id, row.call_id, at);
  }

  /** A voice-URL, gather or played callback: the engine's next action as the provider's answer. */
  async function engine(trx: Db, row: TwimlCallRow, telephony: CallbackTelephony, query: CallbackQuery, params: Record<string, string>) {
    const hangUp = telephony.render({ hangUp: true });
    if (row.finished) return hangUp;
    if ((query.s ?? 0) !== row.seq) return row.last_answer ? { contentType: hangUp.contentType, body: row.last_answer } : hangUp;
    let input: IvrInput;
    if (query.ev === 'answer') {
      await markAnswered(trx, row, clock.now());
      input = { answered: true };
    } else if (query.ev === 'played') {
      input = { played: (['welcome', 'main', 'success', 'failed'] as const).find((p) => p === query.p) ?? 'main' };
    } else {
      const digit = (params.Digits ?? '').slice(0, 1);
      input = digit ? { digit } : { timeout: true };
    }
    const next = step(row.script, row.state, input);
    const answer = telephony.render(toStep(row, next.action, row.seq + 1));
    await repo.update(row.call_id, { state: next.state, seq: row.seq + 1, last_answer: answer.body }, trx);
    return answer;
  }

  /** A status callback: ringing / answered are recorded at once; a final status ends the request (after the commit). */
  async function status(trx: Db, row: TwimlCallRow, params: Record<string, string>): Promise<Finish | null> {
    const callStatus = params.CallStatus ?? '';
    const now = clock.now();
    if (row.finished) return null;
    const ivr = (await deps.calls.ivr(row.ivr_id, trx))!;
    if (callStatus === 'ringing') {
      if (ivr.status === Status.Initiated) await deps.steps().markRinging(trx, row.ivr_id, row.call_id, now);
      return null;
    }
    if (callStatus === 'in-progress' || callStatus === 'answered') {
      await markAnswered(trx, row, now);
      return null;
    }
    if (callStatus === 'completed') {
      if (!(await claimEnd(trx, row))) return null;
      const talked = Number(params.CallDuration);
      await markAnswered(trx, row, Number.isFinite(talked) ? new Date(now.getTime() - talked * 1000) : now);
      const outcome = row.state.outcome ?? 'NoInput';
      return { status: Status.Completed, result: Result[outcome], callStatus: Call.Completed, pressedDigit: row.state.pressedDigit, at: now, cause: 'NORMAL_CLEARING' };
    }
    const u = UNANSWERED[callStatus];
    if (!u || !(await claimEnd(trx, row))) return null;
    const sipCode = Number(params.SipResponseCode) || undefined;
    const cause = (u.outcome === 'failed' && sipCode && SIP_CAUSE[String(sipCode)]) || u.cause;
    return unanswered({ answered: false, at: now, ...u, cause, ...(sipCode && { sipCode }) });
  }

  /**
   * Places the call, again after a wait when the provider said it took nothing for now (429, 503):
   * never after an answer that leaves it unknown whether the call was placed (a time-out, another
   * 5xx), which would ring the customer twice — those fail the request.
   */
  async function place(telephony: CallbackTelephony, request: PlaceRequest) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await telephony.place(request);
      } catch (err) {
        if (!(err instanceof ProviderError) || err.retry !== 'throttled' || attempt >= PLACE_TRIES) throw err;
        await sleep(Math.min(err.retryAfterMs ?? 1000 * 2 ** (attempt - 1), PLACE_WAIT_MAX_MS));
      }
    }
  }

  /** Ends the request in one transaction with the call's row locked, unless a callback ended it first. */
  async function endOnce(callId: string, f: (trx: Db, row: TwimlCallRow) => Promise<Finish | null>) {
    await transaction(async (trx) => {
      const row = (await repo.lock(callId, trx))!;
      const end = row.finished ? null : await f(trx, row);
      if (end) await finishIvr(row.ivr_id, end, trx);
    });
  }

  /**
   * `voice.twiml-check`: a call not ended by its callbacks some minutes after it could have stopped
   * ringing. The provider's REST API says how it is: a final status ends the request as that
   * callback would have; a call still going is asked about again, until it has run longer than
   * any call may (MAX_CALL_MS), when it is hung up and the request fails; a provider that does not
   * answer by then fails the request too.
   */
  async function check({ callId }: Static<typeof TwimlCheckPayload>): Promise<JobResult> {
    const row = await repo.find(callId);
    if (!row || row.finished) return;
    const channel = await deps.channel(row.channel_id);
    const telephony = channel?.settings && deps.telephony({ ...channel, settings: channel.settings });
    const now = clock.now();
    let seen: Awaited<ReturnType<CallbackTelephony['status']>> | null = null;
    let trouble = 'the channel no longer has this provider';
    if (telephony?.mode === 'callback' && row.provider_call_id) {
      try {
        seen = await telephony.status(row.provider_call_id);
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        trouble = `the provider did not answer: ${err.reason}`;
      }
    }
    if (seen && FINAL.has(seen.status)) {
      const params: Record<string, string> = { CallStatus: seen.status, ...(seen.durationSeconds !== undefined && { CallDuration: String(seen.durationSeconds) }), ...(seen.sipCode && { SipResponseCode: String(seen.sipCode) }) };
      await endOnce(callId, (trx, locked) => status(trx, locked, params));
      return;
    }
    if (now.getTime() - row.created_at.getTime() < deps.ringTimeoutMs + MAX_CALL_MS) {
      return { retryAt: new Date(now.getTime() + CHECK_EVERY_MS), reason: seen ? `the provider says the call is ${seen.status || 'unknown'}` : trouble };
    }
    if (seen && telephony?.mode === 'callback') await telephony.end(row.provider_call_id!).catch(() => {});
    const error = seen ? `The call ran past the ${MAX_CALL_MS / 60_000}-minute limit without ending (the provider said "${seen.status}"); it was hung up.` : `The provider stopped reporting on the call (${trouble}).`;
    await endOnce(callId, async (trx, locked) => ((await claimEnd(trx, locked)) ? { status: Status.Failed, result: Result.TechnicalFailure, callStatus: Call.Failed, at: now, cause: 'RECOVERY_ON_TIMER_EXPIRE', error } : null));
  }

  return {
    check,
    jobs(): JobDefinition[] {
      // Asked every CHECK_EVERY_MS for as long as a call may run, and a few more.
      return [queuedJob({ name: TWIML_CHECK_JOB, payload: TwimlCheckPayload, maxAttempts: Math.ceil(MAX_CALL_MS / CHECK_EVERY_MS) + 5, handler: (p) => check(p) })];
    },

    /** Places the call; the provider's callbacks carry it on. A refusal ends the request at once. */
    async start(input: { row: OutboundIvrRow; call: { id: string }; prompts: Partial<Record<PromptName, Prompt>>; telephony: CallbackTelephony }) {
      const { row, call, prompts, telephony } = input;
      const urls = Object.fromEntries(Object.entries(prompts).map(([name, p]) => [name, p.url]));
      const script = deps.steps().scriptOf(row, { welcome: Boolean(prompts.welcome), success: Boolean(prompts.success), failed: Boolean(prompts.failed) });
      // Stored before the call is placed: a provider may call back before it answers the request.
      await repo.insert({ call_id: call.id, ivr_id: row.id, channel_id: row.channel_id, provider_call_id: null, script, prompts: urls, state: initialState(), seq: 0, last_answer: null, finished: false, created_at: clock.now() });
      const channel = (await deps.channel(row.channel_id))!;
      try {
        const placed = await place(telephony, { callId: call.id, from: channel.phoneNumber ?? '', to: row.destination_number, ringTimeoutMs: deps.ringTimeoutMs, callbackUrl: callbackUrl(row.channel_id, call.id) });
        await transaction(async (trx) => {
          await repo.update(call.id, { provider_call_id: placed.providerCallId }, trx);
          await deps.calls.updateCall(call.id, { provider_call_id: placed.providerCallId }, trx);
          // If the provider's callbacks stop (lost, or the provider down), this asks it how the call ended.
          await deps.queue.enqueue(trx, TWIML_CHECK_JOB, { callId: call.id } satisfies Static<typeof TwimlCheckPayload>, { runAt: new Date(clock.now().getTime() + deps.ringTimeoutMs + CHECK_EVERY_MS) });
        });
      } catch (err) {
        if (!(err instanceof ProviderError)) throw err;
        // Twilio's 21211 / 21217: the To number is not a phone number; anything else is the provider's or the account's trouble.
        const cause: HangupCause = err.code === 21211 || err.code === 21217 ? 'INVALID_NUMBER_FORMAT' : 'NORMAL_TEMPORARY_FAILURE';
        await transaction(async (trx) => {
          if (await claimEnd(trx, (await repo.lock(call.id, trx))!)) await finishIvr(row.id, unanswered({ answered: false, at: clock.now(), outcome: 'failed', cause, reason: `${err.reason} (${err.code})` }), trx);
        });
      }
    },

    /** One callback of the provider, verified first (a wrong or missing signature → 403, nothing changed). */
    async callback(channelId: string, callId: string, query: CallbackQuery, request: { url: string; params: Record<string, string>; signature: string | undefined }) {
      const channel = await deps.channel(channelId);
      const telephony = channel?.settings && deps.telephony({ ...channel, settings: channel.settings });
      if (telephony?.mode !== 'callback') throw errors.voiceCallNotFound(callId);
      if (!telephony.verify(`${deps.publicUrl}${request.url}`, request.params, request.signature)) throw errors.voiceBadSignature();
      const done = await transaction(async (trx) => {
        const row = await repo.lock(callId, trx);
        if (row?.channel_id !== channelId) throw errors.voiceCallNotFound(callId);
        if (query.ev !== 'status') return engine(trx, row, telephony, query, request.params);
        // The end is claimed and written in this transaction: only this callback writes it.
        const end = await status(trx, row, request.params);
        if (end) await finishIvr(row.ivr_id, end, trx);
        return null;
      });
      return done;
    },

    /** A rendered TTS prompt's WAV by its key (the SHA-256 of engine, voice and text), for providers that fetch prompts. */
    async promptWav(key: string): Promise<{ body: Readable; sizeBytes: number }> {
      const found = /^[0-9a-f]{64}$/.test(key) ? await deps.calls.ttsPrompt(key) : undefined;
      const stored = found && (await deps.storage.get(found.storage_key));
      if (!stored) throw errors.voicePromptNotFound();
      return { body: stored.body, sizeBytes: stored.sizeBytes };
    },
  };
}
export type TwimlCalls = ReturnType<typeof createTwimlCalls>;
