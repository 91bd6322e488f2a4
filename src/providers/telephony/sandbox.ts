import type { Clock } from '../../lib/clock.js';
import type { CallEnd, DialRequest, DialResult, GatherOutcome, HangupCause, LiveCall, LiveTelephony, Prompt, Unanswered } from './port.js';

/**
 * The sandbox telephony provider: calls without a carrier, deterministic, timed on the server's
 * clock (a test moves a call along with the manual clock). The destination's last digits decide
 * what the "callee" does (the README lists them); prompts are real (fetched and rendered before
 * dialling), and each plays for its own duration.
 */
const RING_MS = 2_000;
/** When the simulated callee presses its key, from the start of the main prompt (barge-in). */
const PRESS_AFTER_MS = 1_000;

interface Behaviour {
  /** How an unanswered call ends (after `ringMs`; `no-answer` waits for the ring time-out). */
  unanswered?: { outcome: Unanswered; cause: HangupCause; reason: string; ringMs: number; sipCode: number };
  /** The key pressed at each main prompt in turn (null: none; the last repeats). */
  keys: (string | null)[];
  /** The callee hangs up this long into the first main prompt. */
  hangUpAfterMs?: number;
}

/** The scripted endings (documented in the README "Sandbox calls"); anything else answers and presses 1. */
export function sandboxBehaviour(to: string): Behaviour {
  const digits = to.replace(/\D/g, '');
  const last4 = digits.slice(-4);
  if (/^100\d$/.test(last4)) return { keys: [last4[3]!] };
  switch (last4) {
    case '0486':
      return { keys: [], unanswered: { outcome: 'busy', cause: 'USER_BUSY', reason: 'Busy Here', ringMs: 1_000, sipCode: 486 } };
    case '0480':
      return { keys: [], unanswered: { outcome: 'no-answer', cause: 'NO_ANSWER', reason: 'No answer', ringMs: Infinity, sipCode: 480 } };
    case '0603':
      return { keys: [], unanswered: { outcome: 'rejected', cause: 'CALL_REJECTED', reason: 'Decline', ringMs: 1_000, sipCode: 603 } };
    case '0503':
      return { keys: [], unanswered: { outcome: 'failed', cause: 'NORMAL_TEMPORARY_FAILURE', reason: 'Service Unavailable', ringMs: 0, sipCode: 503 } };
    case '0404':
      return { keys: [], unanswered: { outcome: 'failed', cause: 'UNALLOCATED_NUMBER', reason: 'Not Found', ringMs: 0, sipCode: 404 } };
    case '0900':
      return { keys: [null] };
    case '0901':
      return { keys: ['9', '1'] };
    case '0902':
      return { keys: [null], hangUpAfterMs: 1_000 };
    default:
      return { keys: ['1'] };
  }
}

export function createSandboxTelephony(_settings: unknown, ctx: { clock: Clock }): LiveTelephony {
  const { clock } = ctx;
  return {
    mode: 'live',
    provider: 'sandbox',
    async dial(request: DialRequest): Promise<DialResult> {
      const behaviour = sandboxBehaviour(request.to);
      const u = behaviour.unanswered;
      try {
        if (u?.ringMs !== 0) {
          request.onRinging?.(clock.now());
          const ring = Math.min(u ? u.ringMs : RING_MS, request.ringTimeoutMs);
          await clock.sleep(ring, request.signal);
          if (!u && ring < RING_MS) return { answered: false, at: clock.now(), outcome: 'no-answer', cause: 'NO_ANSWER', reason: 'No answer', sipCode: 487 };
        }
      } catch {
        return { answered: false, at: clock.now(), outcome: 'cancelled', cause: 'ORIGINATOR_CANCEL', reason: 'Cancelled', sipCode: 487 };
      }
      if (u) {
        const outcome = u.ringMs > request.ringTimeoutMs || u.ringMs === Infinity ? 'no-answer' : u.outcome;
        return { answered: false, at: clock.now(), outcome, cause: outcome === 'no-answer' ? 'NO_ANSWER' : u.cause, reason: u.reason, sipCode: u.sipCode };
      }
      return { answered: true, at: clock.now(), call: sandboxCall(clock, behaviour, request.signal) };
    },
  };
}

function sandboxCall(clock: Clock, behaviour: Behaviour, signal?: AbortSignal): LiveCall {
  const stop = new AbortController();
  let finish!: (end: CallEnd) => void;
  const ended = new Promise<CallEnd>((resolve) => (finish = resolve));
  let over: CallEnd | null = null;
  const end = (by: CallEnd['by'], cause: HangupCause) => {
    if (!over) {
      over = { at: clock.now(), by, cause };
      stop.abort();
      finish(over);
    }
    return over;
  };
  signal?.addEventListener('abort', () => end('us', 'NORMAL_CLEARING'), { once: true });
  let gathers = 0;

  /** Waits `ms` on the clock; false when the call ended meanwhile. */
  const wait = (ms: number) =>
    clock.sleep(ms, stop.signal).then(
      () => true,
      () => false,
    );

  return {
    ended,
    async play(prompt: Prompt) {
      if (over) return { ended: over };
      return (await wait(prompt.durationMs)) ? {} : { ended: over! };
    },
    async gather(prompt: Prompt | null, options: { timeoutMs: number }): Promise<GatherOutcome> {
      if (over) return { ended: over };
      const index = gathers++;
      const key = behaviour.keys[Math.min(index, behaviour.keys.length - 1)] ?? null;
      const promptMs = prompt?.durationMs ?? 0;
      if (index === 0 && behaviour.hangUpAfterMs !== undefined) {
        if (!(await wait(behaviour.hangUpAfterMs))) return { ended: over! };
        return { ended: end('callee', 'NORMAL_CLEARING') };
      }
      if (key !== null && PRESS_AFTER_MS < promptMs + options.timeoutMs) {
        if (!(await wait(PRESS_AFTER_MS))) return { ended: over! };
        return { digit: key, at: clock.now() };
      }
      if (!(await wait(promptMs + options.timeoutMs))) return { ended: over! };
      return { timeout: true };
    },
    async hangUp(cause: HangupCause = 'NORMAL_CLEARING') {
      return end('us', cause);
    },
  };
}
