import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { json } from './build.js';

/** The error envelope of decisions.md, with this status, code and (for 400s) the fields named. */
export function assertError(res: LightMyRequestResponse, status: number, code: string, members?: string[]) {
  assert.equal(res.statusCode, status, res.body);
  const { error } = json(res);
  assert.deepEqual(Object.keys(error).sort(), ['code', 'data', 'details', 'message', 'validationErrors']);
  assert.equal(error.code, code);
  assert.equal(typeof error.message, 'string');
  if (members) assert.deepEqual([...new Set(error.validationErrors.flatMap((v: { members: string[] }) => v.members))], members, res.body);
}
