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
    /**
     * Checks again that the credential this request was authenticated with is still good (not
     * expired, not revoked, its owner not disabled); throws the same 401 the auth hook would.
     * Long-lived responses (the event stream) call it periodically. Set by the auth hook.
     */
    recheck: () => Promise<void>;
  }
}

export const HATIF_SECURITY = [{ bearer: [] }];
export const ADMIN_SECURITY = [{ adminToken: [] }];
