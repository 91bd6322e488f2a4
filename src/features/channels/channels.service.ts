import { codes, FallbackStrategy, PhoneNumberStatus } from '../../lib/enums.js';
import { randomInt } from 'node:crypto';
import type { Static } from 'typebox';
import type { Db } from '../../db/store.js';
import type { Transaction } from '../../db/transaction.js';
import type { Clock } from '../../lib/clock.js';
import { resealRows, type SecretBox } from '../../lib/secret-box.js';
import { openWebhookSecrets, secretChange } from '../../lib/webhook-secret.js';
import { NIL_ID, newId } from '../../lib/ids.js';
import { regionOf, toE164 } from '../../lib/phone.js';
import { errors } from '../../lib/errors.js';
import type { PageRequest } from '../../lib/paging.js';
import type { ChannelPatch, ChannelRow, SmartReconnect } from '../../db/types.js';
import type { UrlGuard } from '../../providers/http/url-guard.js';
import type { ProviderRegistry } from '../../providers/registry.js';
import {
  TWIML_URL_FIELDS,
  WHATSAPP_URL_FIELDS,
  missingWhatsAppSetting,
  splitVoice,
  splitWhatsApp,
  type ChannelSecrets,
  type VoiceChannelSettings,
  type VoiceSettings,
  type VoiceSettingsInput,
  type WhatsAppSettings,
  type WhatsAppSettingsInput,
} from '../../providers/settings.js';
import { SEALED_COLUMNS, type ChannelsRepo } from './channels.repo.js';
import type { CreateChannelBody, UpdateChannelBody } from './channels.schemas.js';
import { toAdminChannel, toChannelItem } from './channels.view.js';

const SMART_RECONNECT_DEFAULT: SmartReconnect = {
  enabled: false,
  windowMinutes: 60,
  sipRingTimeoutSeconds: 30,
  fallbackStrategy: codes(FallbackStrategy).None,
  mobileRingTimeoutSeconds: 30,
};

const hasWhatsApp = (type: number) => type === 2 || type === 3;
const hasVoice = (type: number) => type === 1 || type === 3;

type CreateInput = Static<typeof CreateChannelBody>;
type UpdateInput = Static<typeof UpdateChannelBody>;

/**
 * A channel's providers, given its type: WhatsApp for 2/3, voice for 1/3, sandbox by default.
 * Settings given for the same WhatsApp provider amend the stored ones; another provider starts
 * afresh, so one provider's credentials never linger on (or come back with) another. Voice
 * settings given replace the stored ones (a SIP password is kept when the provider stays SIP and
 * none is given).
 */
