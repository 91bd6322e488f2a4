import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyHttpOptions, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { errors, type AppError } from '../lib/errors.js';
import { newId } from '../lib/ids.js';
import { envelope } from './error-handler.js';

/** Path parameters longer than this are refused by the router (414) before any route runs. */
export const MAX_PARAM_LENGTH = 100;

function frameworkError(err: FastifyError): AppError {
  switch (err.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return errors.uriTooLong(`A path segment is longer than ${MAX_PARAM_LENGTH} characters.`);
    case 'FST_ERR_BAD_URL':
      return errors.badRequest('The path is not valid: a percent-escape does not decode to UTF-8 text.');
    default:
      return errors.badRequest('The request could not be routed.');
  }
}

/** Node's own refusals (before Fastify sees a request): header overflow, bad syntax, time-outs. */
function clientError(err: NodeJS.ErrnoException): AppError {
  if (err.code === 'HPE_HEADER_OVERFLOW') return errors.headersTooLarge();
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return errors.requestTimeout();
  return errors.badRequest('The request is not valid HTTP/1.1.');
}

/** Writes a whole HTTP response on a socket Node gave up on, in the envelope, with a request id. */
export function writeClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const e = clientError(err);
    const body = JSON.stringify(envelope(e));
    socket.write(
      `HTTP/1.1 ${e.statusCode} ${STATUS_CODES[e.statusCode]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${newId()}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy();
}

/**
 * Fastify and Node server options that keep hostile input inside the envelope: router errors
 * (bad percent-escapes, over-long path parameters) and client errors (oversized headers, bad
 * HTTP) answered before a route exists, each with an `X-Request-Id`.
 */
export function edgeServerOptions(config: Pick<Config, 'bodyLimitBytes' | 'trustProxy'>): Partial<FastifyHttpOptions<Server>> {
  return {
    bodyLimit: config.bodyLimitBytes,
    // The client address (`req.ip`) the token endpoint throttles by: the socket's, or a trusted proxy's X-Forwarded-For.
    trustProxy: config.trustProxy,
    // Node answers a missing Host header with a bare 400 of its own; Fastify serves it in the envelope.
    http: { requireHostHeader: false },
    frameworkErrors: (err: FastifyError, req: FastifyRequest, reply: FastifyReply) => {
      const e = frameworkError(err);
      void reply.code(e.statusCode).header('x-request-id', req.id).send(envelope(e));
    },
    clientErrorHandler: writeClientError,
  };
}
