/** The API client: same-origin fetch with the sign-in cookie; errors as `ApiError` with their fields. */

export interface Envelope {
  error?: { code?: string; message?: string; data?: Record<string, unknown>; validationErrors?: { message: string; members: string[] }[] | null };
  message?: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Messages by field name (the last part of a validation error's member, lower-cased). */
    readonly fields: Record<string, string>,
    readonly data: Record<string, unknown>,
    /** Messages by full member path, lower-cased (`parameters[1].values[0].text`), in the envelope's order. */
    readonly members: Record<string, string> = {},
  ) {
    super(message);
  }
  /** The message for a field, else null (the form shows it as a whole-form error). */
  field(name: string): string | null {
    return this.fields[name.toLowerCase()] ?? null;
  }
  /** The message for a full member path (`parameters[1].values[0].text`, any case), else null. */
  member(path: string): string | null {
    return this.members[path.toLowerCase()] ?? null;
  }
  /** The members at or under a prefix (`parameters[1]`: itself, `parameters[1].values[0].text` …), lower-cased, with their messages. */
  under(prefix: string): [member: string, message: string][] {
    const p = prefix.toLowerCase();
    return Object.entries(this.members).filter(([m]) => m === p || m.startsWith(`${p}.`) || m.startsWith(`${p}[`));
  }
}

/** A refusal's envelope as an `ApiError`: messages keyed by each member's last part and by its full path. */
export function apiError(status: number, statusText: string, envelope: Envelope): ApiError {
  const fields: Record<string, string> = {};
  const members: Record<string, string> = {};
  for (const v of envelope.error?.validationErrors ?? []) {
    for (const member of v.members) {
      const path = member.toLowerCase();
      const name = path.split(/[./[\]]/).filter(Boolean).pop();
      if (name && !fields[name]) fields[name] = v.message;
      if (path && !members[path]) members[path] = v.message;
    }
  }
  const data = envelope.error?.data ?? {};
  const message = envelope.error?.message ?? envelope.message ?? statusText;
  if (typeof data.field === 'string') {
    const name = data.field.toLowerCase();
    if (!fields[name]) fields[name] = envelope.error?.message ?? '';
    if (!members[name]) members[name] = envelope.error?.message ?? '';
  }
  return new ApiError(status, envelope.error?.code ?? `Http${status}`, message, fields, data, members);
}

const listeners = new Set<() => void>();
/** Called when a request answers 401 (the sign-in ended): the app goes back to the sign-in page. */
export const onSignedOut = (fn: () => void) => (listeners.add(fn), () => void listeners.delete(fn));

/**
 * GETs started before the app renders (main.tsx asks for what the first screen needs at once, in
 * parallel); the first `api('GET', path)` of each takes its answer.
 */
const early = new Map<string, Promise<Response>>();
export function prefetch(path: string) {
  if (!early.has(path)) early.set(path, fetch(path, { credentials: 'same-origin', headers: { accept: 'application/json' } }));
}

/** Forgets what was prefetched (signed out: those answers are 401s). */
export const dropPrefetched = () => early.clear();

export async function api<T>(method: string, path: string, body?: unknown, options: { quiet401?: boolean } = {}): Promise<T> {
  let res: Response;
  const started = method === 'GET' ? early.get(path) : undefined;
  if (started) early.delete(path);
  try {
    res = started ? await started : await fetch(path, {
      method,
      credentials: 'same-origin',
      headers: body === undefined ? { accept: 'application/json' } : { accept: 'application/json', 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch {
    throw new ApiError(0, 'Network', '', {}, {});
  }
  const text = await res.text();
  const parsed = text ? (safeJson(text) as unknown) : null;
  if (res.ok) return parsed as T;
  const error = apiError(res.status, res.statusText, (parsed ?? {}) as Envelope);
  if (res.status === 401 && !options.quiet401) for (const fn of listeners) fn();
  throw error;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** A query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | boolean | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}
