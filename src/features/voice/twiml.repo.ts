import { sql, type Selectable, type Updateable } from 'kysely';
import type { Db } from '../../db/store.js';
import type { IvrScript, IvrState, PromptName } from './ivr-engine.js';

/** A call on a callback provider and its engine's progress (0016_twiml.ts). */
export interface TwimlCallsTable {
  call_id: string;
  ivr_id: string;
  channel_id: string;
  provider_call_id: string | null;
  script: IvrScript;
  /** Where the provider fetches each prompt. */
  prompts: Partial<Record<PromptName, string>>;
  state: IvrState;
  /** Engine steps taken; a callback names the step it answers. */
  seq: number;
  /** The answer (TwiML) that led to step `seq`, for a retried callback. */
  last_answer: string | null;
  finished: boolean;
  created_at: Date;
}
export type TwimlCallRow = Selectable<TwimlCallsTable>;

type Tables = { twiml_calls: TwimlCallsTable };

export function createTwimlRepo(db: Db) {
  const t = (executor: Db) => executor.withTables<Tables>();
  const json = (value: unknown) => sql<never>`${JSON.stringify(value)}::jsonb`;
  return {
    async insert(row: TwimlCallRow, trx: Db = db) {
      await t(trx).insertInto('twiml_calls').values({ ...row, script: json(row.script), prompts: json(row.prompts), state: json(row.state) }).execute();
    },
    async find(callId: string, trx: Db = db) {
      return t(trx).selectFrom('twiml_calls').selectAll().where('call_id', '=', callId).executeTakeFirst();
    },
    /** The call's row, locked until the transaction ends: callbacks of one call take turns. */
    async lock(callId: string, trx: Db) {
      return t(trx).selectFrom('twiml_calls').selectAll().where('call_id', '=', callId).forUpdate().executeTakeFirst();
    },
    async update(callId: string, patch: Omit<Updateable<TwimlCallsTable>, 'script' | 'prompts' | 'state'> & { state?: IvrState }, trx: Db = db) {
      const { state, ...rest } = patch;
      await t(trx).updateTable('twiml_calls').set({ ...rest, ...(state && { state: json(state) }) }).where('call_id', '=', callId).execute();
    },
  };
}
export type TwimlRepo = ReturnType<typeof createTwimlRepo>;
