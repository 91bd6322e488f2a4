import { sql, type Selectable, type Updateable } from 'kysely';
import type { Db } from '../../db/store.js';
import type { PageRequest } from '../../lib/paging.js';
import { isUniqueViolation } from '../../db/errors.js';

/** A call of a channel (0015_calls.ts): what the Call Webhook and the call list show. */
export interface CallsTable {
  id: string;
  workspace_id: string;
  channel_id: string;
  contact_id: string | null;
  conversation_id: string | null;
  event_id: string | null;
  /** 1 inbound, 2 outbound (CallType). */
  direction: number;
  /** The Call Webhook's status (CallStatus). */
  status: number;
  caller_number: string | null;
  callee_number: string | null;
  provider: string;
  provider_call_id: string | null;
  user_id: string | null;
  ringing_at: Date | null;
  pickup_at: Date | null;
  hangup_at: Date | null;
  hangup_cause: string | null;
  recording_url: string | null;
  created_at: Date;
}
export type CallRow = Selectable<CallsTable>;

export interface IvrOption {
  digit: string;
  description: string;
}

/** One `POST /v1/outbound-ivr` request and how its call went (spec §3.23's record). */
export interface OutboundIvrTable {
  id: string;
  workspace_id: string;
  channel_id: string;
  external_id: string | null;
  destination_number: string;
  audio_file_url: string | null;
  tts_text: string | null;
  tts_voice: number;
  audio_type: number;
  welcome_message_file_url: string | null;
  success_message_file_url: string | null;
  failed_message_file_url: string | null;
  options: IvrOption[];
  webhook_url: string;
  max_audio_retries: number;
  input_timeout_ms: number;
  digit_timeout_ms: number;
  status: number;
  result: number;
  pressed_digit: string | null;
  initiated_at: Date | null;
  ringing_at: Date | null;
  answered_at: Date | null;
  completed_at: Date | null;
  call_id: string | null;
  error_message: string | null;
  hangup_cause: string | null;
  created_at: Date;
}
export type OutboundIvrRow = Selectable<OutboundIvrTable>;

/** A TTS prompt rendered once per text and voice: its 8-kHz WAV in the file storage. */
export interface TtsPromptsTable {
  key: string;
  storage_key: string;
  duration_ms: number;
  created_at: Date;
}

type Tables = { calls: CallsTable; outbound_ivr: OutboundIvrTable; tts_prompts: TtsPromptsTable };

export function createCallsRepo(db: Db) {
  const t = (executor: Db) => executor.withTables<Tables>();
  const json = (value: unknown) => sql<never>`${JSON.stringify(value)}::jsonb`;
  return {
    /** The new request, or undefined when its externalId is taken in the workspace (the caller reads that one). */
    async insertIvr(row: OutboundIvrRow, trx: Db = db): Promise<OutboundIvrRow | undefined> {
      try {
        return await t(trx).insertInto('outbound_ivr').values({ ...row, options: json(row.options) }).returningAll().executeTakeFirstOrThrow();
      } catch (err) {
        if (isUniqueViolation(err)) return undefined;
        throw err;
      }
    },
    async ivrByExternalId(workspaceId: string, externalId: string, trx: Db = db) {
      return t(trx).selectFrom('outbound_ivr').selectAll().where('workspace_id', '=', workspaceId).where('external_id', '=', externalId).executeTakeFirst();
    },
    /** The request, whichever workspace (callers check it). */
    async ivr(id: string, trx: Db = db) {
      return t(trx).selectFrom('outbound_ivr').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async updateIvr(id: string, patch: Updateable<OutboundIvrTable>, trx: Db = db) {
      return t(trx).updateTable('outbound_ivr').set(patch).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    },
    async insertCall(row: CallRow, trx: Db = db) {
      return t(trx).insertInto('calls').values(row).returningAll().executeTakeFirstOrThrow();
    },
    async call(id: string, trx: Db = db) {
      return t(trx).selectFrom('calls').selectAll().where('id', '=', id).executeTakeFirst();
    },
    async updateCall(id: string, patch: Updateable<CallsTable>, trx: Db = db) {
      return t(trx).updateTable('calls').set(patch).where('id', '=', id).returningAll().executeTakeFirstOrThrow();
    },
    /** A page of a workspace's calls with the total, in `sort` order (ties by id, the same way). */
    async listCalls(workspaceId: string, page: PageRequest, trx: Db = db) {
      let q = t(trx)
        .selectFrom('calls')
        .selectAll('calls')
        .select((eb) => eb.selectFrom('channels').select('channels.phone_number_id').whereRef('channels.id', '=', 'calls.channel_id').as('phone_number_id'))
        .where('calls.workspace_id', '=', workspaceId);
      for (const s of page.sort) q = q.orderBy(sql.ref(`calls.${s.column}`), (ob) => (s.desc ? ob.desc().nullsLast() : ob.asc().nullsFirst()));
      const last = page.sort[0]?.desc ?? true;
      const [items, count] = await Promise.all([
        q.orderBy('calls.id', last ? 'desc' : 'asc').offset(page.skip).limit(page.take).execute(),
        t(trx).selectFrom('calls').select((eb) => eb.fn.countAll<string>().as('n')).where('workspace_id', '=', workspaceId).executeTakeFirstOrThrow(),
      ]);
      return { totalCount: Number(count.n), items };
    },
    async ttsPrompt(key: string, trx: Db = db) {
      return t(trx).selectFrom('tts_prompts').selectAll().where('key', '=', key).executeTakeFirst();
    },
    async saveTtsPrompt(row: Selectable<TtsPromptsTable>, trx: Db = db) {
      await t(trx).insertInto('tts_prompts').values(row).onConflict((oc) => oc.column('key').doNothing()).execute();
    },
  };
}
export type CallsRepo = ReturnType<typeof createCallsRepo>;
