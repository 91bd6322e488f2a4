import { Type } from 'typebox';
import { Uuid } from '../../http/schemas.js';
import { LastSeenEventId } from './whatsapp.schemas.js';

/** §6 "seen in the wild": `{channelId, toNumber, fileUrl, fileName, caption?}`, in any casing. */
export const SendFileBody = Type.Object(
  {
    channelId: Uuid,
    toNumber: Type.String({ minLength: 1, maxLength: 40, description: 'With country code, with or without + (966501234567).' }),
    fileUrl: Type.String({
      format: 'uri',
      minLength: 1,
      maxLength: 2000,
      description: 'An http(s) URL Wasl fetches now (public addresses only, no redirects followed); the type is read from the bytes.',
    }),
    fileName: Type.Optional(
      Type.String({ maxLength: 240, description: "The name the customer sees on a document (display only). Hatif's clients send it; when absent, the URL's last segment." }),
    ),
    caption: Type.Optional(Type.String({ maxLength: 1024, description: "Meta's limit: 1,024 characters. Not sent with audio or stickers (WhatsApp shows none)." })),
    lastSeenEventId: LastSeenEventId,
  },
  { examples: [{ channelId: '3a197b6e-e0b9-ce63-4664-a4d3eddae5a0', toNumber: '966501234567', fileUrl: 'https://cdn.example.com/invoices/INV-2026-001.pdf', fileName: 'Invoice-001.pdf', caption: 'Your invoice' }] },
);
