import { Type } from 'typebox';
import { DateTime, Nullable, Uuid } from '../../http/schemas.js';
import { defineWebhook } from '../../http/webhook-docs.js';

const text = (values: string) => Type.String({ description: values });

/** Spec §4.2, plus `conversationEventId` (decisions.md). */
export const WhatsAppMessagePayload = Type.Object({
  workspaceId: Uuid,
  channelId: Uuid,
  conversationId: Uuid,
  contactId: Uuid,
  messageId: Nullable(Type.String({ description: "Meta's wamid; null until the provider has accepted the message." })),
  direction: text('Inbound, Outbound'),
  messageType: text('Text, Image, Video, Audio, Document, Location, Contact, Sticker, Template, Interactive'),
  body: Nullable(Type.String()),
  mediaUrl: Nullable(Type.String()),
  mimeType: Nullable(Type.String()),
  status: text('Pending, Sent, Delivered, Read, Failed'),
  senderUserId: Nullable(Type.String({ format: 'uuid' })),
  latitude: Nullable(Type.Number()),
  longitude: Nullable(Type.Number()),
  creationTime: DateTime,
  isBillable: Type.Boolean(),
  errorCode: Nullable(Type.Integer()),
  errorReason: Nullable(Type.String()),
  conversationEventId: Uuid,
});

export const WHATSAPP_WEBHOOKS = [
  defineWebhook({
    name: 'WhatsAppMessage',
    operationId: 'whatsAppMessageWebhook',
    summary: 'WhatsApp message sent, received or changed status',
    description:
      "Sent to the channel's `whatsAppWebhookUrl`, signed with the channel's secret (and to the workspace's `eventsWebhookUrl` as `{eventType, data}`): " +
      'for each outbound message when it is queued (Pending) and at each status change, with the same `conversationEventId` throughout.',
    payload: WhatsAppMessagePayload,
  }),
];
