/** The API's shapes the inbox reads (see /openapi.json). */
export interface Me {
  userId: string;
  workspaceId: string;
  workspaceName: string;
  name: string | null;
  email: string | null;
  role: number;
  language: 'ar' | 'en' | null;
  digits: 'latn' | 'arab' | null;
}

export interface Tag {
  id: string;
  name: string;
}

export interface Conversation {
  id: string;
  lastActivityAt: string;
  contactId: string;
  contactName: string | null;
  phoneNumber: string | null;
  channelId: string | null;
  assigneeId: string | null;
  assignedAiAgentId: string | null;
  isAiAssignee: boolean;
  assigneeName: string | null;
  status: string;
  channel: { id: string; name: string | null; phoneNumber: string | null; type: string } | null;
  tags: Tag[];
  unreadCount: number;
  mentionsUnread?: number;
  lastEventBody?: string | null;
  lastInboundAt?: string | null;
  isLost?: boolean;
}

export interface TimelineEvent {
  eventId: string;
  conversationId: string;
  sourceType: number;
  direction: number;
  creationTime: string;
  status: string | null;
  failureReason: string | null;
  errorCode: number | null;
  isAi: boolean;
  attachment: string | null;
  ownerUserId: string | null;
  durationOrSize: string | null;
  body: string | null;
  handlerName: string | null;
  aiSummary: { summary: string | null; transcription: string | null } | null;
  internalThread: { id: string; isResolved: boolean; messageCount: number } | null;
  location: { latitude: number; longitude: number; name: string | null; address: string | null } | null;
  assignation: { assignedUserName: string | null; assignedAiAgentName: string | null; assignedByUserName: string | null } | null;
  messageType: string | null;
}

export interface WorkspaceUser {
  id: string;
  name: string | null;
  email: string | null;
  isAiAgent: boolean;
}

export interface Channel {
  id: string;
  name: string;
}

export type View = 'mine' | 'unassigned' | 'all' | 'mentions';
export type Status = 'open' | 'closed';
export type Counts = Record<View, { open: number; closed: number }> & { unread: number; capped: string[] };

export interface Filters {
  channelId: string;
  tagId: string;
  assigneeId: string;
  from: string;
  to: string;
  lost: boolean;
  unreadOnly: boolean;
}
