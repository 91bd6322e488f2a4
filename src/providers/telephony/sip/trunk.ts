import { ProviderError } from '../../errors.js';
import type { AdapterContext } from '../../registry.js';
import type { DialRequest, DialResult, LiveTelephony } from '../port.js';
import { LOCAL_FAILURES } from './causes.js';
import { placeCall } from './invite.js';
import { openRtpSession } from './media/rtp-session.js';
import type { G711 } from './sdp.js';
import { createTransactionLayer, DEFAULT_TIMERS, type SipTimers } from './transaction.js';
import { openSipTransport } from './transport.js';

/**
 * The SIP trunk adapter (operator.md "Voice provider settings", `provider: "sip"`): each `dial`
 * opens its own SIP socket (UDP on an ephemeral port, or a TCP connection) and RTP session, sends
 * an INVITE to `host:port` and, once answered, hands back a LiveCall that holds both until the
 * call ends. Nothing is shared between calls, so the registry may make one adapter per use.
 */

export interface SipTrunkSettings {
  host: string;
  port?: number;
  transport?: 'udp' | 'tcp';
  username?: string;
  /** Opened from the channel's secrets by the channels service. */
  password?: string;
  /** Answer digest challenges of this realm only (any realm when absent). */
  realm?: string;
  /** The caller number presented (default: the dial request's `from`, then the channel's phone number). */
  fromNumber?: string;
  /** Offered in this order (default PCMA, PCMU). */
  codecs?: G711[];
}

/** Knobs that are not channel settings: tests shorten them; production keeps RFC 3261's values. */
export interface SipTrunkOptions {
  timers?: Partial<SipTimers>;
  /** No RTP from the callee for this long ends the call (MEDIA_TIMEOUT); 0 turns it off. Default 30 s. */
  mediaTimeoutMs?: number;
}

/** A number as a SIP URI's user part: E.164 digits and the few characters a dial string may hold, nothing that could break a header. */
const userPart = (number: string) => number.replace(/[^\w+.\-*#]/g, '').replace(/#/g, '%23');

export const DEFAULT_CODECS: G711[] = ['PCMA', 'PCMU'];

export function createSipTrunk(settings: SipTrunkSettings, ctx: Pick<AdapterContext, 'channelId' | 'phoneNumber' | 'clock'>, options: SipTrunkOptions = {}): LiveTelephony {
  const port = settings.port ?? 5060;
  const timers: SipTimers = { ...DEFAULT_TIMERS, ...options.timers };
  const codecs = settings.codecs?.length ? settings.codecs : DEFAULT_CODECS;
  const credentials = settings.username && settings.password ? { username: settings.username, password: settings.password, ...(settings.realm && { realm: settings.realm }) } : null;

  return {
    mode: 'live',
    provider: 'sip',
    async dial(request: DialRequest): Promise<DialResult> {
      const fromUser = userPart(settings.fromNumber || request.from || ctx.phoneNumber || settings.username || 'wasl');
      let transport;
      try {
        transport = await openSipTransport({ host: settings.host, port, transport: settings.transport ?? 'udp' });
      } catch (err) {
        return { answered: false, at: ctx.clock.now(), ...LOCAL_FAILURES.transport, reason: (err as Error).message };
      }
      let rtp;
      try {
        rtp = await openRtpSession({ advertise: transport.local.address });
      } catch (err) {
        transport.close();
        throw err instanceof ProviderError ? err : new ProviderError('telephony/sip', 'media_bind', `Cannot open an RTP session: ${(err as Error).message}`, 'later', undefined, { cause: err });
      }
      const layer = createTransactionLayer({ transport, clock: ctx.clock, timers });
      return placeCall(
        { clock: ctx.clock, transport, layer, rtp, timers, mediaTimeoutMs: options.mediaTimeoutMs ?? 30_000, host: settings.host, port, fromUser, codecs, credentials },
        { ...request, to: userPart(request.to) },
      );
    },
  };
}
