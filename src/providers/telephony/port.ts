/**
 * What Wasl needs from a telephony provider to run an outbound IVR call (issue 10), in its own
 * terms: E.164 numbers, `Date`s, prompts as 8 kHz mono 16-bit PCM, keys as characters. One IVR
 * engine (`features/voice/ivr-engine.ts`) decides what a call does; adapters only carry it out.
 *
 * Two shapes of provider:
 * - **live** (`sandbox.ts`, `sip/`): Wasl holds the call itself. `dial` places it and answers once
 *   it is answered or has failed; an answered call is a `LiveCall` the engine drives prompt by
 *   prompt, waiting for keys here.
 * - **callback** (`twiml.ts`, a TwiML provider): the provider holds the call and asks Wasl what to
 *   do next over HTTP; the same engine answers each callback (its steps rendered as TwiML).
 */

/** A prompt ready to play: the WAV's samples, and a URL a provider that fetches prompts can use. */
export interface Prompt {
  /** 8 kHz, mono, signed 16-bit samples. */
  pcm: Int16Array;
  durationMs: number;
  /** Where the same WAV is served (PUBLIC_URL based), for providers that fetch prompts themselves. */
  url: string;
}

/**
 * Why a call ended, as Q.850 / FreeSWITCH names it (Hatif's example: `NORMAL_CLEARING`). The table
 * from SIP responses and provider statuses to these lives in `causes.ts`.
 */
export type HangupCause =
  | 'NORMAL_CLEARING'
  | 'USER_BUSY'
  | 'NO_USER_RESPONSE'
  | 'NO_ANSWER'
  | 'CALL_REJECTED'
  | 'UNALLOCATED_NUMBER'
  | 'NUMBER_CHANGED'
  | 'INVALID_NUMBER_FORMAT'
  | 'NORMAL_TEMPORARY_FAILURE'
  | 'NETWORK_OUT_OF_ORDER'
  | 'SERVICE_UNAVAILABLE'
  | 'RECOVERY_ON_TIMER_EXPIRE'
  | 'ORIGINATOR_CANCEL'
  | 'MEDIA_TIMEOUT'
  | 'INCOMPATIBLE_DESTINATION'
  | 'DESTINATION_OUT_OF_ORDER'
  | 'NORMAL_UNSPECIFIED';

/** How a call that was never answered ended. */
export type Unanswered = 'busy' | 'no-answer' | 'rejected' | 'failed' | 'cancelled';

export interface DialRequest {
  /** Wasl's call id (a provider may carry it, e.g. in a SIP header or a callback URL). */
  callId: string;
  from: string;
  to: string;
  /** Stop ringing after this long: `no-answer`. */
  ringTimeoutMs: number;
  /** Aborting hangs up: CANCEL while ringing (`cancelled`), BYE once answered. */
  signal?: AbortSignal;
  /** The callee's phone rings (180/183). Called at most once. */
  onRinging?(at: Date): void;
}

export type DialResult =
  | { answered: true; at: Date; call: LiveCall }
  | { answered: false; at: Date; outcome: Unanswered; cause: HangupCause; reason: string; sipCode?: number };

/** How a call ended: who hung up, when, why. */
export interface CallEnd {
  at: Date;
  by: 'callee' | 'us' | 'network';
  cause: HangupCause;
  reason?: string;
}

/** What waiting for a key came to: a key, the time-out, or the end of the call. */
export type GatherOutcome = { digit: string; at: Date } | { timeout: true } | { ended: CallEnd };

export interface LiveCall {
  /** Plays the prompt to its end; keys meanwhile are ignored. Answers early only when the call ends. */
  play(prompt: Prompt): Promise<{ ended?: CallEnd }>;
  /**
   * Plays the prompt (or nothing) and waits for one key: a key during the prompt stops it at once
   * (barge-in); after the prompt, up to `timeoutMs` for the first key.
   */
  gather(prompt: Prompt | null, options: { timeoutMs: number }): Promise<GatherOutcome>;
  /** Ends the call from our side (BYE); resolves once it is ended. Safe to call twice. */
  hangUp(cause?: HangupCause): Promise<CallEnd>;
  /** Resolves when the call ends, from either side. */
  readonly ended: Promise<CallEnd>;
}

/** A provider Wasl holds calls with (sandbox, SIP trunk). */
export interface LiveTelephony {
  readonly mode: 'live';
  readonly provider: string;
  dial(request: DialRequest): Promise<DialResult>;
}

/** A call to place with a callback provider: it asks `callbackUrl` (`?ev=answer`, `?ev=status`) what to do. */
export interface PlaceRequest {
  callId: string;
  from: string;
  to: string;
  ringTimeoutMs: number;
  /** Wasl's URL for this call's callbacks (PUBLIC_URL based), without a query. */
  callbackUrl: string;
}

/** One engine action as a callback provider carries it out; `next` is where it reports back. */
export type CallbackStep =
  | { play: { url: string }; next: string }
  | { gather: { url: string; timeoutMs: number }; next: string }
  | { hangUp: true };

/** A provider that holds the call and asks Wasl over HTTP what to do next (TwiML: `twiml.ts`). */
export interface CallbackTelephony {
  readonly mode: 'callback';
  readonly provider: string;
  /** Places the call; answers the provider's id for it. Failures are `ProviderError`s. */
  place(request: PlaceRequest): Promise<{ providerCallId: string }>;
  /** Whether a callback is the provider's: its signature over the full URL and the POSTed params. */
  verify(url: string, params: Record<string, string>, signature: string | undefined): boolean;
  /** The answer to a callback that carries out `step`. */
  render(step: CallbackStep): { contentType: string; body: string };
  /**
   * The call as the provider sees it now (its REST API), for a call whose callbacks stopped: the
   * status in the provider's words (TwiML: queued, ringing, in-progress, completed, busy,
   * no-answer, failed, canceled), seconds talked, the SIP response. Failures are `ProviderError`s.
   */
  status(providerCallId: string): Promise<{ status: string; durationSeconds?: number; sipCode?: number }>;
  /** Ends the call at the provider (hangs up, or cancels one not answered yet). */
  end(providerCallId: string): Promise<void>;
}

/** Every telephony adapter. */
export type TelephonyPort = LiveTelephony | CallbackTelephony;
