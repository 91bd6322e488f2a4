import { errors } from '../../lib/errors.js';
import { OutboundRefusedError } from './errors.js';
import { checkUrl, parseTarget, type LookupFn } from './ssrf.js';

/** Reasons checkUrl gives when a host does not resolve (now): judged again at every request. */
const UNRESOLVED = /^host (not found|has no addresses)/;

/**
 * Registration-time check of any URL an operator or client sets for Wasl to call — webhook URLs,
 * provider base URLs (`whatsApp.graphBaseUrl`), later media URLs: http(s) without credentials,
 * and a host that does not resolve to a private, loopback, link-local, CGNAT or metadata address
 * unless `allowPrivate` (WEBHOOK_ALLOW_PRIVATE=true). A refusal is a 400 naming the field. A host
 * that does not resolve yet is accepted (its DNS may go live later): the outbound client resolves
 * and checks again at every request and connects only to the address it checked.
 */
export function createUrlGuard({ allowPrivate, lookup }: { allowPrivate: boolean; lookup?: LookupFn }) {
  return async function assertUrl(field: string, url: string | null | undefined) {
    if (!url) return;
    try {
      if (allowPrivate) parseTarget(url, field);
      else await checkUrl(url, { allowPrivate, label: field, ...(lookup && { lookup }) });
    } catch (err) {
      if (err instanceof OutboundRefusedError && UNRESOLVED.test(err.reason)) return;
      if (err instanceof OutboundRefusedError) throw errors.invalidField(field, err.message);
      throw err;
    }
  };
}
export type UrlGuard = ReturnType<typeof createUrlGuard>;
