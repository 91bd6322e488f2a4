import { setTimeout as sleep } from 'node:timers/promises';
import type { Static } from 'typebox';
import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { Clock } from '../../lib/clock.js';
import { codes, IvrAudioType, IvrResult, IvrStatus, TtsVoice } from '../../lib/enums.js';
import { errors } from '../../lib/errors.js';
import { newId } from '../../lib/ids.js';
import { pace, type JobContext, type JobQueue, type JobResult } from '../../jobs/queue.js';
import type { UrlGuard } from '../../providers/http/url-guard.js';
import type { VoiceChannelSettings } from '../../providers/settings.js';
import type { CallbackTelephony, Prompt, TelephonyPort } from '../../providers/telephony/port.js';
import { speakableText } from '../../providers/tts/index.js';
import type { EventType } from '../webhooks/webhooks.service.js';
import type { CallsRepo, OutboundIvrRow } from './calls.repo.js';
import { Call, CallKind, secondsBetween, type CallsService } from './calls.service.js';
import { runLive, type IvrScript, type PromptName } from './ivr-engine.js';
import { PromptError, type PromptLoader } from './prompts.js';
import type { CreateOutboundIvrBody } from './voice.schemas.js';
import { IvrCallPayload, IVR_CALL_JOB, unanswered, type Finish } from './ivr.outcomes.js';

const Status = codes(IvrStatus);
const Result = codes(IvrResult);
type Emit = (trx: Db, event: { workspaceId: string; channelId?: string; type: EventType; payload: object; url?: string }) => Promise<unknown>;
export interface VoiceChannel {
  id: string;
  workspaceId: string;
  phoneNumber: string | null;
  settings: VoiceChannelSettings | null;
}

/**
 * A write about a call that has happened is tried again in place (a busy pool, a lost connection)
 * rather than failing the job: a job run again cannot tell a finished call from one cut off, and
 * must never dial twice. After the last try the error goes up (the job ends the request as cut off).
 */
async function persist<T>(write: () => Promise<T>, delays = [250, 500, 1_000, 2_000, 4_000]): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (attempt >= delays.length) throw err;
      await sleep(delays[attempt]);
    }
  }
}

/** The record of spec §3.23 (integer enums, camelCase). */
export function toOutboundIvr(r: OutboundIvrRow) {
  return {
    id: r.id,
    workspaceId: r.workspace_id,
    channelId: r.channel_id,
    externalId: r.external_id,
    destinationNumber: r.destination_number,
    audioFileUrl: r.audio_file_url,
    ttsText: r.tts_text,
    ttsVoice: r.tts_voice,
    audioType: r.audio_type,
    welcomeMessageFileUrl: r.welcome_message_file_url,
    successMessageFileUrl: r.success_message_file_url,
    failedMessageFileUrl: r.failed_message_file_url,
    options: r.options,
    webhookUrl: r.webhook_url,
    maxAudioRetries: r.max_audio_retries,
    inputTimeoutMs: r.input_timeout_ms,
    digitTimeoutMs: r.digit_timeout_ms,
    status: r.status,
    result: r.result,
    pressedDigit: r.pressed_digit,
    initiatedAt: r.initiated_at,
    ringingAt: r.ringing_at,
    answeredAt: r.answered_at,
    completedAt: r.completed_at,
    callId: r.call_id,
    errorMessage: r.error_message,
    hangupCause: r.hangup_cause,
    creationTime: r.created_at,
  };
}

/** The completion webhook (spec §4.3): integers for `status` and `result`, as Hatif sends them live. */
export function ivrWebhook(r: OutboundIvrRow) {
  const { id, externalId, workspaceId, channelId, destinationNumber, status, result, pressedDigit, initiatedAt, ringingAt, answeredAt, completedAt, callId, errorMessage, hangupCause, creationTime } = toOutboundIvr(r);
  const callDurationSeconds = secondsBetween(answeredAt, completedAt);
  return { id, externalId, workspaceId, channelId, destinationNumber, status, result, pressedDigit, initiatedAt, ringingAt, answeredAt, completedAt, callDurationSeconds, callId, errorMessage, hangupCause, creationTime };
}

/**
 * Outbound IVR (spec §3.23, §4.3): a request is a row and a `voice.ivr-call` job, in one
 * transaction; the job loads the prompts, places the call through the channel's provider and lets
 * the IVR engine drive it, recording each step (the call, its timeline event, the Call Webhook),
 * then sends the completion webhook to the request's `webhookUrl`.
 */
