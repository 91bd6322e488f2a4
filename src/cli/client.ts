import { cliError } from './errors.js';

export type Method = 'GET' | 'POST' | 'PATCH';

export interface AdminClientOptions {
  baseUrl: string;
  token: string;
  fetch?: typeof fetch;
  timeoutMs?: number;
}

interface Envelope {
  error: { code?: string; message?: string; details?: string | null; validationErrors?: { message: string; members?: string[] }[] | null };
}

const isEnvelope = (value: unknown): value is Envelope =>
  typeof value === 'object' && value !== null && typeof (value as Envelope).error === 'object' && (value as Envelope).error !== null;

/** The admin API over HTTP; every failure becomes a CliError with exit code 1 and a readable message. */
export function createAdminClient(options: AdminClientOptions) {
  const { baseUrl, token, timeoutMs = 30_000 } = options;
  const doFetch = options.fetch ?? fetch;

  return {
    async request<T = unknown>(method: Method, path: string, body?: unknown): Promise<T> {
      const url = baseUrl + path;
      let res: Response;
      try {
        res = await doFetch(url, {
          method,
          headers: {
            authorization: `Bearer ${token}`,
            accept: 'application/json',
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw cliError(1, describeNetworkError(err, baseUrl, timeoutMs));
      }
      if (res.status === 204) return undefined as T;
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = undefined;
      }
      if (!res.ok) throw cliError(1, describeApiError(res, method, path, parsed, text));
      if (parsed === undefined) throw cliError(1, `${method} ${path} answered ${res.status} without a JSON body; is WASL_URL (${baseUrl}) a Wasl server?`);
      return parsed as T;
    },
  };
}
export type AdminClient = ReturnType<typeof createAdminClient>;

function describeNetworkError(err: unknown, baseUrl: string, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const where = `the Wasl server at ${baseUrl} (WASL_URL)`;
  if (e.name === 'TimeoutError') return `${where} did not answer within ${timeoutMs / 1000} s.`;
  switch (e.cause?.code) {
    case 'ECONNREFUSED':
      return `cannot connect to ${where}: connection refused. Is the server running, and is WASL_URL right?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot connect to ${where}: the host name does not resolve.`;
    default:
      return `cannot connect to ${where}: ${e.cause?.message ?? e.message ?? String(err)}`;
  }
}

function describeApiError(res: Response, method: string, path: string, parsed: unknown, text: string): string {
  if (!isEnvelope(parsed)) {
    // Not Wasl's envelope (a proxy's error page, say): show enough of it to diagnose.
    const snippet = text.trim().replace(/\s+/g, ' ').slice(0, 200);
    return `${method} ${path} failed: HTTP ${res.status} ${res.statusText}${snippet ? `: ${snippet}` : ''}`;
  }
  const { code, message, details, validationErrors } = parsed.error;
  const lines = [`${message ?? 'the request failed'} (HTTP ${res.status}${code ? `, ${code}` : ''})`];
  if (validationErrors?.length) {
    for (const issue of validationErrors) {
      const members = issue.members?.length ? `${issue.members.join(', ')}: ` : '';
      lines.push(`  - ${members}${issue.message}`);
    }
  } else if (details) {
    lines.push(`  ${details}`);
  }
  return lines.join('\n');
}
