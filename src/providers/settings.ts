import { codes, WhatsAppProviderType } from '../lib/enums.js';
import { Type, type Static } from 'typebox';

/**
 * A channel's provider settings, defined here and nowhere else: what an operator may set for each
 * kind of provider (the admin API's body schemas), how it is stored, which fields are secrets
 * (kept apart, sealed in `channels.provider_secrets`, shown back only as `has…` flags) and which are
 * URLs Wasl will call (SSRF-checked when set and at every request). A new provider or field is a
 * change to this file, its adapter and `registry.ts`.
 */

const baseUrl = (description: string) => Type.String({ format: 'uri', pattern: '^https?://', maxLength: 2000, description });

export const WHATSAPP_PROVIDERS = ['cloud', 'sandbox'] as const;
export type WhatsAppProvider = (typeof WHATSAPP_PROVIDERS)[number];

/** Hatif's `providerType` / `businessAccountInfo.provider` for each (docs/decisions.md). */
export const WHATSAPP_PROVIDER_CODE: Record<WhatsAppProvider, number> = { cloud: codes(WhatsAppProviderType).CloudApi, sandbox: codes(WhatsAppProviderType).Sandbox };

/** Where the Cloud API adapter calls Meta unless the channel says otherwise. */
export const DEFAULT_GRAPH_URL = 'https://graph.facebook.com/v21.0';

export const WHATSAPP_SECRET_FIELDS = ['accessToken', 'appSecret', 'verifyToken'] as const;
export const WHATSAPP_URL_FIELDS = ['graphBaseUrl'] as const;

/** What the admin API takes as `whatsApp` (every field but `provider` optional; PATCH makes all optional). */
export const WhatsAppSettingsBody = Type.Object({
  provider: Type.Union([Type.Literal('cloud'), Type.Literal('sandbox')]),
  phoneNumberId: Type.Optional(Type.String({ maxLength: 64, description: "Meta's id of the business phone number." })),
  businessAccountId: Type.Optional(Type.String({ maxLength: 64, description: "Meta's id of the WhatsApp Business Account (WABA): where the template catalogue is synced from." })),
  accessToken: Type.Optional(Type.String({ maxLength: 1000, description: 'Secret: stored encrypted, never shown back.' })),
  appSecret: Type.Optional(Type.String({ maxLength: 200, description: 'Secret: checks X-Hub-Signature-256 of inbound webhooks.' })),
  verifyToken: Type.Optional(Type.String({ maxLength: 200, description: "Secret: answers Meta's webhook handshake." })),
  graphBaseUrl: Type.Optional(baseUrl(`Graph API base URL (default ${DEFAULT_GRAPH_URL}); refused when it resolves to a private address.`)),
});
export type WhatsAppSettingsInput = Static<typeof WhatsAppSettingsBody>;

export type WhatsAppSecretField = (typeof WHATSAPP_SECRET_FIELDS)[number];
export type WhatsAppSecrets = Partial<Record<WhatsAppSecretField, string>>;

/** The `channels.whatsapp` column: no secrets in it. */
export interface WhatsAppSettings {
  provider: WhatsAppProvider;
  /** Id of the business-account record shown in Get Channels' whatsAppInfo. */
  accountId: string;
  phoneNumberId?: string | null;
  /** Meta's WhatsApp Business Account id: the template catalogue lives there. */
  businessAccountId?: string | null;
  graphBaseUrl?: string | null;
}

export const VOICE_PROVIDERS = ['sandbox'] as const;
export type VoiceProvider = (typeof VOICE_PROVIDERS)[number];
export const VoiceSettingsBody = Type.Object({ provider: Type.Literal('sandbox') });

/** The `channels.voice` column. SIP and TwiML settings join here; their passwords and tokens go to ChannelSecrets. */
export interface VoiceSettings {
  provider: VoiceProvider;
}

/** What `channels.provider_secrets` seals, as one JSON object per channel. */
export interface ChannelSecrets {
  whatsApp?: WhatsAppSecrets;
}

/** Settings as the adapters get them: the stored ones with their secrets opened. */
export type WhatsAppChannelSettings = WhatsAppSettings & WhatsAppSecrets;

/** Splits what an operator sent into the settings and the secrets (absent fields stay absent). */
export function splitWhatsApp(input: Partial<WhatsAppSettingsInput>): { settings: Partial<Omit<WhatsAppSettings, 'accountId'>>; secrets: WhatsAppSecrets } {
  const settings: Record<string, unknown> = {};
  const secrets: WhatsAppSecrets = {};
  for (const [field, value] of Object.entries(input)) {
    if (value === undefined) continue;
    if ((WHATSAPP_SECRET_FIELDS as readonly string[]).includes(field)) secrets[field as WhatsAppSecretField] = value as string;
    else settings[field] = value;
  }
  return { settings, secrets };
}

/** The has… flags the admin API shows for the secrets a channel holds. */
export const whatsAppSecretFlags = (secrets: WhatsAppSecrets | undefined) => ({
  hasAccessToken: Boolean(secrets?.accessToken),
  hasAppSecret: Boolean(secrets?.appSecret),
  hasVerifyToken: Boolean(secrets?.verifyToken),
});

/** Which settings a provider cannot work without (→ 400 naming the field). */
export function missingWhatsAppSetting(settings: WhatsAppChannelSettings): (keyof WhatsAppChannelSettings) | null {
  if (settings.provider !== 'cloud') return null;
  if (!settings.phoneNumberId) return 'phoneNumberId';
  if (!settings.accessToken) return 'accessToken';
  return null;
}
