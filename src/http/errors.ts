/** One error type with a stable code; every error the API returns is rendered from one of these. */
export interface ValidationIssue {
  message: string;
  members: string[];
}

export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly extra: {
      details?: string | null;
      validationErrors?: ValidationIssue[] | null;
      headers?: Record<string, string>;
      data?: Record<string, unknown>;
    } = {},
  ) {
    super(message);
  }
}

const invalid = (issues: ValidationIssue[]) =>
  new AppError(400, 'Wasl:ValidationFailed', 'Your request is not valid!', {
    details: `The following errors were detected during validation.\n${issues.map((i) => ` - ${i.message}`).join('\n')}`,
    validationErrors: issues,
  });

const notFound = (entity: string, id: string) =>
  new AppError(404, `Wasl:${entity}:NotFound`, `${entity} ${id} was not found.`);

export const errors = {
  invalid,
  invalidField: (member: string, message: string) => invalid([{ message, members: [member] }]),
  malformedJson: (reason: string) =>
    new AppError(400, 'Wasl:MalformedJson', `The request body is not valid JSON: ${reason}`),
  notFound,
  routeNotFound: (method: string, url: string) =>
    new AppError(404, 'Wasl:RouteNotFound', `No route matches ${method} ${url.split('?')[0]}.`),
  unauthorized: (reason: string) =>
    new AppError(401, 'Wasl:Unauthorized', reason, {
      headers: { 'www-authenticate': `Bearer error="invalid_token", error_description="${reason.replace(/"/g, "'")}"` },
    }),
  forbidden: (reason: string) => new AppError(403, 'Wasl:Forbidden', reason),
  conflict: (code: string, message: string) => new AppError(409, code, message),
  tooLarge: (limit: number) =>
    new AppError(413, 'Wasl:PayloadTooLarge', `The request body is larger than the limit of ${limit} bytes.`),
  unsupportedMediaType: (type: string) =>
    new AppError(415, 'Wasl:UnsupportedMediaType', `Content-Type ${type || '(none)'} is not supported here; send application/json.`),
  rateLimited: (limit: number, retryAfterSeconds: number) =>
    new AppError(429, 'Wasl:RateLimited', `Rate limit of ${limit} requests per minute exceeded; retry in ${retryAfterSeconds} s.`, {
      headers: { 'retry-after': String(retryAfterSeconds) },
    }),
  draining: () => new AppError(503, 'Wasl:ShuttingDown', 'The server is shutting down; retry on another node.'),
  internal: () => new AppError(500, 'Wasl:InternalError', 'An internal error occurred during your request!'),
};
