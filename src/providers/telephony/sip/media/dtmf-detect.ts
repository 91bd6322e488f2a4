import { COLUMN_HZ, KEYPAD, ROW_HZ, SAMPLE_RATE } from './dtmf-generate.js';

/**
 * In-band DTMF detection on 8 kHz PCM (the callee's audio, which may carry our prompt's echo):
 * Goertzel filters on the 8 frequencies over windows of 102 samples (12.75 ms, as Asterisk and
 * SpanDSP), overlapping by half (a decision every 6.4 ms). A window is a key candidate when:
 * - both tones are loud enough (`minLevelDbm0` each);
 * - twist: the row tone at most `normalTwistDb` above the column tone, at most `reverseTwistDb` below;
 * - each is the clear peak of its group (`relativePeakDb` above the other three);
 * - the two tones carry most of the window's energy (`toneShare`): speech and music spread theirs,
 *   and a window the tone only partly fills fails too, which is what makes durations measurable;
 * - the high tone's 2nd harmonic is `harmonicDb` below it (a voice's harmonic series is not).
 *   (The low group's 2nd harmonics lie within a 12.75-ms filter's reach of the high group, so they
 *   cannot be measured apart; the frequency check covers both groups.)
 * Frequency: between consecutive candidate windows each tone's phase must advance as its nominal
 * frequency's does, within `maxOffset` (Q.24: accept ±1.5 %, reject ±3.5 %).
 * Duration: a key starts after consecutive steady candidates spanning `minToneMs` (5 windows):
 * every tone of 40 ms or more is found, none of 30 ms or less. While it sounds, looser limits
 * (half the level and share, 4 dB more twist and peak margin) keep it from flickering; it ends after
 * windows without it spanning `minPauseMs` (4 windows): pauses of 25 ms or more separate two
 * presses, 15 ms or less never do. Only then may the next key start.
 */

export interface DtmfDetectorOptions {
  minLevelDbm0?: number;
  normalTwistDb?: number;
  reverseTwistDb?: number;
  relativePeakDb?: number;
  toneShare?: number;
  harmonicDb?: number;
  maxOffset?: number;
  minToneMs?: number;
  minPauseMs?: number;
}

export const DTMF_BLOCK = 102;
const DEFAULTS: Required<DtmfDetectorOptions> = {
  minLevelDbm0: -33,
  normalTwistDb: 8,
  reverseTwistDb: 6,
  relativePeakDb: 8,
  toneShare: 0.7,
  harmonicDb: 10,
  maxOffset: 0.025,
  minToneMs: 40,
  minPauseMs: 30,
};
/** A 0 dBm0 sine's peak in 16-bit G.711 samples (G.711's full scale is +3.17 dBm0). */
const DBM0_PEAK = 22_656;
/** Windows overlap by half: a decision every 6.4 ms, and a phase advance that wraps only at ±78 Hz. */
const HOP = DTMF_BLOCK / 2;

const FREQUENCIES = [...ROW_HZ, ...COLUMN_HZ];
const TWO_PI = 2 * Math.PI;
const wrap = (radians: number) => radians - TWO_PI * Math.round(radians / TWO_PI);

interface Tone {
  /** The Goertzel filter's complex output (its phase is the tone's, up to a constant per frequency). */
  re: number;
  im: number;
  /** The power of a sine at that frequency: amplitude² / 2. */
  power: number;
}

interface Candidate {
  key: string;
  r: number;
  c: number;
  row: Tone;
  column: Tone;
}

