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

export const VOICE_PROVIDERS = ['sandbox', 'sip', 'twiml'] as const;
export type VoiceProvider = (typeof VOICE_PROVIDERS)[number];
export const VOICE_SECRET_FIELDS = ['password', 'authToken'] as const;
/** Where the TwiML adapter calls unless the channel says otherwise (Twilio; SignalWire and others set their own). */
export const DEFAULT_TWIML_URL = 'https://api.twilio.com';
/** URL fields of `voice.twiml` Wasl calls: SSRF-checked when set and at every request. */
export const TWIML_URL_FIELDS = ['baseUrl'] as const;

/** A SIP trunk (operator.md "Voice provider settings"): calls go out as INVITEs to host:port. */
export const SipSettingsBody = Type.Object({
  host: Type.String({ minLength: 1, maxLength: 253, description: 'The trunk, PBX or SIP endpoint calls are sent to (a host name or an IP address).' }),
  port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535, description: 'Default 5060.' })),
  transport: Type.Optional(Type.Union([Type.Literal('udp'), Type.Literal('tcp')], { description: 'Default udp.' })),
  username: Type.Optional(Type.String({ maxLength: 200, description: 'For digest authentication (401/407 challenges).' })),
  password: Type.Optional(Type.String({ maxLength: 200, description: 'Secret: stored encrypted, never shown back.' })),
  realm: Type.Optional(Type.String({ maxLength: 200, description: 'Only answer challenges of this realm (any when absent).' })),
  fromNumber: Type.Optional(Type.String({ maxLength: 32, description: "The caller number presented (default: the channel's phone number)." })),
  codecs: Type.Optional(Type.Array(Type.Union([Type.Literal('PCMA'), Type.Literal('PCMU')]), { minItems: 1, maxItems: 2, uniqueItems: true, description: 'Offered in this order (default PCMA, PCMU).' })),
});
export type SipSettings = Omit<Static<typeof SipSettingsBody>, 'password'>;

/** Twilio's REST API or any TwiML-compatible provider (operator.md): callbacks at /webhooks/voice/{channelId}/… */
export const TwimlSettingsBody = Type.Object({
  baseUrl: Type.Optional(baseUrl(`REST API base URL (default ${DEFAULT_TWIML_URL}); refused when it resolves to a private address.`)),
  accountSid: Type.String({ minLength: 1, maxLength: 64, description: 'The account (AC…) calls are made on.' }),
  authToken: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Secret: Basic auth of API requests and the key of X-Twilio-Signature; stored encrypted, never shown back.' })),
  fromNumber: Type.Optional(Type.String({ maxLength: 32, description: "The caller number presented (default: the channel's phone number)." })),
});
export type TwimlSettings = Omit<Static<typeof TwimlSettingsBody>, 'authToken'>;

export const VoiceSettingsBody = Type.Object({
  provider: Type.Union([Type.Literal('sandbox'), Type.Literal('sip'), Type.Literal('twiml')], { description: 'sandbox: simulated calls (README "Sandbox calls"); sip: a SIP trunk (needs `sip`); twiml: Twilio or a TwiML-compatible provider (needs `twiml`).' }),
  sip: Type.Optional(SipSettingsBody),
  twiml: Type.Optional(TwimlSettingsBody),
});
export type VoiceSettingsInput = Static<typeof VoiceSettingsBody>;

/** The `channels.voice` column: no secrets in it (a SIP password goes to ChannelSecrets). */
export type VoiceSettings = { provider: 'sandbox' } | { provider: 'sip'; sip: SipSettings } | { provider: 'twiml'; twiml: TwimlSettings };
export type VoiceSecrets = Partial<Record<(typeof VOICE_SECRET_FIELDS)[number], string>>;
/** Settings as the voice adapters get them: the stored ones with their secrets opened. */
export type VoiceChannelSettings = { provider: 'sandbox' } | { provider: 'sip'; sip: SipSettings & VoiceSecrets } | { provider: 'twiml'; twiml: TwimlSettings & VoiceSecrets };

/** Splits what an operator sent for voice into the settings and the secrets. */
export function splitVoice(input: VoiceSettingsInput): { settings: VoiceSettings; secrets: VoiceSecrets } {
  if (input.provider === 'twiml' && input.twiml) {
    const { authToken, ...twiml } = input.twiml;
    return { settings: { provider: 'twiml', twiml }, secrets: authToken === undefined ? {} : { authToken } };
  }
  if (input.provider !== 'sip' || !input.sip) return { settings: { provider: 'sandbox' }, secrets: {} };
  const { password, ...sip } = input.sip;
  return { settings: { provider: 'sip', sip }, secrets: password === undefined ? {} : { password } };
}

/** What `channels.provider_secrets` seals, as one JSON object per channel. */
export interface ChannelSecrets {
  whatsApp?: WhatsAppSecrets;
  voice?: VoiceSecrets;
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
