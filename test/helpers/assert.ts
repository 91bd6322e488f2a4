import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { json } from './build.js';

/** The error envelope of decisions.md, with this status, code and (for 400s) the fields named. */
export function assertError(res: LightMyRequestResponse, status: number, code: string, members?: string[]) {
  assert.equal(res.statusCode, status, res.body);
  const body = json(res);
  const { error } = body;
  assert.deepEqual(Object.keys(body).sort(), ['error', 'message'], 'the envelope and the top-level message, nothing else');
  assert.deepEqual(Object.keys(error).sort(), ['code', 'data', 'details', 'message', 'validationErrors']);
  assert.equal(body.message, error.message, 'decisions.md: the top-level message repeats error.message');
  assert.ok(res.headers['x-request-id'], 'every error carries X-Request-Id');
  assert.equal(error.code, code);
  assert.equal(typeof error.message, 'string');
  if (members) assert.deepEqual([...new Set(error.validationErrors.flatMap((v: { members: string[] }) => v.members))], members, res.body);
}
