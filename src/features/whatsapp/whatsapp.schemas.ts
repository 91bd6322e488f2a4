import { Type } from 'typebox';
import { Nullable, Uuid } from '../../http/schemas.js';

export const SendTextBody = Type.Object(
  {
    channelId: Uuid,
    text: Type.String({ minLength: 1, maxLength: 4096, pattern: '\\S', description: "WhatsApp's limit: 4,096 characters." }),
    toNumber: Type.String({ minLength: 1, maxLength: 40, description: 'With country code, with or without + (966501234567).' }),
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
