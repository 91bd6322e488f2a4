import { Type } from 'typebox';

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
