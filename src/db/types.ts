import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';
import type { Sealed } from '../lib/secret-box.js';
import type { VoiceSettings, WhatsAppSettings } from '../providers/settings.js';

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
  events_webhook_url: Generated<string | null>;
  /** Sealed (lib/secret-box.ts), as every secret column. */
  webhook_secret: Generated<Sealed | null>;
  previous_webhook_secret: Generated<Sealed | null>;
  webhook_secret_rotated_at: Generated<Date | null>;
}

export interface WorkspaceUsersTable {
  id: string;
  workspace_id: string;
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
  whatsapp: WhatsAppSettings | null;
  voice: VoiceSettings | null;
  /** The channel's provider credentials (providers/settings.ts ChannelSecrets), sealed as one JSON object. */
  provider_secrets: Sealed | null;
  whatsapp_webhook_url: string | null;
  post_call_webhook_url: string | null;
  webhook_secret: Sealed | null;
  smart_reconnect: SmartReconnect;
  inbound_agent: InboundAgent | null;
  evaluation_template_id: string | null;
  creator_id: string;
  creation_time: Time;
  last_modification_time: Time;
  last_modifier_id: string | null;
  previous_webhook_secret: Generated<Sealed | null>;
  webhook_secret_rotated_at: Generated<Date | null>;
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

export interface WebhookTargetsTable {
  id: string;
  workspace_id: string;
  url: string;
  failing_since: Date | null;
  last_success_at: Date | null;
  last_failure_at: Date | null;
  disabled_at: Date | null;
  disabled_reason: string | null;
  creation_time: Date;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'skipped';

export interface WebhookDeliveriesTable {
  id: string;
  workspace_id: string;
  channel_id: string | null;
  target_id: string;
  url: string;
  event_type: string;
  body: string;
  signer: 'channel' | 'workspace';
  status: DeliveryStatus;
  attempts: Generated<number>;
  /** Pending: when it is due; while a worker holds it (locked_by), the end of that lease. */
  next_attempt_at: Date | null;
  locked_by: Generated<string | null>;
  last_status_code: number | null;
  last_error: string | null;
  creation_time: Date;
  delivered_at: Date | null;
}

export interface WebhookAttemptsTable {
  id: Generated<string>;
  delivery_id: string;
  attempted_at: Date;
  status_code: number | null;
  latency_ms: number;
  error: string | null;
  response_excerpt: string | null;
}

export interface ContactsTable {
  id: string;
  workspace_id: string;
  name: string;
  search_name: string;
  phone_number: string;
  email: string | null;
  company: string | null;
  position: string | null;
  search_email: string | null;
  search_company: string | null;
  search_position: string | null;
  contact_type: number;
  custom_fields: Record<string, string>;
  creation_time: Time;
  creator_id: string | null;
  last_modification_time: Time;
  last_modifier_id: string | null;
  deletion_time: Date | null;
  deleter_id: string | null;
}

export interface ContactPropertyDefinitionsTable {
  id: string;
  workspace_id: string;
  name: string;
  key: string;
  type: number;
  is_required: boolean;
  select_options: { value: string; color: string | null }[];
  creation_time: Time;
  creator_id: string | null;
  last_modification_time: Date | null;
  last_modifier_id: string | null;
}

/** One set value, in the column of its definition's type (the others null). */
export interface ContactValuesTable {
  definition_id: string;
  contact_id: string;
  text_value: string | null;
  /** text_value folded (lib/fold.ts): what filters compare. */
  text_key: string | null;
  number_value: number | null;
  date_value: Date | null;
  bool_value: boolean | null;
  list_value: string[] | null;
}

export interface ContactNotesTable {
  id: string;
  workspace_id: string;
  contact_id: string;
  text: string;
  creator_name: string | null;
  creation_time: Time;
  creator_id: string | null;
  last_modification_time: Date | null;
  last_modifier_id: string | null;
}

export interface ContactHistoryTable {
  id: string;
  workspace_id: string;
  contact_id: string;
  property_name: string;
  old_value: string | null;
  new_value: string | null;
  source: number;
  creation_time: Time;
  creator_id: string | null;
}

export interface ConversationsTable {
  id: string;
  workspace_id: string;
  channel_id: string;
  contact_id: string;
  status: number;
  sentiment: number | null;
  assignee_id: string | null;
  ai_agent_id: string | null;
  /** The person or the AI agent it is assigned to (generated: coalesce of the two). */
  assignee_key: Generated<string | null>;
  last_activity_at: Time;
  last_event_id: string | null;
  last_event_source_type: number | null;
  last_event_direction: number | null;
  last_event_status: string | null;
  last_event_preview: string | null;
  last_event_at: Date | null;
  last_events_count: Generated<number>;
  events_count: Generated<number>;
  unread_count: Generated<number>;
  is_lost: Generated<boolean>;
  /** The customer's last inbound message or call: WhatsApp's 24-hour window starts here. */
  last_inbound_at: Date | null;
  creation_time: Time;
  creator_id: string | null;
  closed_at: Date | null;
}

export interface ConversationTagsTable {
  conversation_id: string;
  tag_id: string;
  creation_time: Time;
}

export interface AiSummary {
  summary: string | null;
  transcription: string | null;
}
export interface EventLocation {
  latitude: number;
  longitude: number;
  name: string | null;
  address: string | null;
}
export interface Assignation {
  assignedUserId: string | null;
  assignedUserName: string | null;
  assignedAiAgentId: string | null;
  assignedAiAgentName: string | null;
  assignedByUserId: string | null;
  assignedByUserName: string | null;
}

/** One timeline event of any kind (features/conversations/README.md lists which fields each kind sets). */
export interface ConversationEventsTable {
  id: string;
  workspace_id: string;
  conversation_id: string;
  contact_id: string;
  channel_id: string;
  source_type: number;
  source_id: string | null;
  direction: number;
  creation_time: Time;
  status: string | null;
  error_code: number | null;
  failure_reason: string | null;
  is_ai: Generated<boolean>;
  attachment: string | null;
  owner_user_id: string | null;
  ai_agent_id: string | null;
  duration_seconds: number | null;
  size_bytes: number | null;
  ringing_seconds: number | null;
  body: string | null;
  handler_name: string | null;
  message_type: string | null;
  mime_type: string | null;
  /** The provider's id (a WhatsApp wamid, a telephony call id), unique per channel. */
  external_id: string | null;
  ai_summary: AiSummary | null;
  reply_to_event_id: string | null;
  location: EventLocation | null;
  assignation: Assignation | null;
  /** What a producer keeps beside the event (e.g. a template's parameters); never shown as is. */
  data: Record<string, unknown> | null;
  thread_id: string | null;
  thread_resolved: Generated<boolean>;
  thread_message_count: Generated<number>;
  last_modification_time: Date | null;
}

export interface ConversationThreadMessagesTable {
  id: string;
  workspace_id: string;
  event_id: string;
  author_user_id: string | null;
  author_name: string | null;
  body: string;
  mentions: string[];
  creation_time: Time;
}

export interface ConversationMentionsTable {
  id: string;
  workspace_id: string;
  user_id: string;
  conversation_id: string;
  event_id: string;
  thread_message_id: string | null;
  creation_time: Time;
  read_at: Date | null;
}

export interface IdempotencyKeysTable {
  workspace_id: string;
  key: string;
  /** sha256 of the route and the request body as the route read it. */
  fingerprint: string;
  /** 1 = in progress, 2 = done (the answer kept). */
  state: number;
  response: unknown;
  created_at: Time;
  /** An in-progress key past this time was abandoned (its node died) and may be taken over. */
  locked_until: Date;
}

export interface WhatsAppWebhookEventsTable {
  id: string;
  channel_id: string;
  received_at: Time;
  /** The body exactly as received (UTF-8 text of the signed bytes). */
  body: string;
  messages: number;
  statuses: number;
}

export interface Database {
  whatsapp_webhook_events: WhatsAppWebhookEventsTable;
  idempotency_keys: IdempotencyKeysTable;
  conversations: ConversationsTable;
  conversation_tags: ConversationTagsTable;
  conversation_events: ConversationEventsTable;
  conversation_thread_messages: ConversationThreadMessagesTable;
  conversation_mentions: ConversationMentionsTable;
  contacts: ContactsTable;
  contact_property_definitions: ContactPropertyDefinitionsTable;
  contact_values: ContactValuesTable;
  contact_notes: ContactNotesTable;
  contact_history: ContactHistoryTable;
  webhook_targets: WebhookTargetsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  webhook_attempts: WebhookAttemptsTable;
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
export type WebhookTargetRow = Selectable<WebhookTargetsTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type WebhookAttemptRow = Selectable<WebhookAttemptsTable>;
export type ContactRow = Selectable<ContactsTable>;
export type PropertyDefinitionRow = Selectable<ContactPropertyDefinitionsTable>;
export type ContactValueRow = Selectable<ContactValuesTable>;
export type ContactNoteRow = Selectable<ContactNotesTable>;
export type ContactHistoryRow = Selectable<ContactHistoryTable>;
export type ConversationRow = Selectable<ConversationsTable>;
export type ConversationEventRow = Selectable<ConversationEventsTable>;
export type NewConversationEvent = Insertable<ConversationEventsTable>;
export type ThreadMessageRow = Selectable<ConversationThreadMessagesTable>;
