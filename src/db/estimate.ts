import { sql, type RawBuilder } from 'kysely';
import type { Db } from './store.js';

/** Planner cost above which a count is not worth its time (a count of ~100,000 index entries, ~30 ms of a core). */
export const COUNT_COST_LIMIT = 5_000;

type Plan = [{ Plan: { 'Plan Rows': number; 'Total Cost': number } }];

/** The planner's row estimate and cost for a statement, without running it (~0.3 ms). */
export async function estimate(statement: RawBuilder<unknown>, trx: Db) {
  const result = await sql<{ 'QUERY PLAN': Plan | string }>`EXPLAIN (FORMAT JSON) ${statement}`.execute(trx);
  const json = result.rows[0]!['QUERY PLAN'];
  const top = (typeof json === 'string' ? (JSON.parse(json) as Plan) : json)[0].Plan;
  return { rows: Math.round(top['Plan Rows']), cost: top['Total Cost'] };
}
