import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errors } from '../lib/errors.js';
import { toIssues } from './validation.js';

/** The ABP envelope of decisions.md, for every error the API answers with. */
export const envelope = (e: AppError) => ({
  error: {
    code: e.code,
    message: e.message,
    details: e.extra.details ?? null,
    data: e.extra.data ?? {},
    validationErrors: e.extra.validationErrors ?? null,
  },
  // decisions.md: clients that read a top-level string show "[object Object]" without it.
  message: e.message,
});

const FASTIFY_CODES: Record<string, (err: FastifyError, req: FastifyRequest) => AppError> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: (_e, req) => errors.unsupportedMediaType(String(req.headers['content-type'] ?? '')),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => errors.malformedJson('the body is empty'),
  FST_ERR_CTP_INVALID_JSON_BODY: (e) => errors.malformedJson(e.message),
};

export function toAppError(err: unknown, req: FastifyRequest, bodyLimit: number): AppError {
  if (err instanceof AppError) return err;
  const e = err as FastifyError & { validation?: Parameters<typeof toIssues>[0] };
  if (e.validation) return errors.invalid(toIssues(e.validation));
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return errors.tooLarge(req.routeOptions?.bodyLimit ?? bodyLimit);
  const known = e.code ? FASTIFY_CODES[e.code] : undefined;
  if (known) return known(e, req);
  if (e instanceof SyntaxError && e.statusCode === 400) return errors.malformedJson(e.message);
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return errors.badRequest(e.message);
  }
  return errors.internal();
}

/**
 * RFC 6749 §5.2's `{error, error_description}`, for routes with `config.errorFormat: 'oauth'`
 * (`/connect/token`): every error there, parser and limit errors included, keeps its status and
 * speaks OAuth. 429 is `slow_down` (the registered token-endpoint code for "too fast", RFC 8628).
 */
export function oauthError(e: AppError): { error: string; error_description: string } {
  const status = e.statusCode;
  const error =
    status === 401 ? 'invalid_client'
    : status === 429 ? 'slow_down'
    : status === 503 ? 'temporarily_unavailable'
    : status >= 500 ? 'server_error'
    : 'invalid_request';
  const issues = e.extra.validationErrors;
  const text = issues?.length ? issues.map((i) => i.message).join(' ') : e.message;
  // error_description is printable ASCII without '"' and '\\' (RFC 6749 §5.2).
  return { error, error_description: text.replace(/"/g, "'").replace(/\\/g, '/').replace(/[^\x20-\x7e]/g, '?') };
}

export function registerErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((err, req, reply: FastifyReply) => {
    const appError = toAppError(err, req, bodyLimit);
    if (appError.statusCode >= 500) req.log.error({ err }, 'request failed');
    reply.code(appError.statusCode);
    if (appError.extra.headers) reply.headers(appError.extra.headers);
    if (req.routeOptions.config?.errorFormat === 'oauth') {
      return reply.header('cache-control', 'no-store').send(oauthError(appError));
    }
    return reply.send(envelope(appError));
  });
  app.setNotFoundHandler((req, reply) => {
    const e = errors.routeNotFound(req.method, req.url.split('?')[0] ?? req.url);
    return reply.code(404).send(envelope(e));
  });
}
