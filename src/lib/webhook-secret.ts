import type { Sealed, SecretBox } from './secret-box.js';

/** How long the secret before a rotation still signs, so receivers can switch at their pace. */
export const SECRET_OVERLAP_MS = 24 * 3_600_000;

/** A webhook signing secret as stored: sealed, with the one it replaced and when. */
export interface StoredWebhookSecret {
  webhook_secret: Sealed | null;
  previous_webhook_secret: Sealed | null;
  webhook_secret_rotated_at: Date | null;
}

/**
 * The columns to write when a webhook secret is set: the new secret sealed, and the one it
 * replaces kept (sealed as it was) to sign beside it for 24 h. Setting the same secret again
 * changes nothing.
 */
export function secretChange(current: Sealed | null, next: string | null, now: Date, box: Pick<SecretBox, 'seal' | 'openNullable'>) {
  if (next === box.openNullable(current)) return {};
  return {
    webhook_secret: next === null ? null : box.seal(next),
    previous_webhook_secret: current,
    webhook_secret_rotated_at: current === null ? null : now,
  };
}

/** The stored secrets opened, in the shape the webhook signer reads (`signingSecrets`). */
export const openWebhookSecrets = (row: StoredWebhookSecret, box: Pick<SecretBox, 'openNullable'>) => ({
  webhook_secret: box.openNullable(row.webhook_secret),
  previous_webhook_secret: box.openNullable(row.previous_webhook_secret),
  webhook_secret_rotated_at: row.webhook_secret_rotated_at,
});

/** The secrets that sign a webhook now: the current one, then the previous one within 24 h. */
export function signingSecrets(
  row: { webhook_secret: string | null; previous_webhook_secret: string | null; webhook_secret_rotated_at: Date | null },
  now: Date,
): string[] {
  if (!row.webhook_secret) return [];
  const overlap =
    row.previous_webhook_secret && row.webhook_secret_rotated_at && now.getTime() - row.webhook_secret_rotated_at.getTime() < SECRET_OVERLAP_MS;
  return overlap ? [row.webhook_secret, row.previous_webhook_secret!] : [row.webhook_secret];
}
