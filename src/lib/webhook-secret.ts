/** How long the secret before a rotation still signs, so receivers can switch at their pace. */
export const SECRET_OVERLAP_MS = 24 * 3_600_000;

/**
 * The columns to write when a webhook secret is set: the secret it replaces keeps signing
 * (beside the new one) for 24 h. Setting the same secret again changes nothing.
 */
export function secretChange(current: string | null, next: string | null, now: Date) {
  if (next === current) return {};
  return {
    webhook_secret: next,
    previous_webhook_secret: current,
    webhook_secret_rotated_at: current === null ? null : now,
  };
}

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
