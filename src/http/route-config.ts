import type { FastifyInstance } from 'fastify';
import type { App } from './types.js';

/**
 * What a route needs from the edge, declared in its `config` and read by the hooks of `app.ts`,
 * never guessed from its URL.
 *
 * ```ts
 * app.get('/v1/tags/service-account', {
 *   config: { auth: 'bearer', errors: [404] },
 *   schema: { operationId: 'listTags', tags: ['Tags'], summary: 'List Tags', querystring, response: { 200: PagedTags } },
 * }, handler);
 * ```
 */
export interface RouteEdge {
  /** Who may call: a service-account token with the VoxaAPI scope, the admin token, or anyone. Required. */
  auth: 'bearer' | 'admin' | 'none';
  /**
   * Error statuses this route answers beyond those its flags imply (400 for input, 401/403/429 for
   * `bearer`, 401 for `admin`, 500/503 always), for the OpenAPI document: e.g. [404, 409, 422].
   */
  errors?: readonly (404 | 409 | 413 | 415 | 422 | 502)[];
  /** How errors are rendered: the ABP envelope (default) or RFC 6749's `{error, error_description}`. */
  errorFormat?: 'envelope' | 'oauth';
  /** Request names folded case-insensitively to the schema's spelling (default true). */
  caseInsensitive?: boolean;
  /** Keep the exact bytes of the body on `req.rawBody` (signed provider webhooks). */
  rawBody?: boolean;
}

declare module 'fastify' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- declaration merging adds the flags to Fastify's route config
  interface FastifyContextConfig extends Partial<RouteEdge> {}
  interface FastifyRequest {
    /** The body's exact bytes, on routes with `config.rawBody`. */
    rawBody?: Buffer;
  }
}

/** A feature's routes: registered by `app.ts` from one list, handed the container's services. */
export type Routes<Deps> = (app: App, deps: Deps) => void;

/** Reads a route's edge flags with their defaults. */
export function edgeOf(config: Partial<RouteEdge> | undefined): Required<Omit<RouteEdge, 'errors'>> & Pick<RouteEdge, 'errors'> {
  return {
    auth: config?.auth ?? 'none',
    errors: config?.errors,
    errorFormat: config?.errorFormat ?? 'envelope',
    caseInsensitive: config?.caseInsensitive ?? true,
    rawBody: config?.rawBody ?? false,
  };
}

export type AnyApp = FastifyInstance | App;
