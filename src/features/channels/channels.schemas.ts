import { Type } from 'typebox';
import { ChannelType } from '../../lib/enums.js';
import { DateTime, IntEnum, Nullable, Paged, PagingQuery, Uuid } from '../../http/schemas.js';
import { VoiceSettingsBody, WhatsAppSettingsBody } from '../../providers/settings.js';

/** Spec §3.2 ChannelItem, field for field (its list is additionalProperties: false). */
const PhoneNumber = Type.Object({
  id: Uuid,
  workspaceId: Uuid,
  number: Type.String({ examples: ['+966500000001'] }),
  phoneNumberStatus: Type.Integer({ description: '1 = Active, 2 = Inactive' }),
  region: Nullable(Type.String()),
  provider: Nullable(Type.String({ description: 'sandbox | cloud' })),
});

const SmartReconnectConfiguration = Type.Object({
  enabled: Type.Boolean(),
  windowMinutes: Type.Integer(),
  sipRingTimeoutSeconds: Type.Integer(),
  fallbackStrategy: Type.Integer({ description: '0 = None, 1 = Mobile, 2 = Voicemail' }),
  mobileRingTimeoutSeconds: Type.Integer(),
});

const InboundAgentConfiguration = Type.Object({
  enabled: Type.Boolean(),
  agentId: Nullable(Type.String({ format: 'uuid' })),
  sipRingTimeoutSeconds: Type.Integer(),
});

const WhatsAppInfo = Type.Object({
  providerType: Type.Integer({ description: '1 = Meta Cloud API, 2 = Wasl sandbox' }),
  sessionInfo: Nullable(
    Type.Object({
      id: Uuid,
      sessionName: Type.String(),
      status: Type.Integer(),
      lastConnectedAt: Nullable(Type.String({ format: 'date-time' })),
    }),
  ),
  businessAccountInfo: Nullable(
    Type.Object({
      id: Uuid,
      phoneNumberId: Type.String(),
      displayPhoneNumber: Type.String(),
      provider: Type.Integer({ description: '1 = Meta Cloud API, 2 = Wasl sandbox' }),
      status: Type.Integer({ description: '1 = Connected, 2 = Disconnected' }),
      isActive: Type.Boolean(),
      qualityRating: Nullable(Type.String()),
    }),
  ),
});

const channelItemFields = {
  id: Uuid,
  creationTime: DateTime,
  creatorId: Uuid,
  lastModificationTime: DateTime,
  lastModifierId: Nullable(Type.String({ format: 'uuid' })),
  workspaceId: Uuid,
  name: Type.String(),
  type: Type.Integer({ description: '1 = PhoneNumber, 2 = WhatsApp, 3 = PhoneNumberAndWhatsapp' }),
  icon: Type.String(),
  phoneNumber: Nullable(PhoneNumber),
  smartReconnectConfiguration: SmartReconnectConfiguration,
  inboundAgentConfiguration: Nullable(InboundAgentConfiguration),
  postCallWebhookUrl: Nullable(Type.String()),
  evaluationTemplateId: Nullable(Type.String()),
  whatsAppInfo: Nullable(WhatsAppInfo),
};

export const ChannelItem = Type.Object(channelItemFields, {
  $id: 'ChannelItem',
  examples: [
    {
      id: '3a197b6e-e0b9-ce63-4664-a4d3eddae5a0',
      creationTime: '2026-02-19T01:52:46.000Z',
      creatorId: '00000000-0000-0000-0000-000000000000',
      lastModificationTime: '2026-02-19T01:52:46.000Z',
      lastModifierId: null,
      workspaceId: 'ef0efa32-1c3b-4a3e-9f3e-6a2b7c9d0e11',
      name: 'Main Channel',
      type: 3,
      icon: '',
      phoneNumber: {
        id: '3a197b6e-e0b9-ce63-4664-a4d3eddae5a1',
        workspaceId: 'ef0efa32-1c3b-4a3e-9f3e-6a2b7c9d0e11',
        number: '+966500000001',
        phoneNumberStatus: 1,
        region: 'SA',
        provider: 'cloud',
      },
      smartReconnectConfiguration: { enabled: false, windowMinutes: 60, sipRingTimeoutSeconds: 30, fallbackStrategy: 0, mobileRingTimeoutSeconds: 30 },
      inboundAgentConfiguration: null,
      postCallWebhookUrl: 'https://crm.example.com/hooks/calls',
      evaluationTemplateId: null,
      whatsAppInfo: {
        providerType: 1,
        sessionInfo: null,
        businessAccountInfo: {
          id: '3a197b6e-e0b9-ce63-4664-a4d3eddae5a2',
          phoneNumberId: '109876543210',
          displayPhoneNumber: '+966500000001',
          provider: 1,
          status: 1,
          isActive: true,
          qualityRating: null,
        },
      },
    },
  ],
});

