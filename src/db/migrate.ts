import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './store.js';
import * as m0001 from './migrations/0001_foundation.js';
import * as m0002 from './migrations/0002_jobs.js';
import * as m0003 from './migrations/0003_webhooks.js';
import * as m0004 from './migrations/0004_user_id_is_id.js';
import * as m0005 from './migrations/0005_sealed_secrets.js';
import * as m0006 from './migrations/0006_deliveries_queue.js';
import * as m0007 from './migrations/0007_contacts.js';
import * as m0008 from './migrations/0008_conversations.js';
import * as m0009 from './migrations/0009_idempotency.js';
import * as m0010 from './migrations/0010_whatsapp_webhooks.js';
import * as m0011 from './migrations/0011_whatsapp_templates.js';
import * as m0012 from './migrations/0012_files.js';
import * as m0013 from './migrations/0013_rate_slots_precise.js';
import * as m0014 from './migrations/0014_audio.js';
import * as m0015 from './migrations/0015_calls.js';
import * as m0016 from './migrations/0016_twiml.js';
import * as m0017 from './migrations/0017_queue_vacuum.js';
import * as m0018 from './migrations/0018_people.js';
import * as m0019 from './migrations/0019_events.js';
import * as m0020 from './migrations/0020_jobs_claim.js';
import * as m0021 from './migrations/0021_inbox.js';
import * as m0022 from './migrations/0022_message_search.js';
import * as m0023 from './migrations/0023_known_recipient.js';

/** Numbered migrations, listed here so they are bundled with the code and run in order. */
const MIGRATIONS: Record<string, Migration> = {
  '0001_foundation': m0001,
  '0002_jobs': m0002,
  '0003_webhooks': m0003,
  '0004_user_id_is_id': m0004,
  '0005_sealed_secrets': m0005,
  '0006_deliveries_queue': m0006,
  '0007_contacts': m0007,
  '0008_conversations': m0008,
  '0009_idempotency': m0009,
  '0010_whatsapp_webhooks': m0010,
  '0011_whatsapp_templates': m0011,
  '0012_files': m0012,
  '0013_rate_slots_precise': m0013,
  '0014_audio': m0014,
  '0015_calls': m0015,
  '0016_twiml': m0016,
  '0017_queue_vacuum': m0017,
  '0018_people': m0018,
  '0019_events': m0019,
  '0020_jobs_claim': m0020,
  '0021_inbox': m0021,
  '0022_message_search': m0022,
  '0023_known_recipient': m0023,
};

const provider: MigrationProvider = { getMigrations: async () => MIGRATIONS };

export class MigrationError extends Error {}

/** Runs every pending migration; Kysely's lock table makes concurrent starts on PostgreSQL safe. */
export async function migrateToLatest(db: Db, options: { schema?: string } = {}): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider,
    migrationTableName: 'wasl_migrations',
    migrationLockTableName: 'wasl_migrations_lock',
    // A store in its own schema (tests on PostgreSQL) keeps its own migration record there too.
    ...(options.schema ? { migrationTableSchema: options.schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    throw new MigrationError(`Migration ${failed} failed: ${(error as Error).message ?? String(error)}`, { cause: error });
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
