import { randomInt } from 'node:crypto';
import type { Static } from 'typebox';
import type { Db } from '../../db/store.js';
import type { Clock } from '../../lib/clock.js';
import { secretChange } from '../../lib/webhook-secret.js';
import { NIL_ID, newId } from '../../lib/ids.js';
import { regionOf, toE164 } from '../../lib/phone.js';
import { errors } from '../../http/errors.js';
import { parseSorting } from '../../http/paging.js';
import type { ChannelPatch, ChannelRow, SmartReconnect, VoiceConfig, WhatsAppConfig } from '../../db/types.js';
import type { ChannelsRepo } from './channels.repo.js';
import { CHANNEL_SORT_FIELDS, type CreateChannelBody, type UpdateChannelBody } from './channels.schemas.js';

const DEFAULT_GRAPH_URL = 'https://graph.facebook.com/v21.0';
const SMART_RECONNECT_DEFAULT: SmartReconnect = {
  enabled: false,
  windowMinutes: 60,
  sipRingTimeoutSeconds: 30,
  fallbackStrategy: 0,
  mobileRingTimeoutSeconds: 30,
};
const PROVIDER_CODE = { cloud: 1, sandbox: 2 } as const;

const hasWhatsApp = (type: number) => type === 2 || type === 3;
const hasVoice = (type: number) => type === 1 || type === 3;

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
          providerType: PROVIDER_CODE[wa.provider],
          sessionInfo: null,
          businessAccountInfo: {
            id: wa.accountId,
            phoneNumberId: wa.phoneNumberId ?? `sandbox-${row.id}`,
            displayPhoneNumber: row.phone_number ?? '',
            provider: PROVIDER_CODE[wa.provider],
            status: 1,
            isActive: true,
            qualityRating: wa.provider === 'sandbox' ? 'GREEN' : null,
          },
        }
      : null,
  };
}

export function toAdminChannel(row: ChannelRow) {
  const wa = row.whatsapp;
  return {
    ...toChannelItem(row),
    whatsAppWebhookUrl: row.whatsapp_webhook_url,
    hasWebhookSecret: row.webhook_secret !== null,
    whatsApp: wa
      ? {
          provider: wa.provider,
          phoneNumberId: wa.phoneNumberId ?? null,
          graphBaseUrl: wa.provider === 'cloud' ? (wa.graphBaseUrl ?? DEFAULT_GRAPH_URL) : null,
          hasAccessToken: Boolean(wa.accessToken),
          hasAppSecret: Boolean(wa.appSecret),
          hasVerifyToken: Boolean(wa.verifyToken),
        }
      : null,
    voice: row.voice,
  };
}

type CreateInput = Static<typeof CreateChannelBody>;
type UpdateInput = Static<typeof UpdateChannelBody>;

/** A channel's providers, given its type: WhatsApp for 2/3, voice for 1/3, sandbox by default. */
function providersFor(type: number, whatsApp: UpdateInput['whatsApp'] | null | undefined, voice: VoiceConfig | null | undefined, existing?: WhatsAppConfig | null) {
  if (whatsApp && !hasWhatsApp(type)) throw errors.invalidField('whatsApp', 'WhatsApp settings need a channel of type 2 (WhatsApp) or 3 (PhoneNumberAndWhatsapp).');
  if (voice && !hasVoice(type)) throw errors.invalidField('voice', 'Voice settings need a channel of type 1 (PhoneNumber) or 3 (PhoneNumberAndWhatsapp).');
  let wa: WhatsAppConfig | null = null;
  if (hasWhatsApp(type)) {
    // Settings given for the same provider amend the stored ones; another provider starts afresh,
    // so one provider's credentials never linger on (or come back with) another.
    const kept = existing && (!whatsApp?.provider || whatsApp.provider === existing.provider) ? existing : {};
    const merged = { ...kept, ...(whatsApp ?? {}) };
    wa = { ...merged, provider: merged.provider ?? 'sandbox', accountId: existing?.accountId ?? newId() };
    if (wa.provider === 'cloud') {
      if (!wa.phoneNumberId) throw errors.invalidField('whatsApp.phoneNumberId', 'A Cloud API channel needs whatsApp.phoneNumberId.');
      if (!wa.accessToken) throw errors.invalidField('whatsApp.accessToken', 'A Cloud API channel needs whatsApp.accessToken.');
    }
  }
  return { whatsapp: wa, voice: hasVoice(type) ? (voice ?? { provider: 'sandbox' as const }) : null };
}

function parseNumber(input: string, region: string): string {
  const number = toE164(input, region);
  if (!number) throw errors.invalidField('phoneNumber', `phoneNumber "${input}" is not a valid phone number.`);
  return number;
}

/** A made-up Saudi mobile number for a sandbox line; it is never dialled. */
const sandboxNumber = () => `+9665555${String(randomInt(0, 100_000)).padStart(5, '0')}`;

