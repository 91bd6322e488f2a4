import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errors } from './errors.js';
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
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return errors.tooLarge(bodyLimit);
  const known = e.code ? FASTIFY_CODES[e.code] : undefined;
  if (known) return known(e, req);
  if (e instanceof SyntaxError && e.statusCode === 400) return errors.malformedJson(e.message);
  if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
    return new AppError(e.statusCode, 'Wasl:BadRequest', e.message);
  }
  return errors.internal();
}

export function registerErrorHandling(app: FastifyInstance, bodyLimit: number): void {
  app.setErrorHandler((err, req, reply: FastifyReply) => {
    const appError = toAppError(err, req, bodyLimit);
    if (appError.statusCode >= 500) req.log.error({ err }, 'request failed');
    reply.code(appError.statusCode);
    if (appError.extra.headers) reply.headers(appError.extra.headers);
    return reply.send(envelope(appError));
  });
  app.setNotFoundHandler((req, reply) => {
    const e = errors.routeNotFound(req.method, req.url);
    return reply.code(404).send(envelope(e));
  });
}
