import { sql, type Kysely } from 'kysely';

// Secrets at rest are sealed with the encryption key (lib/secret-box.ts), which a migration does
// not hold: it may come from the environment or be generated into the store on first start. So
// this migration only moves secrets where they belong and marks every one still in clear as
// `plain:…`; the start that follows (secrets.init, before any request or job) seals them. A
// `plain:` value is the one unsealed form a secret column may hold, and only between the two.
//
// Cloud API credentials leave the `whatsapp` settings for `provider_secrets`, one sealed JSON
// object per channel ({"whatsApp": {accessToken, appSecret, verifyToken}}), where SIP passwords,
// TwiML tokens and model API keys will join them.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    ALTER TABLE channels ADD COLUMN provider_secrets text;

    UPDATE channels
       SET provider_secrets = 'plain:' || jsonb_build_object('whatsApp', jsonb_strip_nulls(jsonb_build_object(
             'accessToken', whatsapp -> 'accessToken',
             'appSecret', whatsapp -> 'appSecret',
             'verifyToken', whatsapp -> 'verifyToken')))::text,
           whatsapp = whatsapp - 'accessToken' - 'appSecret' - 'verifyToken'
     WHERE whatsapp ?| array['accessToken', 'appSecret', 'verifyToken'];

    UPDATE channels SET webhook_secret = 'plain:' || webhook_secret WHERE webhook_secret IS NOT NULL;
    UPDATE channels SET previous_webhook_secret = 'plain:' || previous_webhook_secret WHERE previous_webhook_secret IS NOT NULL;
    UPDATE workspaces SET webhook_secret = 'plain:' || webhook_secret WHERE webhook_secret IS NOT NULL;
    UPDATE workspaces SET previous_webhook_secret = 'plain:' || previous_webhook_secret WHERE previous_webhook_secret IS NOT NULL;
  `.execute(db);
}

// Back only while nothing is sealed yet (the server has not started since `up`): sealed values
// cannot be opened here.
export async function down(db: Kysely<unknown>): Promise<void> {
  const sealed = await sql<{ n: number }>`
    SELECT count(*)::int AS n FROM (
      SELECT provider_secrets AS v FROM channels UNION ALL SELECT webhook_secret FROM channels
      UNION ALL SELECT previous_webhook_secret FROM channels UNION ALL SELECT webhook_secret FROM workspaces
      UNION ALL SELECT previous_webhook_secret FROM workspaces) s
    WHERE v LIKE 'v1:%'`.execute(db);
  if ((sealed.rows[0]?.n ?? 0) > 0) throw new Error('0005 cannot be undone: secrets are sealed already.');
  await sql`
    UPDATE channels
       SET whatsapp = whatsapp || (substr(provider_secrets, 7)::jsonb -> 'whatsApp')
     WHERE provider_secrets IS NOT NULL AND whatsapp IS NOT NULL;
    ALTER TABLE channels DROP COLUMN provider_secrets;
    UPDATE channels SET webhook_secret = substr(webhook_secret, 7) WHERE webhook_secret LIKE 'plain:%';
    UPDATE channels SET previous_webhook_secret = substr(previous_webhook_secret, 7) WHERE previous_webhook_secret LIKE 'plain:%';
    UPDATE workspaces SET webhook_secret = substr(webhook_secret, 7) WHERE webhook_secret LIKE 'plain:%';
    UPDATE workspaces SET previous_webhook_secret = substr(previous_webhook_secret, 7) WHERE previous_webhook_secret LIKE 'plain:%';
  `.execute(db);
}
