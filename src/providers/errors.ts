import { OutboundRefusedError, OutboundTooLargeError } from './http/errors.js';
import type { OutboundHttp, OutboundRequest, OutboundResponse } from './http/outbound.js';

/**
 * How an adapter says a provider call failed, in terms the job that made the call can act on:
 * `never` (a permanent refusal: bad number, template not approved — fail the message and report
 * `code`/`reason`), `later` (transport error, provider 5xx — retry on the job's schedule) or
 * `throttled` (the provider asked to slow down — retry after `retryAfterMs`, pace the sender).
 * The HTTP layer never sees these; the feature turns them into events, statuses or an AppError.
 */
export type RetryAdvice = 'never' | 'later' | 'throttled';

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  constructor(
    /** Which adapter: `whatsapp/cloud`, `whatsapp/sandbox` … */
    readonly provider: string,
    /** The provider's own error code (Meta's 131026 …), or Wasl's word for a transport failure. */
    readonly code: string | number,
    /** The provider's explanation, safe to store and to pass on in a webhook. */
    readonly reason: string,
    readonly retry: RetryAdvice,
    readonly retryAfterMs?: number,
    options?: ErrorOptions,
  ) {
    super(`${provider}: ${reason} (${code})`, options);
  }
}

/** An inbound webhook whose signature is missing or wrong: answer 401 and store nothing. */
export class WebhookSignatureError extends Error {
  override readonly name = 'WebhookSignatureError';
}

/** A failure of the outbound client as a ProviderError: a refused URL or an oversized answer is permanent, the rest is worth a retry. */
export function transportFailure(provider: string, err: unknown): ProviderError {
  const message = (err as Error).message ?? String(err);
  if (err instanceof OutboundRefusedError) return new ProviderError(provider, 'url_refused', message, 'never', undefined, { cause: err });
  if (err instanceof OutboundTooLargeError) return new ProviderError(provider, 'too_large', message, 'never', undefined, { cause: err });
  return new ProviderError(provider, 'transport', message, 'later', undefined, { cause: err });
}

/**
 * One call to a provider's JSON API through the guarded client: the answer's JSON object; a
 * transport failure, a 2xx that is not JSON (`who` names the API in the reason) or a refusal
 * (`refused`, from the status and the error JSON) as a ProviderError.
 */
export async function providerJson(
  http: Pick<OutboundHttp, 'request'>,
  call: { provider: string; who: string; method: 'GET' | 'POST'; url: string; init: OutboundRequest },
  refused: (res: OutboundResponse, json: Record<string, unknown>) => ProviderError,
): Promise<Record<string, unknown>> {
  let res: OutboundResponse;
  try {
    res = await http.request(call.method, call.url, call.init);
  } catch (err) {
    throw transportFailure(call.provider, err);
  }
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(res.body?.toString('utf8') || '{}') as Record<string, unknown>;
  } catch {
    if (res.status < 300) throw new ProviderError(call.provider, `http_${res.status}`, `${call.who} answered something that is not JSON.`, 'later');
  }
  if (res.status < 200 || res.status >= 300) throw refused(res, json);
  return json;
}