export function createIvrService(deps: {
  repo: CallsRepo;
  calls: CallsService;
  transaction: Transaction;
  clock: Clock;
  queue: JobQueue;
  emit: Emit;
  assertUrl: UrlGuard;
  channel: (id: string, trx?: Db) => Promise<VoiceChannel | undefined>;
  telephony: (channel: VoiceChannel & { settings: VoiceChannelSettings }) => TelephonyPort;
  /** Calls on a callback provider (TwiML): placed here, then driven by its callbacks (`twiml-calls.ts`). */
  callbacks?: { start(input: { row: OutboundIvrRow; call: { id: string }; prompts: Partial<Record<PromptName, Prompt>>; telephony: CallbackTelephony }): Promise<void> };
  prompts: PromptLoader;
  normaliseNumber: (workspaceId: string, input: string, member: string) => Promise<string>;
  ringTimeoutMs: number;
  /** Calls dialled per second per channel, across every worker (`CALL_STARTS_PER_SECOND`). */
  callsPerSecond: number;
}) {
  const { repo, calls, transaction, clock } = deps;

  /** The request's end: the record, the call's end when there is a call, and the completion webhook, in one transaction (the caller's when given). */
  async function finish(row: OutboundIvrRow, f: Finish, outer?: Db) {
    await transaction(async (trx) => {
      const at = f.at ?? clock.now();
      const done = await repo.updateIvr(row.id, { status: f.status, result: f.result, completed_at: at, hangup_cause: f.cause ?? null, error_message: f.error ?? null, ...(f.pressedDigit !== undefined && { pressed_digit: f.pressedDigit }) }, trx);
      if (done.call_id && f.callStatus !== undefined) await calls.ended(trx, done.call_id, { status: f.callStatus, at, cause: f.cause ?? null });
      await deps.emit(trx, { workspaceId: done.workspace_id, channelId: done.channel_id, type: 'OutboundIvrCompleted', payload: ivrWebhook(done), url: done.webhook_url });
    }, outer);
  }

  /** The callee's phone rings / the call is answered: the record and the call (its webhook), in the caller's transaction. */
  async function markRinging(trx: Db, ivrId: string, callId: string, at: Date) {
    await repo.updateIvr(ivrId, { status: Status.Ringing, ringing_at: at }, trx);
    await calls.ringing(trx, callId, at);
  }
  async function markAnswered(trx: Db, ivrId: string, callId: string, at: Date) {
    await repo.updateIvr(ivrId, { status: Status.InProgress, answered_at: at }, trx);
    await calls.answered(trx, callId, at);
  }
  /** What the engine follows for a request, given which prompts it has. */
  const scriptOf = (row: OutboundIvrRow, has: IvrScript['has']): IvrScript => ({ has, digits: row.options.map((o) => o.digit), maxAudioRetries: row.max_audio_retries, inputTimeoutMs: row.input_timeout_ms });

  return {
    /** A call's steps as any provider reports them (a live one here; a callback provider from its webhooks). */
    steps: { markRinging, markAnswered, finish, scriptOf },

    async create(workspaceId: string, body: Static<typeof CreateOutboundIvrBody>) {
      if (body.externalId) {
        const earlier = await repo.ivrByExternalId(workspaceId, body.externalId);
        if (earlier) return { record: toOutboundIvr(earlier), replayed: true };
      }
      const channel = await deps.channel(body.channelId);
      if (channel?.workspaceId !== workspaceId) throw errors.notFound('Channel', body.channelId);
      if (!channel.settings) throw errors.channelWithoutVoice(channel.id);
      if (!body.audioFileUrl === !body.ttsText) throw errors.invalidField(body.audioFileUrl ? 'ttsText' : 'audioFileUrl', 'Give the main prompt as audioFileUrl (a WAV file) or as ttsText, not both and not neither.');
      if (body.ttsText) speakableText(body.ttsText); // empty of words or too long → 400 naming ttsText, before anyone is called
      const digits = body.options.map((o) => o.digit);
      const twice = digits.find((d, i) => digits.indexOf(d) !== i);
      if (twice) throw errors.invalidField('options', `options: the key ${twice} is listed twice.`);
      for (const field of ['audioFileUrl', 'welcomeMessageFileUrl', 'successMessageFileUrl', 'failedMessageFileUrl', 'webhookUrl'] as const) await deps.assertUrl(field, body[field]);
      const destination = await deps.normaliseNumber(workspaceId, body.destinationNumber, 'destinationNumber');
      const row: OutboundIvrRow = {
        id: newId(),
        workspace_id: workspaceId,
        channel_id: channel.id,
        external_id: body.externalId ?? null,
        destination_number: destination,
        audio_file_url: body.audioFileUrl ?? null,
        tts_text: body.ttsText ?? null,
        tts_voice: body.ttsVoice ?? codes(TtsVoice).Female,
        audio_type: body.audioFileUrl ? codes(IvrAudioType).File : codes(IvrAudioType).Tts,
        welcome_message_file_url: body.welcomeMessageFileUrl ?? null,
        success_message_file_url: body.successMessageFileUrl ?? null,
        failed_message_file_url: body.failedMessageFileUrl ?? null,
        options: body.options.map((o) => ({ digit: o.digit, description: o.description ?? o.label ?? '' })),
        webhook_url: body.webhookUrl,
        max_audio_retries: body.maxAudioRetries ?? 2,
        input_timeout_ms: body.inputTimeoutMs ?? 6000,
        digit_timeout_ms: body.digitTimeoutMs ?? 3000,
        status: Status.Pending,
        result: Result.None,
        pressed_digit: null,
        initiated_at: null,
        ringing_at: null,
        answered_at: null,
        completed_at: null,
        call_id: null,
        error_message: null,
        hangup_cause: null,
        created_at: clock.now(),
      };
      return transaction(async (trx) => {
        const saved = await repo.insertIvr(row, trx);
        // Two requests with one externalId at once: the second answers the first's record.
        if (!saved) return { record: toOutboundIvr((await repo.ivrByExternalId(workspaceId, body.externalId!))!), replayed: true };
        // Dialled at the channel's pace: a burst of requests does not become a burst of INVITEs (a
        // trunk refuses calls over its CPS) nor of set-up writes crowding out the live calls' ones.
        await deps.queue.enqueue(trx, IVR_CALL_JOB, { ivrId: saved.id } satisfies Static<typeof IvrCallPayload>, { rate: pace(`voice:${saved.channel_id}`, deps.callsPerSecond) });
        return { record: toOutboundIvr(saved), replayed: false };
      });
    },

    async get(workspaceId: string, id: string) {
      const row = await repo.ivr(id);
      if (row?.workspace_id !== workspaceId) throw errors.notFound('OutboundIvr', id);
      return toOutboundIvr(row);
    },

    /**
     * The call job. A request past Pending was being called when its worker stopped: it is not
     * dialled again (that would ring the customer twice) but ends as a technical failure.
     */
    async run(payload: Static<typeof IvrCallPayload>, ctx: JobContext): Promise<JobResult> {
      const row = await repo.ivr(payload.ivrId);
      if (!row) return { giveUp: true, reason: `outbound IVR ${payload.ivrId} is gone` };
      if (row.completed_at) return;
      if (row.status !== Status.Pending) {
        return finish(row, { status: Status.Failed, result: Result.TechnicalFailure, callStatus: Call.Failed, cause: 'NORMAL_TEMPORARY_FAILURE', error: 'The call was cut off: the server running it stopped. It is not placed again automatically.' });
      }
      const channel = await deps.channel(row.channel_id);
      if (!channel?.settings) return finish(row, { status: Status.Failed, result: Result.TechnicalFailure, error: 'The channel has no phone line any more.' });
      let prompts;
      try {
        prompts = await deps.prompts.load(row);
      } catch (err) {
        if (err instanceof PromptError) return finish(row, { status: Status.Failed, result: Result.TechnicalFailure, error: err.message });
        throw err;
      }
      const telephony = deps.telephony({ ...channel, settings: channel.settings });
      const call = await transaction(async (trx) => {
        const c = await calls.start(trx, { workspaceId: row.workspace_id, channelId: row.channel_id, direction: CallKind.Outbound, contactNumber: row.destination_number, member: 'destinationNumber', businessNumber: channel.phoneNumber, provider: telephony.provider, handlerName: 'IVR' });
        await repo.updateIvr(row.id, { status: Status.Initiated, initiated_at: c.created_at, call_id: c.id }, trx);
        return c;
      });
      if (telephony.mode === 'callback') {
        if (!deps.callbacks) return finish((await repo.ivr(row.id))!, { status: Status.Failed, result: Result.TechnicalFailure, callStatus: Call.Failed, error: 'This server cannot take callback calls.' });
        await deps.callbacks.start({ row: (await repo.ivr(row.id))!, call, prompts, telephony });
        return;
      }
      // Steps are recorded in order, each after the one before has committed, and never hold up
      // the call itself: the script starts the moment the callee answers, while its writes queue.
      let recorded: Promise<unknown> = Promise.resolve();
      const record = (work: (trx: Db) => Promise<unknown>) => {
        recorded = recorded.then(() => persist(() => transaction(work)));
        recorded.catch(() => undefined); // awaited before the end; never an unhandled rejection meanwhile
        return recorded;
      };
      const dialled = await telephony.dial({
        callId: call.id,
        from: channel.phoneNumber ?? '',
        to: row.destination_number,
        ringTimeoutMs: deps.ringTimeoutMs,
        signal: ctx.signal,
        onRinging: (at) => void record((trx) => markRinging(trx, row.id, call.id, at)),
      });
      if (!dialled.answered) {
        await recorded;
        return persist(() => finish(row, unanswered(dialled)));
      }
      void record((trx) => markAnswered(trx, row.id, call.id, dialled.at));
      const script = scriptOf(row, { welcome: Boolean(prompts.welcome), success: Boolean(prompts.success), failed: Boolean(prompts.failed) });
      const { state, end } = await runLive(dialled.call, script, prompts);
      const outcome = state.outcome ?? 'NoInput';
      await recorded;
      return persist(() => finish(row, { status: Status.Completed, result: Result[outcome], callStatus: Call.Completed, pressedDigit: state.pressedDigit, at: end.at, cause: end.cause }));
    },
  };
}
export type IvrService = ReturnType<typeof createIvrService>;
