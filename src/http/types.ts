import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { Principal } from '../lib/principal.js';

/** The Fastify instance every routes file receives: TypeBox schemas type its handlers. */
export type App = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

declare module 'fastify' {
  interface FastifyRequest {
    /** The service account behind the bearer token; set by the auth hook on every Hatif route. */
    principal: Principal;
  }
}

export const HATIF_SECURITY = [{ bearer: [] }];
export const ADMIN_SECURITY = [{ adminToken: [] }];
