import { Type } from 'typebox';
import { DateTime, IntEnum, Nullable, PagingQuery, Uuid } from '../../http/schemas.js';
import { CallStatus, CallType, IvrAudioType, IvrResult, IvrStatus, TtsVoice } from '../../lib/enums.js';

const WavUrl = (description: string) =>
  Nullable(Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000, description: `${description} A WAV file (any rate; played at 8 kHz mono), fetched when the call starts, public http(s) only — a URL from \`POST /v1/support/upload-audio\` fits.` }));

/** One valid key: `{Digit, Description}` as Hatif's example, or `{digit, label}` as its schema (any casing). */
const Option = Type.Object({
  digit: Type.String({ pattern: '^[0-9*#]$', description: 'One key: 0-9, * or #.' }),
  description: Type.Optional(Type.String({ maxLength: 200 })),
  label: Type.Optional(Type.String({ maxLength: 200, description: 'The same as description (Hatif\'s schema names it label).' })),
  webhookUrl: Type.Optional(Nullable(Type.String({ format: 'uri', maxLength: 2000, description: "In Hatif's schema; accepted and not used (the request's webhookUrl gets the result)." }))),
});

/** Spec §3.23 CreateOutboundIvrRequestDto, any casing. */
export const CreateOutboundIvrBody = Type.Object(
  {
    channelId: Uuid,
    externalId: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 200, description: 'Makes the request idempotent in the workspace: the same externalId answers the first record and calls no one again.' }))),
    destinationNumber: Type.String({ minLength: 1, maxLength: 40, description: 'With country code, with or without + (9665xxxxxxxx).' }),
    audioFileUrl: Type.Optional(WavUrl('The main prompt; give it or ttsText, not both.')),
    ttsText: Type.Optional(Nullable(Type.String({ minLength: 1, maxLength: 2000, pattern: '\\S', description: 'The main prompt spoken by the built-in TTS (Arabic or English; vowelled Arabic sounds better); give it or audioFileUrl, not both.' }))),
    ttsVoice: Type.Optional(Nullable(IntEnum(TtsVoice, { description: 'Default Female.' }))),
    welcomeMessageFileUrl: Type.Optional(WavUrl('Played once, before the main prompt.')),
    successMessageFileUrl: Type.Optional(WavUrl('Played after a valid key.')),
    failedMessageFileUrl: Type.Optional(WavUrl('Played after an invalid key.')),
    options: Type.Array(Option, { minItems: 1, maxItems: 12, description: 'The valid keys; at least one.' }),
    webhookUrl: Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000, description: 'Gets the completion webhook (§4.3), signed with the channel\'s webhook secret.' }),
    maxAudioRetries: Type.Optional(Nullable(Type.Integer({ minimum: 0, maximum: 5, default: 2, description: 'Plays of the main prompt after the first, on no key or an invalid one.' }))),
    inputTimeoutMs: Type.Optional(Nullable(Type.Integer({ minimum: 1000, maximum: 30000, default: 6000, description: 'How long to wait for a key after the main prompt.' }))),
    digitTimeoutMs: Type.Optional(Nullable(Type.Integer({ minimum: 1000, maximum: 10000, default: 3000, description: 'Kept on the record; each option is one key, so the first key decides.' }))),
  },
  {
    examples: [
      {
        channelId: '3a197b6e-e0b9-ce63-4664-a4d3eddae5a0',
        externalId: 'myUniqueId',
        destinationNumber: '966500001001',
        ttsText: 'Dear Customer, to confirm your appointment please press 1, to cancel please press 3.',
        ttsVoice: 1,
        options: [
          { digit: '1', description: 'Confirm' },
          { digit: '3', description: 'Cancel' },
        ],
        webhookUrl: 'https://example.com/ivr',
        maxAudioRetries: 2,
        inputTimeoutMs: 6000,
        digitTimeoutMs: 3000,
      },
    ],
  },
);

/** The record of spec §3.23's answer (integer enums), with Wasl's `welcome…/success…/failed…` URLs. */
export const OutboundIvr = Type.Object({
  id: Uuid,
  workspaceId: Uuid,
  channelId: Uuid,
  externalId: Nullable(Type.String()),
  destinationNumber: Type.String(),
  audioFileUrl: Nullable(Type.String()),
  ttsText: Nullable(Type.String()),
  ttsVoice: IntEnum(TtsVoice),
  audioType: IntEnum(IvrAudioType),
  welcomeMessageFileUrl: Nullable(Type.String()),
  successMessageFileUrl: Nullable(Type.String()),
  failedMessageFileUrl: Nullable(Type.String()),
  options: Type.Array(Type.Object({ digit: Type.String(), description: Type.String() })),
  webhookUrl: Type.String(),
  maxAudioRetries: Type.Integer(),
  inputTimeoutMs: Type.Integer(),
  digitTimeoutMs: Type.Integer(),
  status: IntEnum(IvrStatus),
  result: IntEnum(IvrResult),
  pressedDigit: Nullable(Type.String()),
  initiatedAt: Nullable(DateTime),
  ringingAt: Nullable(DateTime),
  answeredAt: Nullable(DateTime),
  completedAt: Nullable(DateTime),
  callId: Nullable(Uuid),
  errorMessage: Nullable(Type.String()),
  hangupCause: Nullable(Type.String()),
  creationTime: DateTime,
});

export const CALL_SORT_FIELDS = ['creationTime', 'pickupTime', 'hangupTime'] as const;
export const CallListQuery = Type.Object(PagingQuery(10, CALL_SORT_FIELDS));

/** An item of `GET /v1/call/list` (spec §6: the shape a Hatif client reads). */
export const CallItem = Type.Object({
  id: Uuid,
  channelId: Uuid,
  userId: Nullable(Uuid),
  userName: Nullable(Type.String()),
  phoneNumberId: Nullable(Type.String({ description: "The channel's phone-number id (Get Channels' phoneNumber.id)." })),
  contactId: Nullable(Uuid),
  contactNumber: Nullable(Type.String()),
  contactNumberFormatted: Nullable(Type.String()),
  callType: IntEnum(CallType),
  status: IntEnum(CallStatus),
  creationTime: DateTime,
  pickupTime: Nullable(DateTime),
  hangupTime: Nullable(DateTime),
  ringingDuration: Nullable(Type.String({ description: 'HH:MM:SS' })),
  callLength: Nullable(Type.String({ description: 'HH:MM:SS' })),
  hangupCause: Nullable(Type.String()),
  recordingUrl: Nullable(Type.String()),
  aiSummary: Nullable(Type.Object({})),
});

export const SandboxInboundCallBody = Type.Object(
  {
    from: Type.String({ minLength: 1, maxLength: 40, description: "The caller's number with country code." }),
    answered: Type.Optional(Type.Boolean({ default: true, description: 'false: a missed call.' })),
    durationSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400, default: 30, description: 'How long the answered call lasts (on the server clock).' })),
  },
  { examples: [{ from: '966501234567', answered: true, durationSeconds: 42 }] },
);