/** Goertzel over `x` at `hz`; the complex output goes to `out` (allocation-free: it runs 1 250 times a second per call). */
function goertzel(x: Float64Array, hz: number, out: Tone): Tone {
  const w = (TWO_PI * hz) / SAMPLE_RATE;
  const coefficient = 2 * Math.cos(w);
  let s1 = 0;
  let s2 = 0;
  for (let n = 0; n < x.length; n++) {
    const s = x[n]! + coefficient * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  out.re = s1 - s2 * Math.cos(w);
  out.im = s2 * Math.sin(w);
  out.power = (2 * (out.re * out.re + out.im * out.im)) / (x.length * x.length);
  return out;
}

const newTone = (): Tone => ({ re: 0, im: 0, power: 0 });

export function createDtmfDetector(options: DtmfDetectorOptions = {}) {
  const o = { ...DEFAULTS, ...options };
  const minPower = (DBM0_PEAK * 10 ** (o.minLevelDbm0 / 20)) ** 2 / 2;
  const normalTwist = 10 ** (o.normalTwistDb / 10);
  const reverseTwist = 10 ** (o.reverseTwistDb / 10);
  const relativePeak = 10 ** (o.relativePeakDb / 10);
  const harmonic = 10 ** (-o.harmonicDb / 10);
  const startWindows = Math.max(2, Math.round((o.minToneMs * 8 - DTMF_BLOCK) / HOP) + 1);
  const endWindows = Math.max(1, Math.round((o.minPauseMs * 8 - DTMF_BLOCK) / HOP) + 1);

  const window = new Float64Array(DTMF_BLOCK);
  const tones = FREQUENCIES.map(newTone);
  const harmonicTone = newTone();
  let filled = 0;
  /** The last window's candidate and its tones (for the frequency check), and how many in a row. */
  let previous: Candidate | null = null;
  let hits = 0;
  let active: string | null = null;
  let misses = 0;

  /** Whether a tone's phase advanced over one hop as its nominal frequency's would, within maxOffset. */
  const onFrequency = (hz: number, before: Tone, now: Tone) => {
    const advance = Math.atan2(now.im * before.re - now.re * before.im, now.re * before.re + now.im * before.im);
    const offsetHz = (wrap(advance - (TWO_PI * hz * HOP) / SAMPLE_RATE) * SAMPLE_RATE) / (TWO_PI * HOP);
    return Math.abs(offsetHz) <= hz * o.maxOffset;
  };

  /** The window's candidate key, or null; `relaxed` while a key sounds (see above). */
  const candidate = (relaxed: boolean): Candidate | null => {
    const ease = relaxed ? 0.5 : 1;
    let total = 0;
    for (let n = 0; n < DTMF_BLOCK; n++) total += window[n]! * window[n]!;
    total /= DTMF_BLOCK;
    if (total < minPower * ease) return null;
    FREQUENCIES.forEach((hz, i) => goertzel(window, hz, tones[i]!));
    const best = (from: number) => [0, 1, 2, 3].reduce((b, i) => (tones[from + i]!.power > tones[from + b]!.power ? i : b), 0);
    const r = best(0);
    const c = best(4);
    const row = tones[r]!;
    const column = tones[4 + c]!;
    if (row.power < minPower * ease || column.power < minPower * ease) return null;
    const widen = relaxed ? 10 ** 0.4 : 1;
    if (row.power > column.power * normalTwist * widen || column.power > row.power * reverseTwist * widen) return null;
    for (let i = 0; i < 4; i++) {
      if (i !== r && tones[i]!.power * relativePeak > row.power * widen) return null;
      if (i !== c && tones[4 + i]!.power * relativePeak > column.power * widen) return null;
    }
    if (row.power + column.power < o.toneShare * ease * total) return null;
    if (goertzel(window, 2 * COLUMN_HZ[c]!, harmonicTone).power > column.power * harmonic) return null;
    return { key: KEYPAD[r]![c]!, r, c, row: { ...row }, column: { ...column } };
  };

  /** Moves the key state by one window; answers a key when one starts. */
  const step = (): string | null => {
    if (active !== null) {
      // A held key goes on through a bad window or two (a lost packet's concealment, a click).
      if (candidate(true)?.key === active) misses = 0;
      else if (++misses >= endWindows) active = null;
      return null;
    }
    const now = candidate(false);
    const steady = now !== null && previous !== null && previous.key === now.key &&
      onFrequency(ROW_HZ[now.r]!, previous.row, now.row) && onFrequency(COLUMN_HZ[now.c]!, previous.column, now.column);
    hits = now === null ? 0 : steady ? hits + 1 : 1;
    previous = now;
    if (hits < startWindows) return null;
    active = now!.key;
    hits = 0;
    previous = null;
    misses = 0;
    return active;
  };

  return {
    /** Feeds samples (any length); answers the keys that started within them, each key once. */
    push(pcm: Int16Array): string[] {
      const keys: string[] = [];
      for (let i = 0; i < pcm.length; i++) {
        window[filled++] = pcm[i]!;
        if (filled < DTMF_BLOCK) continue;
        const key = step();
        if (key !== null) keys.push(key);
        window.copyWithin(0, HOP);
        filled = DTMF_BLOCK - HOP;
      }
      return keys;
    },
    /** The key whose tone is sounding now (started and not yet ended), or null. */
    active: () => active,
    reset() {
      filled = 0;
      previous = null;
      hits = 0;
      active = null;
      misses = 0;
    },
  };
}
