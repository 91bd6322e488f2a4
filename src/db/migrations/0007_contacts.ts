import { sql, type Kysely } from 'kysely';

/**
 * The contact book (features/contacts/README.md has the layout's reasons):
 * - `contacts`: standard fields; `search_name` is the name folded for search (case, Arabic letter
 *   forms, diacritics); soft delete by `deletion_time`, and a phone is unique among live contacts.
 * - `contact_property_definitions`: typed properties; `key` is derived from the name.
 * - `contact_values`: one row per set value of a live contact, in the column of its type, so
 *   every filter is an index range and a count over custom properties never reads `contacts`.
 * - `contact_notes`, `contact_history` (append-only; no foreign keys, so imports stay fast and
 *   history outlives the definitions it names).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    CREATE TABLE contacts (
      id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL REFERENCES workspaces (id),
      name text NOT NULL,
      search_name text NOT NULL,
      phone_number text NOT NULL,
      email text,
      company text,
      position text,
      search_email text,
      search_company text,
      search_position text,
      contact_type smallint NOT NULL,
      custom_fields jsonb NOT NULL,
      creation_time timestamptz(3) NOT NULL,
      creator_id uuid,
      last_modification_time timestamptz(3) NOT NULL,
      last_modifier_id uuid,
      deletion_time timestamptz(3),
      deleter_id uuid
    );
    CREATE UNIQUE INDEX contacts_phone ON contacts (workspace_id, phone_number text_pattern_ops) WHERE deletion_time IS NULL;
    CREATE INDEX contacts_created ON contacts (workspace_id, creation_time, id) WHERE deletion_time IS NULL;
    CREATE INDEX contacts_modified ON contacts (workspace_id, last_modification_time, id) WHERE deletion_time IS NULL;
    CREATE INDEX contacts_name_order ON contacts (workspace_id, search_name, id) WHERE deletion_time IS NULL;
    CREATE INDEX contacts_name_search ON contacts USING gin (search_name gin_trgm_ops) WHERE deletion_time IS NULL;
    CREATE INDEX contacts_phone_search ON contacts USING gin (phone_number gin_trgm_ops) WHERE deletion_time IS NULL;
    CREATE INDEX contacts_email_search ON contacts USING gin (search_email gin_trgm_ops) WHERE deletion_time IS NULL AND search_email IS NOT NULL;

    CREATE TABLE contact_property_definitions (
      id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL REFERENCES workspaces (id),
      name text NOT NULL,
      key text NOT NULL,
      type smallint NOT NULL,
      is_required boolean NOT NULL,
      select_options jsonb NOT NULL,
      creation_time timestamptz(3) NOT NULL,
      creator_id uuid,
      last_modification_time timestamptz(3),
      last_modifier_id uuid
    );
    CREATE UNIQUE INDEX contact_property_definitions_key ON contact_property_definitions (workspace_id, key);
    CREATE INDEX contact_property_definitions_workspace ON contact_property_definitions (workspace_id, creation_time, id);

    CREATE TABLE contact_values (
      definition_id uuid NOT NULL REFERENCES contact_property_definitions (id) ON DELETE CASCADE,
      contact_id uuid NOT NULL REFERENCES contacts (id),
      text_value text,
      text_key text,
      number_value double precision,
      date_value timestamptz(3),
      bool_value boolean,
      list_value text[],
      PRIMARY KEY (definition_id, contact_id)
    );
    CREATE INDEX contact_values_contact ON contact_values (contact_id);
    CREATE INDEX contact_values_text ON contact_values (definition_id, text_key text_pattern_ops, contact_id) WHERE text_key IS NOT NULL;
    CREATE INDEX contact_values_text_search ON contact_values USING gin (text_key gin_trgm_ops) WHERE text_key IS NOT NULL;
    -- Which values each definition holds, together: without it the planner multiplies the two
    -- selectivities and misjudges a common option by 10-30x (bench/contacts/README.md).
    CREATE STATISTICS contact_values_definition_text (mcv) ON definition_id, text_key FROM contact_values;
    CREATE INDEX contact_values_number ON contact_values (definition_id, number_value, contact_id) WHERE number_value IS NOT NULL;
    CREATE INDEX contact_values_date ON contact_values (definition_id, date_value, contact_id) WHERE date_value IS NOT NULL;
    CREATE INDEX contact_values_list ON contact_values USING gin (list_value) WHERE list_value IS NOT NULL;

    CREATE TABLE contact_notes (
      id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL,
      contact_id uuid NOT NULL REFERENCES contacts (id),
      text text NOT NULL,
      creator_name text,
      creation_time timestamptz(3) NOT NULL,
      creator_id uuid,
      last_modification_time timestamptz(3),
      last_modifier_id uuid
    );
    CREATE INDEX contact_notes_contact ON contact_notes (contact_id, creation_time, id);

    CREATE TABLE contact_history (
      id uuid PRIMARY KEY,
      workspace_id uuid NOT NULL,
      contact_id uuid NOT NULL,
      property_name text NOT NULL,
      old_value text,
      new_value text,
      source smallint NOT NULL,
      creation_time timestamptz(3) NOT NULL,
      creator_id uuid
    );
    CREATE INDEX contact_history_contact ON contact_history (contact_id, creation_time, id);
  `.execute(db);
}