export function createChannelsService(deps: {
  repo: ChannelsRepo;
  clock: Clock;
  assertWebhookUrl: (field: string, url: string | null | undefined) => Promise<void>;
  workspaceRegion: (workspaceId: string) => Promise<string | undefined>;
}) {
  const { repo, clock } = deps;

  return {
    async create(workspaceId: string, input: CreateInput) {
      const region = await deps.workspaceRegion(workspaceId);
      if (!region) throw errors.notFound('Workspace', workspaceId);
      const providers = providersFor(input.type, input.whatsApp, input.voice);
      await deps.assertWebhookUrl('whatsAppWebhookUrl', input.whatsAppWebhookUrl);
      await deps.assertWebhookUrl('postCallWebhookUrl', input.postCallWebhookUrl);
      const allSandbox = providers.whatsapp?.provider !== 'cloud';
      if (!input.phoneNumber && !allSandbox) throw errors.invalidField('phoneNumber', 'A channel with a real provider needs its phoneNumber.');
      const number = input.phoneNumber ? parseNumber(input.phoneNumber, region) : sandboxNumber();
      const now = clock.now();
      const row = await repo.insert({
        id: newId(),
        workspace_id: workspaceId,
        name: input.name.trim(),
        type: input.type,
        icon: input.icon ?? '',
        phone_number: number,
        phone_number_id: newId(),
        phone_number_status: 1,
        region: regionOf(number),
        ...providers,
        whatsapp_webhook_url: input.whatsAppWebhookUrl ?? null,
        post_call_webhook_url: input.postCallWebhookUrl ?? null,
        webhook_secret: input.webhookSecret ?? null,
        smart_reconnect: SMART_RECONNECT_DEFAULT,
        inbound_agent: null,
        evaluation_template_id: null,
        creator_id: NIL_ID,
        creation_time: now,
        last_modification_time: now,
        last_modifier_id: null,
      });
      return toAdminChannel(row);
    },

    async update(id: string, input: UpdateInput) {
      const current = await repo.findById(id);
      if (!current) throw errors.notFound('Channel', id);
      const type = input.type ?? current.type;
      const patch: ChannelPatch = { last_modification_time: clock.now(), last_modifier_id: NIL_ID };
      if (input.type !== undefined || input.whatsApp !== undefined || input.voice !== undefined) {
        Object.assign(patch, { type }, providersFor(type, input.whatsApp, input.voice ?? (hasVoice(type) ? current.voice : null), current.whatsapp));
      }
      if (input.name !== undefined) patch.name = input.name.trim();
      if (input.icon !== undefined) patch.icon = input.icon;
      if (input.phoneNumber !== undefined) {
        const region = (await deps.workspaceRegion(current.workspace_id)) ?? 'SA';
        patch.phone_number = parseNumber(input.phoneNumber, region);
        patch.region = regionOf(patch.phone_number);
      }
      await deps.assertWebhookUrl('whatsAppWebhookUrl', input.whatsAppWebhookUrl);
      await deps.assertWebhookUrl('postCallWebhookUrl', input.postCallWebhookUrl);
      if (input.whatsAppWebhookUrl !== undefined) patch.whatsapp_webhook_url = input.whatsAppWebhookUrl;
      if (input.postCallWebhookUrl !== undefined) patch.post_call_webhook_url = input.postCallWebhookUrl;
      if (input.webhookSecret !== undefined) Object.assign(patch, secretChange(current.webhook_secret, input.webhookSecret, patch.last_modification_time as Date));
      const row = await repo.update(id, patch);
      if (!row) throw errors.notFound('Channel', id);
      return toAdminChannel(row);
    },

    /** Where a channel's webhooks go and what signs them; `trx` when called while emitting. */
    async webhookHooks(id: string, trx?: Db) {
      const row = await repo.findById(id, trx);
      return (
        row && {
          workspaceId: row.workspace_id,
          whatsAppWebhookUrl: row.whatsapp_webhook_url,
          postCallWebhookUrl: row.post_call_webhook_url,
          secrets: row,
        }
      );
    },

    async list(workspaceId: string, query: { SkipCount: number; MaxResultCount: number; Sorting?: string; type?: number }) {
      const sort = parseSorting(query.Sorting, CHANNEL_SORT_FIELDS, 'CreationTime ASC');
      const page = await repo.list(workspaceId, { skip: query.SkipCount, take: query.MaxResultCount, sort, type: query.type });
      return { totalCount: page.totalCount, items: page.items.map(toChannelItem) };
    },

    async listForAdmin(workspaceId: string, query: { SkipCount: number; MaxResultCount: number; Sorting?: string; type?: number }) {
      if (!(await deps.workspaceRegion(workspaceId))) throw errors.notFound('Workspace', workspaceId);
      const sort = parseSorting(query.Sorting, CHANNEL_SORT_FIELDS, 'CreationTime ASC');
      const page = await repo.list(workspaceId, { skip: query.SkipCount, take: query.MaxResultCount, sort, type: query.type });
      return { totalCount: page.totalCount, items: page.items.map(toAdminChannel) };
    },
  };
}
export type ChannelsService = ReturnType<typeof createChannelsService>;
