import type { Clock } from '../lib/clock.js';
import type { OutboundHttp } from './http/outbound.js';
import type { VoiceChannelSettings, WhatsAppChannelSettings, WhatsAppProvider } from './settings.js';
import { createSandboxTelephony } from './telephony/sandbox.js';
import { createSipTrunk } from './telephony/sip/trunk.js';
import { createTwimlTelephony } from './telephony/twiml.js';
import type { TelephonyPort } from './telephony/port.js';
import { createCloudApiWhatsApp } from './whatsapp/cloud-api.js';
import type { WhatsAppPort } from './whatsapp/port.js';
import { createSandboxWhatsApp } from './whatsapp/sandbox.js';

/** What every adapter is given beside its channel's settings: the guarded client, the clock, whose it is. */
export interface AdapterContext {
  channelId: string;
  /** The channel's number in E.164. */
  phoneNumber: string | null;
  http: OutboundHttp;
  clock: Clock;
}

type Factory<Settings, Port> = (settings: Settings, ctx: AdapterContext) => Port;

/** Every adapter, by kind and by the provider name a channel's settings hold. */
const WHATSAPP: Record<WhatsAppProvider, Factory<WhatsAppChannelSettings, WhatsAppPort>> = {
  cloud: createCloudApiWhatsApp,
  sandbox: createSandboxWhatsApp,
};

/**
 * The one place an adapter is chosen: from a channel's provider settings (secrets opened by the
 * channels service, which alone reads them). Adapters hold no state of their own beyond what they
 * are given, so one is made per use; the outbound client and its connections are shared.
 */
export function createProviderRegistry(deps: { http: OutboundHttp; clock: Clock }) {
  return {
    whatsApp(channel: { id: string; phoneNumber: string | null; settings: WhatsAppChannelSettings }): WhatsAppPort {
      const ctx = { channelId: channel.id, phoneNumber: channel.phoneNumber, http: deps.http, clock: deps.clock };
      return WHATSAPP[channel.settings.provider](channel.settings, ctx);
    },
    telephony(channel: { id: string; phoneNumber: string | null; settings: VoiceChannelSettings }): TelephonyPort {
      const ctx = { channelId: channel.id, phoneNumber: channel.phoneNumber, http: deps.http, clock: deps.clock };
      if (channel.settings.provider === 'twiml') return createTwimlTelephony(channel.settings.twiml, ctx);
      return channel.settings.provider === 'sip' ? createSipTrunk(channel.settings.sip, ctx) : createSandboxTelephony(channel.settings, ctx);
    },
  };
}
export type ProviderRegistry = ReturnType<typeof createProviderRegistry>;
