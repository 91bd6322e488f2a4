/**
 * The one IVR engine (issue 10): what an outbound IVR call does next, as a pure step function, so
 * a provider Wasl holds the call with (sandbox, SIP: `runLive` below) and one that asks over HTTP
 * (TwiML) follow the same script. Welcome prompt (if any), then the main prompt with one key
 * collected; a valid key plays the success prompt and ends the call; no key (the input time-out)
 * or an invalid one (after the failed prompt) plays the main prompt again, up to `maxAudioRetries`
 * more times; then the call ends with the last outcome.
 */
import type { CallEnd, GatherOutcome, LiveCall, Prompt } from '../../providers/telephony/port.js';

export type PromptName = 'welcome' | 'main' | 'success' | 'failed';

/** How the IVR ended, before the call's own end is known (Hatif's `result`, by name). */
export type IvrOutcome = 'DigitPressed' | 'NoInput' | 'InvalidInput';

export interface IvrScript {
  /** Which optional prompts exist (`main` always does). */
  has: Record<Exclude<PromptName, 'main'>, boolean>;
  /** The valid keys. */
  digits: string[];
  maxAudioRetries: number;
  inputTimeoutMs: number;
}

export interface IvrState {
  /** Main prompts played so far. */
  plays: number;
  outcome: IvrOutcome | null;
  /** The last key pressed, valid or not (Hatif's `pressedDigit`). */
  pressedDigit: string | null;
  done: boolean;
}

export type IvrAction = { play: PromptName } | { gather: 'main'; timeoutMs: number } | { hangUp: true };

export type IvrInput = { answered: true } | { played: PromptName } | { digit: string } | { timeout: true };

export const initialState = (): IvrState => ({ plays: 0, outcome: null, pressedDigit: null, done: false });

/** The next action after `input`, and the state it leaves. A call that ends meanwhile simply stops asking. */
export function step(script: IvrScript, state: IvrState, input: IvrInput): { state: IvrState; action: IvrAction } {
  const gather = (s: IvrState) => ({ state: { ...s, plays: s.plays + 1 }, action: { gather: 'main', timeoutMs: script.inputTimeoutMs } as const });
  const retryOrEnd = (s: IvrState) => (s.plays <= script.maxAudioRetries ? gather(s) : end(s));
  const end = (s: IvrState) => ({ state: { ...s, done: true }, action: { hangUp: true } as const });

  if ('answered' in input) return script.has.welcome ? { state, action: { play: 'welcome' } } : gather(state);
  if ('played' in input) {
    if (input.played === 'welcome') return gather(state);
    if (input.played === 'success') return end(state);
    if (input.played === 'failed') return retryOrEnd(state);
    return end(state);
  }
  if ('timeout' in input) return retryOrEnd({ ...state, outcome: 'NoInput' });
  const pressed = { ...state, pressedDigit: input.digit };
  if (script.digits.includes(input.digit)) {
    const s = { ...pressed, outcome: 'DigitPressed' as const };
    return script.has.success ? { state: s, action: { play: 'success' } } : end(s);
  }
  const s = { ...pressed, outcome: 'InvalidInput' as const };
  return script.has.failed ? { state: s, action: { play: 'failed' } } : retryOrEnd(s);
}

/** Each step as it happens, for the record and the tests. */
export interface LiveHooks {
  onStep?(input: IvrInput, state: IvrState): void | Promise<void>;
}

/**
 * Drives a live call with the engine until it ends: returns the IVR's state and how the call ended
 * (our BYE after the last prompt, or the callee's at any point).
 */
export async function runLive(call: LiveCall, script: IvrScript, prompts: Partial<Record<PromptName, Prompt>>, hooks: LiveHooks = {}): Promise<{ state: IvrState; end: CallEnd }> {
  let { state, action } = step(script, initialState(), { answered: true });
  await hooks.onStep?.({ answered: true }, state);
  for (;;) {
    if ('hangUp' in action) return { state, end: await call.hangUp('NORMAL_CLEARING') };
    let input: IvrInput;
    if ('play' in action) {
      const played = await call.play(prompts[action.play]!);
      if (played.ended) return { state, end: played.ended };
      input = { played: action.play };
    } else {
      const outcome: GatherOutcome = await call.gather(prompts.main!, { timeoutMs: action.timeoutMs });
      if ('ended' in outcome) return { state, end: outcome.ended };
      input = 'digit' in outcome ? { digit: outcome.digit } : { timeout: true };
    }
    ({ state, action } = step(script, state, input));
    await hooks.onStep?.(input, state);
  }
}
