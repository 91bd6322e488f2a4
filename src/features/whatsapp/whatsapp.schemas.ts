import { Type } from 'typebox';
import { Nullable, Uuid } from '../../http/schemas.js';

/** The reply guard (features/inbox/README.md), on every send body. */
export const LastSeenEventId = Type.Optional(
  Type.String({
    format: 'uuid',
    description:
      'Wasl: the last timeline event the author saw. When another sender (a person, or another service account) has sent a WhatsApp message in the open conversation since, ' +
      '409 `Wasl:Conversation:ReplyConflict` (data: eventId, authorName, creationTime of the newest) and nothing is sent; an event not of this contact on this channel → 400.',
  }),
);

export const SendTextBody = Type.Object(
  {
    channelId: Uuid,
    text: Type.String({ minLength: 1, maxLength: 4096, pattern: '\\S', description: "WhatsApp's limit: 4,096 characters." }),
    toNumber: Type.String({ minLength: 1, maxLength: 40, description: 'With country code, with or without + (966501234567).' }),
    lastSeenEventId: LastSeenEventId,
  },
  { examples: [{ ChannelId: '3a197b6e-e0b9-ce63-4664-a4d3eddae5a0', Text: 'Hey from Hatif 👋', ToNumber: '966501234567' }] },
);

/** decisions.md "WhatsApp sends": the answer once the send is durably queued. */
export const SendResult = Type.Object(
  {
    contactId: Uuid,
    conversationId: Uuid,
    conversationEventId: Uuid,
    messageId: Nullable(Type.String({ description: 'Always null here: the wamid arrives in the WhatsApp Message Webhook once sent.' })),
    status: Type.Literal('accepted'),
    message: Type.String(),
  },
  {
    examples: [
      {
        contactId: '3a18a7e6-48bf-e5b8-4935-867e4b6c6c02',
        conversationId: '3a1a4cb7-e7c1-f045-127b-ad2297847528',
        conversationEventId: '3a1e1287-9c7e-84fc-6eac-c530a49732ea',
        messageId: null,
        status: 'accepted',
        message: 'Text message accepted for sending',
      },
    ],
  },
);

export const SandboxInboundBody = Type.Object(
  {
    from: Type.String({ minLength: 1, maxLength: 40, description: "The customer's number with country code (966501234567)." }),
    name: Type.Optional(Type.String({ maxLength: 200, description: 'Their WhatsApp profile name (names a new contact).' })),
    type: Type.Optional(
      Type.Union(
        [
          Type.Literal('text'),
          Type.Literal('image'),
          Type.Literal('video'),
          Type.Literal('audio'),
          Type.Literal('document'),
          Type.Literal('sticker'),
          Type.Literal('location'),
          Type.Literal('contacts'),
          Type.Literal('interactive'),
          Type.Literal('button'),
          Type.Literal('reaction'),
        ],
        { description: 'text by default. interactive: a tapped reply button or list row; button: a template\'s quick reply; reaction: an emoji on replyTo; contacts: a shared card.' },
      ),
    ),
    text: Type.Optional(Type.String({ maxLength: 4096, description: "The text, a caption, a location's name, the tapped reply's title, the reaction's emoji or the shared card." })),
    mediaUrl: Type.Optional(
      Type.String({
        format: 'uri',
        maxLength: 2000,
        description: "Fetched now like a file to send (public http(s) only, the type read from the bytes, Meta's size limits; a refusal is a 422 naming mediaUrl), then stored and served by Wasl.",
      }),
    ),
    mimeType: Type.Optional(Type.String({ maxLength: 100, description: 'Ignored when a file is fetched: the type is read from its bytes.' })),
    latitude: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    longitude: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
    replyTo: Type.Optional(Type.String({ maxLength: 200, description: 'The wamid of the message this answers.' })),
  },
  { examples: [{ from: '966501234567', name: 'أحمد', text: 'مرحبا، أين طلبي؟' }] },
);
