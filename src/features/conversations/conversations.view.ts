import { ChannelType, ContactType, ConversationStatus, Sentiment } from '../../lib/enums.js';
import type { ConversationView, TimelineRow } from './conversations.repo.js';

const nameOf = (table: Record<number, string>, value: number | null) => (value === null ? null : (table[value] ?? String(value)));

/** Fields both conversation shapes share. */
function common(c: ConversationView) {
  return {
    id: c.id,
    lastActivityAt: c.last_activity_at,
    contactId: c.contact_id,
    contactName: c.contact_name,
    phoneNumber: c.contact_phone,
    channelId: c.channel_id,
    assigneeId: c.assignee_id,
    assignedAiAgentId: c.ai_agent_id,
    isAiAssignee: c.ai_agent_id !== null,
    assigneeName: c.assignee_name,
    tags: c.tags,
    unreadCount: c.unread_count,
  };
}

const channelOf = (c: ConversationView) => ({ id: c.channel_id, name: c.channel_name, icon: c.channel_icon, phoneNumber: c.channel_phone });

/** Create / Get Conversation (spec §3.27, §3.29): enums as names. */
export const toConversation = (c: ConversationView) => ({
  ...common(c),
  sentiment: nameOf(Sentiment, c.sentiment),
  status: nameOf(ConversationStatus, c.status)!,
  contactType: nameOf(ContactType, c.contact_type)!,
  channel: { ...channelOf(c), type: nameOf(ChannelType, c.channel_type)! },
});

/** ConversationDto (spec §5.B): enums as integers, with the LastEvent* fields. */
export const toConversationItem = (c: ConversationView) => ({
  ...common(c),
  sentiment: c.sentiment,
  status: c.status,
  contactType: c.contact_type,
  channel: { ...channelOf(c), type: c.channel_type },
  lastEventSourceType: c.last_event_source_type,
  lastEventDirection: c.last_event_direction,
  lastEventStatus: c.last_event_status,
  lastEventPreviewBody: c.last_event_preview,
  lastEventOccurredAt: c.last_event_at,
  lastEventsCount: c.last_events_count,
  creationTime: c.creation_time,
  closedAt: c.closed_at,
  isLost: c.is_lost,
});

/** Seconds as a TimeSpan string, "HH:MM:SS". */
export function timeSpan(seconds: number | null): string | null {
  if (seconds === null) return null;
  const s = Math.max(0, Math.round(seconds));
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(Math.floor(s / 3600))}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** ConversationTimelineDto (spec §5.B). */
export const toTimelineEvent = (e: TimelineRow) => ({
  eventId: e.id,
  conversationId: e.conversation_id,
  contactId: e.contact_id,
  channelId: e.channel_id,
  sourceType: e.source_type,
  sourceId: e.source_id,
  direction: e.direction,
  creationTime: e.creation_time,
  status: e.status,
  errorCode: e.error_code,
  failureReason: e.failure_reason,
  isAi: e.is_ai,
  attachment: e.attachment,
  ownerUserId: e.owner_user_id,
  aiAgentId: e.ai_agent_id,
  durationOrSize: e.duration_seconds !== null ? timeSpan(e.duration_seconds) : e.size_bytes !== null ? String(e.size_bytes) : null,
  ringingDuration: timeSpan(e.ringing_seconds),
  body: e.body,
  handlerName: e.handler_name,
  aiSummary: e.ai_summary,
  replyTo: e.reply_to_event_id ? { repliedToEventId: e.reply_to_event_id, repliedToBody: e.reply_to_body } : null,
  internalThread: e.thread_id ? { id: e.thread_id, isResolved: e.thread_resolved, messageCount: e.thread_message_count } : null,
  location: e.location,
  assignation: e.assignation,
  messageType: e.message_type,
  mimeType: e.mime_type,
  messageId: e.external_id,
});