export const ChannelListResponse = Paged(ChannelItem);

export const CHANNEL_SORT_FIELDS = { Name: 'name', CreationTime: 'creation_time', Type: 'type' } as const;

export const ListChannelsQuery = Type.Object({
  ...PagingQuery(20, Object.keys(CHANNEL_SORT_FIELDS)),
  type: Type.Optional(IntEnum(ChannelType, { description: 'Only channels of this type.' })),
});

/** What operators see: the Hatif shape plus the settings only they manage (secrets as flags). */
export const AdminChannel = Type.Object(
  {
    ...channelItemFields,
    whatsAppWebhookUrl: Nullable(Type.String()),
    hasWebhookSecret: Type.Boolean(),
    whatsApp: Nullable(
      Type.Object({
        provider: Type.String(),
        phoneNumberId: Nullable(Type.String()),
        businessAccountId: Nullable(Type.String()),
        graphBaseUrl: Nullable(Type.String()),
        hasAccessToken: Type.Boolean(),
        hasAppSecret: Type.Boolean(),
        hasVerifyToken: Type.Boolean(),
      }),
    ),
    voice: Nullable(
      Type.Object({
        provider: Type.String(),
        sip: Type.Optional(
          Type.Object({
            host: Type.String(),
            port: Type.Integer(),
            transport: Type.String(),
            username: Nullable(Type.String()),
            realm: Nullable(Type.String()),
            fromNumber: Nullable(Type.String()),
            codecs: Type.Array(Type.String()),
            hasPassword: Type.Boolean(),
          }),
        ),
        twiml: Type.Optional(Type.Object({ baseUrl: Type.String(), accountSid: Type.String(), fromNumber: Nullable(Type.String()), hasAuthToken: Type.Boolean() })),
      }),
    ),
  },
  { $id: 'AdminChannel' },
);

const Url = Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000 });

const channelSettings = {
  name: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S', examples: ['Main line'] }),
  icon: Type.String({ maxLength: 64 }),
  phoneNumber: Type.String({ minLength: 1, maxLength: 32, description: 'E.164; generated for sandbox channels when omitted.' }),
  whatsApp: WhatsAppSettingsBody,
  voice: VoiceSettingsBody,
  whatsAppWebhookUrl: Nullable(Url),
  postCallWebhookUrl: Nullable(Url),
  webhookSecret: Nullable(Type.String({ minLength: 16, maxLength: 200, description: 'HMAC key for X-Voxa-Signature; stored encrypted, never shown back.' })),
};

export const CreateChannelBody = Type.Object({
  name: channelSettings.name,
  type: IntEnum(ChannelType),
  icon: Type.Optional(channelSettings.icon),
  phoneNumber: Type.Optional(channelSettings.phoneNumber),
  whatsApp: Type.Optional(channelSettings.whatsApp),
  voice: Type.Optional(channelSettings.voice),
  whatsAppWebhookUrl: Type.Optional(channelSettings.whatsAppWebhookUrl),
  postCallWebhookUrl: Type.Optional(channelSettings.postCallWebhookUrl),
  webhookSecret: Type.Optional(channelSettings.webhookSecret),
});

/** Every field optional; `whatsApp` settings amend the stored ones (its provider too may be left out). */
export const UpdateChannelBody = Type.Partial(
  Type.Object({ ...CreateChannelBody.properties, whatsApp: Type.Partial(channelSettings.whatsApp) }),
);
