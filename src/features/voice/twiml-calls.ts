import type { Readable } from 'node:stream';
import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { Clock } from '../../lib/clock.js';
import { codes, IvrResult, IvrStatus } from '../../lib/enums.js';
import { errors } from '../../lib/errors.js';
import { ProviderError } from '../../providers/errors.js';
import type { VoiceChannelSettings } from '../../providers/settings.js';
import type { FileStorage } from '../../providers/storage/port.js';
import type { CallbackStep, CallbackTelephony, HangupCause, Prompt, TelephonyPort, Unanswered } from '../../providers/telephony/port.js';
import type { CallsRepo, OutboundIvrRow } from './calls.repo.js';
import { Call } from './calls.service.js';
import { initialState, step, type IvrAction, type IvrInput, type PromptName } from './ivr-engine.js';
import { unanswered, type Finish } from './ivr.outcomes.js';
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

  return {
    /** Places the call; the provider's callbacks carry it on. A refusal ends the request at once. */
    async start(input: { row: OutboundIvrRow; call: { id: string }; prompts: Partial<Record<PromptName, Prompt>>; telephony: CallbackTelephony }) {
      const { row, call, prompts, telephony } = input;
      const urls = Object.fromEntries(Object.entries(prompts).map(([name, p]) => [name, p.url]));
      const script = deps.steps().scriptOf(row, { welcome: Boolean(prompts.welcome), success: Boolean(prompts.success), failed: Boolean(prompts.failed) });
      // Stored before the call is placed: a provider may call back before it answers the request.
      await repo.insert({ call_id: call.id, ivr_id: row.id, channel_id: row.channel_id, provider_call_id: null, script, prompts: urls, state: initialState(), seq: 0, last_answer: null, finished: false, created_at: clock.now() });
      const channel = (await deps.channel(row.channel_id))!;
      try {
        const placed = await telephony.place({ callId: call.id, from: channel.phoneNumber ?? '', to: row.destination_number, ringTimeoutMs: deps.ringTimeoutMs, callbackUrl: callbackUrl(row.channel_id, call.id) });
        await transaction(async (trx) => {
          await repo.update(call.id, { provider_call_id: placed.providerCallId }, trx);
          await deps.calls.updateCall(call.id, { provider_call_id: placed.providerCallId }, trx);
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
