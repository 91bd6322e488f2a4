import { Type } from 'typebox';
import type { Db } from '../../db/store.js';
import type { IdempotencyService } from './idempotency.service.js';

/** The `Idempotency-Key` request header, as every route that takes one documents it. */
export const IdempotencyHeaders = Type.Object({
  'idempotency-key': Type.Optional(
    Type.String({
      description:
        'Beyond Hatif: the same key and body within 24 hours answer the first answer again (with `Idempotent-Replayed: true`) and send nothing; ' +
        'the same key with another body → 422; while the first is still running → 409. Per workspace.',
      examples: ['5f1c2a7e-3f0b-4c1e-9d1a-7b2e8c4d9f10'],
    }),
  ),
});

/**
 * A route's work under the request's `Idempotency-Key` (none: run plainly), in the transaction
 * `idempotency.run` gives it; a replayed answer is marked `Idempotent-Replayed: true`.
 */
export async function idempotent<T>(
  idempotency: IdempotencyService,
  req: { principal: { workspaceId: string }; headers: { 'idempotency-key'?: string }; body: unknown },
  reply: { header(name: string, value: string): unknown },
  route: string,
  work: (trx?: Db) => Promise<T>,
): Promise<T> {
  const { result, replayed } = await idempotency.run(req.principal.workspaceId, req.headers['idempotency-key'] ?? null, { route, body: req.body }, work);
  if (replayed) reply.header('idempotent-replayed', 'true');
  return result;
}
