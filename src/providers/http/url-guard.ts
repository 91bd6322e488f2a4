import { errors } from '../../http/errors.js';
import { OutboundRefusedError } from '../../providers/http/errors.js';
import { checkUrl, parseTarget } from '../../providers/http/ssrf.js';

/** Reasons checkUrl gives when a host does not resolve (now): judged again at every send. */
const UNRESOLVED = /^host (not found|has no addresses)/;

/**
 * Registration-time check of a webhook URL: it must be http(s) without credentials, and its host
 * must not resolve to a private, loopback, link-local, CGNAT or metadata address — unless
 * WEBHOOK_ALLOW_PRIVATE=true. A host that does not resolve yet is accepted (its DNS may go live
 * later); sending resolves and checks again, and connects only to the checked address.
 */
export function createWebhookUrlGuard(allowPrivate: boolean) {
  return async function assertWebhookUrl(field: string, url: string | null | undefined) {
    if (!url) return;
    try {
      if (allowPrivate) parseTarget(url, 'webhook URL');
      else await checkUrl(url, { allowPrivate, label: 'webhook URL' });
    } catch (err) {
      if (err instanceof OutboundRefusedError && UNRESOLVED.test(err.reason)) return;
      if (err instanceof OutboundRefusedError) throw errors.invalidField(field, `${field}: ${err.message}`);
      throw err;
    }
  };
}
export type WebhookUrlGuard = ReturnType<typeof createWebhookUrlGuard>;
