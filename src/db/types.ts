import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Row types of every table; rows are snake_case and mapped to API shapes by each repo. */
type Time = ColumnType<Date, Date, Date>;

export interface SettingsTable {
  key: string;
  value: unknown;
  updated_at: Time;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  private_jwk: Record<string, unknown>;
  public_jwk: Record<string, unknown>;
  creation_time: Time;
  retired_at: Date | null;
}

export interface WorkspacesTable {
  id: string;
  name: string;
  default_region: string;
  creation_time: Time;
}

export interface WorkspaceUsersTable {
  id: string;
  workspace_id: string;
  user_id: string;
  email: string | null;
  name: string | null;
  logo_url: string | null;
  role: number;
  is_ai_agent: boolean;
  phone_number: string | null;
  creation_time: Time;
}

export interface ServiceAccountsTable {
  id: string;
  workspace_id: string;
  name: string;
  client_id: string;
  secret_hash: string;
  scopes: string[];
  credential_version: Generated<number>;
  disabled_at: Date | null;
  creation_time: Time;
  last_modification_time: Time;
}

export interface WhatsAppConfig {
  provider: 'sandbox' | 'cloud';
  /** Id of the business-account record shown in Get Channels' whatsAppInfo. */
  accountId: string;
  phoneNumberId?: string | null;
  accessToken?: string | null;
  appSecret?: string | null;
  verifyToken?: string | null;
  graphBaseUrl?: string | null;
}

export interface VoiceConfig {
  provider: 'sandbox';
}

export interface SmartReconnect {
  enabled: boolean;
  windowMinutes: number;
  sipRingTimeoutSeconds: number;
  fallbackStrategy: number;
  mobileRingTimeoutSeconds: number;
}

export interface InboundAgent {
  enabled: boolean;
  agentId: string | null;
  sipRingTimeoutSeconds: number;
}

export interface ChannelsTable {
  id: string;
  workspace_id: string;
  name: string;
  type: number;
  icon: string;
  phone_number: string | null;
  phone_number_id: string | null;
  phone_number_status: number;
  region: string | null;
  whatsapp: WhatsAppConfig | null;
  voice: VoiceConfig | null;
  whatsapp_webhook_url: string | null;
  post_call_webhook_url: string | null;
  webhook_secret: string | null;
  smart_reconnect: SmartReconnect;
  inbound_agent: InboundAgent | null;
  evaluation_template_id: string | null;
  creator_id: string;
  creation_time: Time;
  last_modification_time: Time;
  last_modifier_id: string | null;
}

export interface TagsTable {
  id: string;
  workspace_id: string;
  name: string;
  icon: string | null;
  description: string | null;
  is_pinned: boolean;
  creation_time: Time;
  last_modification_time: Time;
}

export interface JobsTable {
  id: Generated<string>; // bigint: node-postgres returns it as a string
  name: string;
  payload: unknown;
  status: 'pending' | 'running' | 'done' | 'dead';
  run_at: Date;
  attempts: Generated<number>;
  max_attempts: number;
  key: string | null;
  idempotency_key: string | null;
  rate_key: string | null;
  rate_interval_ms: number | null;
  rate_slot: Date | null;
  locked_by: string | null;
  locked_until: Date | null;
  last_error: string | null;
  created_at: Date;
  finished_at: Date | null;
}

export interface JobRateSlotsTable {
  key: string;
  next_at: Date;
}

export interface Database {
  jobs: JobsTable;
  job_rate_slots: JobRateSlotsTable;
  settings: SettingsTable;
  signing_keys: SigningKeysTable;
  workspaces: WorkspacesTable;
  workspace_users: WorkspaceUsersTable;
  service_accounts: ServiceAccountsTable;
  channels: ChannelsTable;
  tags: TagsTable;
}

export type WorkspaceRow = Selectable<WorkspacesTable>;
export type WorkspaceUserRow = Selectable<WorkspaceUsersTable>;
export type ServiceAccountRow = Selectable<ServiceAccountsTable>;
export type ChannelRow = Selectable<ChannelsTable>;
export type NewChannel = Insertable<ChannelsTable>;
export type ChannelPatch = Updateable<ChannelsTable>;
export type TagRow = Selectable<TagsTable>;
export type JobRow = Selectable<JobsTable>;
