import { sql, type Kysely } from 'kysely';

// decisions.md "Workspace users": a workspace user's userId equals its id, so clients that key
// users by either one match every payload. One fact is stored once: the column goes, and the API
// answers `userId` from `id` (for existing people that changes their userId to their id).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    DROP INDEX IF EXISTS workspace_users_user;
    ALTER TABLE workspace_users DROP COLUMN user_id;
  `.execute(db);
}
