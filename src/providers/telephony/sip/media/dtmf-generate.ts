/**
 * DTMF tones as 8 kHz 16-bit PCM (ITU-T Q.23): a low-group (row) and a high-group (column) sine per
 * key. For tests and for the fake callee that presses keys in-band; and a speech-like signal that
 * in-band detection must not take for keys.
 */

export const SAMPLE_RATE = 8000;
export const ROW_HZ = [697, 770, 852, 941] as const;
export const COLUMN_HZ = [1209, 1336, 1477, 1633] as const;
/** Keys by row then column, as on the keypad (with the A–D column). */
export const KEYPAD = ['123A', '456B', '789C', '*0#D'] as const;

/** The row and column frequencies of a key (0-9 * # A-D, case-insensitive). */
export function dtmfFrequencies(key: string): [number, number] {
  const k = key.toUpperCase();
  for (let row = 0; row < 4; row++) {
    const column = k.length === 1 ? KEYPAD[row]!.indexOf(k) : -1;
    if (column >= 0) return [ROW_HZ[row]!, COLUMN_HZ[column]!];
  }
  throw new RangeError(`not a DTMF key: ${JSON.stringify(key)}`);
}

/** Sums sines (each `amplitude` at its peak, `phase` in radians) for `ms`, clipped to 16 bits. */
export function toneMix(components: readonly { hz: number; amplitude: number; phase?: number }[], ms: number): Int16Array {
  const out = new Int16Array(Math.round((ms * SAMPLE_RATE) / 1000));
  for (let n = 0; n < out.length; n++) {
    let v = 0;
    for (const c of components) v += c.amplitude * Math.sin((2 * Math.PI * c.hz * n) / SAMPLE_RATE + (c.phase ?? 0));
    out[n] = Math.max(-32768, Math.min(32767, Math.round(v)));
  }
  return out;
}

/**
 * One key's tone: `amplitude` is each sine's peak (default 7000 ≈ -10 dBm0 per frequency, a
 * telephone's level); `twistDb` > 0 makes the column tone that many dB weaker than the row tone.
 */
export function dtmfTone(key: string, ms: number, amplitude = 7000, options: { twistDb?: number; offset?: number } = {}): Int16Array {
  const [row, column] = dtmfFrequencies(key);
  const scale = 1 + (options.offset ?? 0);
  return toneMix([
    { hz: row * scale, amplitude },
    { hz: column * scale, amplitude: amplitude * 10 ** (-(options.twistDb ?? 0) / 20) },
  ], ms);
}

/** Keys one after another: `toneMs` of tone, then `pauseMs` of silence, for each. */
export function dtmfSequence(keys: string, options: { toneMs?: number; pauseMs?: number; amplitude?: number } = {}): Int16Array {
  const pause = new Int16Array(Math.round(((options.pauseMs ?? 100) * SAMPLE_RATE) / 1000));
  const parts = [...keys].flatMap((key) => [dtmfTone(key, options.toneMs ?? 100, options.amplitude), pause]);
  return concatPcm(parts);
}

export function concatPcm(parts: readonly Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A seeded PRNG (mulberry32) with Gaussian draws, so test signals are the same on every run. */
export function seededRandom(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return { next, gauss: () => Math.sqrt(-2 * Math.log(next() + 1e-12)) * Math.cos(2 * Math.PI * next()) };
}

/**
 * Voiced speech as a source-filter model: a pulse train (harmonics falling 6 dB/octave) whose
 * pitch (85–285 Hz) glides and jitters, shaped by vowel formants after Peterson & Barney (men, women,
 * children), vowel after vowel with an amplitude envelope, plus some breath noise. Many of its harmonics land on DTMF frequencies, so it is what in-band detection must not
 * mistake for keys (talk-off): the prompt's echo in the callee's audio. Seeded: the same every run.
 */
export function speechLike(seconds: number, seed: number): Int16Array {
  const vowels = [
    [270, 2290, 3010], [390, 1990, 2550], [530, 1840, 2480], [660, 1720, 2410], [730, 1090, 2440], [570, 840, 2410], [440, 1020, 2240],
    [300, 870, 2240], [640, 1190, 2390], [490, 1350, 1690], [310, 2790, 3310], [610, 2330, 2990], [850, 1220, 2810], [590, 920, 2710],
    [370, 3200, 3730], [690, 2610, 3570], [1030, 1370, 3170], [680, 1060, 3180], [560, 1410, 2830],
  ];
  const r = seededRandom(seed);
  const out = new Float64Array(seconds * 8000);
  let phase = 0;
  for (let at = 0; at < out.length;) {
    const length = Math.round((60 + 180 * r.next()) * 8);
    const formants = vowels[Math.floor(r.next() * vowels.length)]!;
    const f0Start = 85 + 200 * r.next();
    const f0End = f0Start * (0.85 + 0.3 * r.next());
    for (let n = 0; n < length && at < out.length; n++, at++) {
      const f0 = (f0Start + ((f0End - f0Start) * n) / length) * (1 + 0.01 * r.gauss());
      phase += (2 * Math.PI * f0) / 8000;
      let v = 0;
      for (let h = 1; h * f0 < 3800; h++) {
        const hz = h * f0;
        const gain = formants.reduce((g, F, i) => g + 1 / (1 + ((hz - F) / (60 + 40 * i)) ** 2), 0);
        v += (gain * Math.sin(h * phase)) / h;
      }
      out[at] = v * Math.sin((Math.PI * n) / length) + 0.02 * r.gauss();
    }
  }
  let peak = 0;
  for (const v of out) peak = Math.max(peak, Math.abs(v));
  return Int16Array.from(out, (v) => Math.round((v * 20000) / peak));
}
