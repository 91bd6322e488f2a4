import { BusinessAccountStatus, codes } from '../../lib/enums.js';
import type { ChannelRow } from '../../db/types.js';
import { DEFAULT_GRAPH_URL, DEFAULT_TWIML_URL, WHATSAPP_PROVIDER_CODE, whatsAppSecretFlags, type ChannelSecrets, type VoiceSettings } from '../../providers/settings.js';

/** A channel row as Hatif clients see it: spec §3.2 ChannelItem. */
export function toChannelItem(row: ChannelRow) {
  const wa = row.whatsapp;
  return {
    id: row.id,
    creationTime: row.creation_time,
    creatorId: row.creator_id,
    lastModificationTime: row.last_modification_time,
    lastModifierId: row.last_modifier_id,
    workspaceId: row.workspace_id,
    name: row.name,
    type: row.type,
    icon: row.icon,
    phoneNumber: row.phone_number
      ? {
          id: row.phone_number_id ?? row.id,
          workspaceId: row.workspace_id,
          number: row.phone_number,
          phoneNumberStatus: row.phone_number_status,
          region: row.region,
          provider: row.voice?.provider ?? wa?.provider ?? null,
        }
      : null,
    smartReconnectConfiguration: row.smart_reconnect,
    inboundAgentConfiguration: row.inbound_agent,
    postCallWebhookUrl: row.post_call_webhook_url,
    evaluationTemplateId: row.evaluation_template_id,
    whatsAppInfo: wa
      ? {
          providerType: WHATSAPP_PROVIDER_CODE[wa.provider],
          sessionInfo: null,
          businessAccountInfo: {
            id: wa.accountId,
            phoneNumberId: wa.phoneNumberId ?? `sandbox-${row.id}`,
            displayPhoneNumber: row.phone_number ?? '',
            provider: WHATSAPP_PROVIDER_CODE[wa.provider],
            status: codes(BusinessAccountStatus).Connected,
            isActive: true,
            qualityRating: wa.provider === 'sandbox' ? 'GREEN' : null,
          },
        }
      : null,
  };
}

/** What operators see: the Hatif shape plus their settings, secrets as has… flags only. */
export function toAdminChannel(row: ChannelRow, secrets: ChannelSecrets) {
  const wa = row.whatsapp;
  return {
    ...toChannelItem(row),
    whatsAppWebhookUrl: row.whatsapp_webhook_url,
    hasWebhookSecret: row.webhook_secret !== null,
    whatsApp: wa
      ? {
          provider: wa.provider,
          phoneNumberId: wa.phoneNumberId ?? null,
          businessAccountId: wa.businessAccountId ?? null,
          graphBaseUrl: wa.provider === 'cloud' ? (wa.graphBaseUrl ?? DEFAULT_GRAPH_URL) : null,
          ...whatsAppSecretFlags(secrets.whatsApp),
        }
      : null,
    voice: row.voice && voiceView(row.voice, secrets),
  };
}

/** A channel's voice settings as the admin API shows them: defaults filled in, the password only as a flag. */
function voiceView(voice: VoiceSettings, secrets: ChannelSecrets) {
  if (voice.provider === 'twiml') {
    const t = voice.twiml;
    return { provider: voice.provider, twiml: { baseUrl: t.baseUrl ?? DEFAULT_TWIML_URL, accountSid: t.accountSid, fromNumber: t.fromNumber ?? null, hasAuthToken: Boolean(secrets.voice?.authToken) } };
  }
  if (voice.provider !== 'sip') return { provider: voice.provider };
  const sip = voice.sip;
  return {
    provider: voice.provider,
    sip: { host: sip.host, port: sip.port ?? 5060, transport: sip.transport ?? 'udp', username: sip.username ?? null, realm: sip.realm ?? null, fromNumber: sip.fromNumber ?? null, codecs: sip.codecs ?? ['PCMA', 'PCMU'], hasPassword: Boolean(secrets.voice?.password) },
  };
}