function providersFor(
  type: number,
  whatsApp: Partial<WhatsAppSettingsInput> | undefined,
  voice: VoiceSettingsInput | undefined,
  existing: { settings: WhatsAppSettings | null; voice: VoiceSettings | null; secrets: ChannelSecrets } = { settings: null, voice: null, secrets: {} },
) {
  if (whatsApp && !hasWhatsApp(type)) throw errors.invalidField('whatsApp', 'WhatsApp settings need a channel of type 2 (WhatsApp) or 3 (PhoneNumberAndWhatsapp).');
  if (voice && !hasVoice(type)) throw errors.invalidField('voice', 'Voice settings need a channel of type 1 (PhoneNumber) or 3 (PhoneNumberAndWhatsapp).');
  let settings: WhatsAppSettings | null = null;
  const secrets: ChannelSecrets = {};
  if (hasWhatsApp(type)) {
    const given = splitWhatsApp(whatsApp ?? {});
    const was = existing.settings;
    const same = was !== null && (!given.settings.provider || given.settings.provider === was.provider);
    settings = { ...(same ? was : {}), ...given.settings, provider: given.settings.provider ?? (same ? was.provider : 'sandbox'), accountId: was?.accountId ?? newId() };
    const kept = { ...(same ? existing.secrets.whatsApp : {}), ...given.secrets };
    if (Object.keys(kept).length) secrets.whatsApp = kept;
    const missing = missingWhatsAppSetting({ ...settings, ...kept });
    if (missing) throw errors.invalidField(`whatsApp.${missing}`, `A ${settings.provider} WhatsApp channel needs whatsApp.${missing}.`);
  }
  let voiceSettings: VoiceSettings | null = null;
  if (hasVoice(type)) {
    if (voice?.provider === 'sip' && !voice.sip) throw errors.invalidField('voice.sip', 'A SIP line needs voice.sip: {host, port?, transport?, username?, password?, …}.');
    if (voice?.provider === 'twiml' && !voice.twiml) throw errors.invalidField('voice.twiml', 'A TwiML line needs voice.twiml: {baseUrl?, accountSid, authToken, fromNumber?}.');
    const given = voice ? splitVoice(voice) : null;
    voiceSettings = given?.settings ?? existing.voice ?? { provider: 'sandbox' };
    const same = existing.voice?.provider === voiceSettings.provider;
    const kept = { ...(same ? existing.secrets.voice : {}), ...given?.secrets };
    if (voiceSettings.provider !== 'sandbox' && Object.keys(kept).length) secrets.voice = kept;
    if (voiceSettings.provider === 'twiml' && !kept.authToken) throw errors.invalidField('voice.twiml.authToken', 'A TwiML line needs voice.twiml.authToken.');
  }
  return { whatsapp: settings, voice: voiceSettings, secrets };
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
  transaction: Transaction;
  secrets: SecretBox;
  providers: ProviderRegistry;
  assertUrl: UrlGuard;
  workspaceRegion: (workspaceId: string, trx?: Db) => Promise<string | undefined>;
  /** Told (after the commit) when a channel's webhook settings change: emitting caches them for a second. */
  webhookSettingsChanged?: (id: string) => void;
  /** Reads a hot lookup at most once a second per key (lib/ttl-cache.ts), forgotten when `webhookSettingsChanged(id)` is told. */
  cached?: <T>(key: string, load: () => Promise<T>) => Promise<T>;
}) {
  const { repo, clock, secrets: box } = deps;
  const cached = deps.cached ?? (<T>(_key: string, load: () => Promise<T>) => load());

  const openSecrets = (row: ChannelRow): ChannelSecrets => (row.provider_secrets ? (JSON.parse(box.open(row.provider_secrets)) as ChannelSecrets) : {});
  const sealSecrets = (secrets: ChannelSecrets) => (Object.keys(secrets).length ? box.seal(JSON.stringify(secrets)) : null);
  const adminView = (row: ChannelRow) => toAdminChannel(row, openSecrets(row));

  /** Every URL the input sets for Wasl to call: refused (400 naming the field) when it points inside. */
  async function checkUrls(input: { whatsAppWebhookUrl?: string | null; postCallWebhookUrl?: string | null; whatsApp?: Partial<WhatsAppSettingsInput>; voice?: VoiceSettingsInput }) {
    await deps.assertUrl('whatsAppWebhookUrl', input.whatsAppWebhookUrl);
    await deps.assertUrl('postCallWebhookUrl', input.postCallWebhookUrl);
    for (const field of WHATSAPP_URL_FIELDS) await deps.assertUrl(`whatsApp.${field}`, input.whatsApp?.[field]);
    for (const field of TWIML_URL_FIELDS) await deps.assertUrl(`voice.twiml.${field}`, input.voice?.twiml?.[field]);
  }

  return {
    async create(workspaceId: string, input: CreateInput) {
      const region = await deps.workspaceRegion(workspaceId);
      if (!region) throw errors.notFound('Workspace', workspaceId);
      const { secrets, ...providers } = providersFor(input.type, input.whatsApp, input.voice);
      await checkUrls(input);
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
        phone_number_status: codes(PhoneNumberStatus).Active,
        region: regionOf(number),
        ...providers,
        provider_secrets: sealSecrets(secrets),
        whatsapp_webhook_url: input.whatsAppWebhookUrl ?? null,
        post_call_webhook_url: input.postCallWebhookUrl ?? null,
        webhook_secret: box.sealNullable(input.webhookSecret),
        smart_reconnect: SMART_RECONNECT_DEFAULT,
        inbound_agent: null,
        evaluation_template_id: null,
        creator_id: NIL_ID,
        creation_time: now,
        last_modification_time: now,
        last_modifier_id: null,
      });
      return toAdminChannel(row, secrets);
    },

    async update(id: string, input: UpdateInput) {
      await checkUrls(input); // before the transaction: DNS must not hold the row lock
      return deps.transaction(async (trx) => {
        const current = await repo.findForUpdate(id, trx);
        if (!current) throw errors.notFound('Channel', id);
        deps.transaction.afterCommit(trx, () => deps.webhookSettingsChanged?.(id));
        const type = input.type ?? current.type;
        const patch: ChannelPatch = { last_modification_time: clock.now(), last_modifier_id: NIL_ID };
        if (input.type !== undefined || input.whatsApp !== undefined || input.voice !== undefined) {
          const { secrets, ...providers } = providersFor(type, input.whatsApp, input.voice, { settings: current.whatsapp, voice: hasVoice(type) ? current.voice : null, secrets: openSecrets(current) });
          Object.assign(patch, { type, ...providers, provider_secrets: sealSecrets(secrets) });
        }
        if (input.name !== undefined) patch.name = input.name.trim();
        if (input.icon !== undefined) patch.icon = input.icon;
        if (input.phoneNumber !== undefined) {
          patch.phone_number = parseNumber(input.phoneNumber, (await deps.workspaceRegion(current.workspace_id, trx)) ?? 'SA');
          patch.region = regionOf(patch.phone_number);
        }
        if (input.whatsAppWebhookUrl !== undefined) patch.whatsapp_webhook_url = input.whatsAppWebhookUrl;
        if (input.postCallWebhookUrl !== undefined) patch.post_call_webhook_url = input.postCallWebhookUrl;
        if (input.webhookSecret !== undefined) Object.assign(patch, secretChange(current.webhook_secret, input.webhookSecret, patch.last_modification_time as Date, box));
        const row = await repo.update(id, patch, trx);
        if (!row) throw errors.notFound('Channel', id);
        return adminView(row);
      });
    },

    /** Where a channel's webhooks go and what signs them (opened); `trx` when called while emitting. */
    async webhookHooks(id: string, trx?: Db) {
      const row = await repo.findById(id, trx);
      return (
        row && {
          workspaceId: row.workspace_id,
          whatsAppWebhookUrl: row.whatsapp_webhook_url,
          postCallWebhookUrl: row.post_call_webhook_url,
          secrets: openWebhookSecrets(row, box),
        }
      );
    },

    /** Any channel's workspace and WhatsApp provider (null: none), for sends and inbound messages; undefined when missing. */
    /** Who owns a channel and which WhatsApp provider it has (every send and inbound message asks: cached a second). */
    async whatsAppOf(id: string, trx?: Db) {
      return cached(`${id}:whatsAppOf`, async () => {
        const row = await repo.findById(id, trx);
        return row && { id: row.id, workspaceId: row.workspace_id, whatsAppProvider: row.whatsapp?.provider ?? null };
      });
    },

    /** The channel's WhatsApp adapter, with its credentials; undefined for a missing or voice-only channel. */
    async whatsApp(id: string, trx?: Db) {
      // Each send, receipt and inbound webhook asks: the opened secrets and the adapter are kept a second.
      return cached(`${id}:whatsApp`, async () => {
        const row = await repo.findById(id, trx);
        if (!row?.whatsapp) return undefined;
        const settings = { ...row.whatsapp, ...openSecrets(row).whatsApp };
        return deps.providers.whatsApp({ id: row.id, phoneNumber: row.phone_number, settings });
      });
    },

    /** Who owns a channel, its number and its voice settings with their secrets opened (null: a WhatsApp-only channel; cached a second); undefined when missing. */
    async voiceOf(id: string, trx?: Db): Promise<{ id: string; workspaceId: string; phoneNumber: string | null; settings: VoiceChannelSettings | null } | undefined> {
      return cached(`${id}:voice`, async () => {
        const row = await repo.findById(id, trx);
        if (!row) return undefined;
        const voice = row.voice as VoiceSettings | null;
        const opened = voice && voice.provider !== 'sandbox' ? openSecrets(row).voice : undefined;
        const settings: VoiceChannelSettings | null =
          voice?.provider === 'sip' ? { provider: 'sip', sip: { ...voice.sip, ...opened } } : voice?.provider === 'twiml' ? { provider: 'twiml', twiml: { ...voice.twiml, ...opened } } : voice;
        return { id: row.id, workspaceId: row.workspace_id, phoneNumber: row.phone_number, settings };
      });
    },

    async list(workspaceId: string, page: PageRequest & { type?: number }) {
      const found = await repo.list(workspaceId, page);
      return { totalCount: found.totalCount, items: found.items.map(toChannelItem) };
    },

    async listForAdmin(workspaceId: string, page: PageRequest & { type?: number }) {
      if (!(await deps.workspaceRegion(workspaceId))) throw errors.notFound('Workspace', workspaceId);
      const found = await repo.list(workspaceId, page);
      return { totalCount: found.totalCount, items: found.items.map(adminView) };
    },

    /**
     * At start: seals every secret not under the current key (rows from before encryption, rows
     * under a rotated-out key), each row in its own transaction; returns how many rows changed.
     */
    async resealSecrets() {
      const ids = await repo.unsealed(box.currentPrefix());
      return resealRows(box, ids, SEALED_COLUMNS, deps.transaction, { lock: repo.findForUpdate, update: repo.update });
    },
  };
}
export type ChannelsService = ReturnType<typeof createChannelsService>;
