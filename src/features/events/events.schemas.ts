import { Type } from 'typebox';
import { Uuid } from '../../http/schemas.js';
import { STREAM_EVENT_TYPES } from './events.service.js';

export const EventsQuery = Type.Object({
  types: Type.Optional(
    Type.String({
      maxLength: 2000,
      description: `Only these events, comma-separated (names match case-insensitively; an unknown one → 400): ${STREAM_EVENT_TYPES.join(', ')}.`,
      examples: ['WhatsAppMessage,ConversationStatusChanged'],
    }),
  ),
  conversationId: Type.Optional({ ...Uuid, description: "Only this conversation's events (another workspace's → 404)." }),
});

export const EventsHeaders = Type.Object({
  'last-event-id': Type.Optional(
    Type.String({
      description:
        'The `id:` of the last frame received (browsers send it when they reconnect): the events after it are replayed first, from any node. ' +
        'Not a number, or later than any event → 400; no longer kept (older than `EVENTS_RETENTION_HOURS`) → an `event: reset` frame, then live events.',
      examples: ['1024'],
    }),
  ),
});

export const EventStream = Type.String({
  description:
    'Server-Sent Events, one frame per event: `id:` (the stream position, increasing), `event:` (the type), `data:` (JSON: the same body its webhook has). ' +
    'At open `retry:` (ms) and, without Last-Event-ID, an `id:` alone (where to resume from); a `: keep-alive` comment after 15 s without a frame.',
  examples: ['retry: 2500\nid: 1023\n\nid: 1024\nevent: WhatsAppMessage\ndata: {"workspaceId":"…","conversationId":"…","status":"Delivered",…}\n\n'],
});
