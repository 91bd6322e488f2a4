/**
 * How far from their slots packets left: a histogram of |send time − slot| in 0.05-ms bins up to
 * 50 ms (a call of an hour is 180 000 packets; this stays 4 KB), so p50/p99 cost nothing to keep.
 */

export interface PacingStats {
  /** Packets sent, plus one per stall (recorded with its whole delay). */
  count: number;
  p50: number;
  p99: number;
  max: number;
  /** Packets more than 5 ms off their slot (issue 10's bound). */
  over5ms: number;
}

const BIN_MS = 0.05;
const BINS = 1000;

export function createPacingStats() {
  const bins = new Uint32Array(BINS + 1);
  let count = 0;
  let max = 0;
  let over5ms = 0;
  const quantile = (q: number) => {
    const rank = Math.ceil(q * count);
    let seen = 0;
    for (let i = 0; i <= BINS; i++) {
      seen += bins[i]!;
      if (seen >= rank) return i === BINS ? max : (i + 1) * BIN_MS;
    }
    return max;
  };
  return {
    record(deviationMs: number) {
      const d = Math.abs(deviationMs);
      bins[Math.min(BINS, Math.floor(d / BIN_MS))]!++;
      count++;
      if (d > 5) over5ms++;
      if (d > max) max = d;
    },
    /** Quantiles are the upper edge of their bin (0.05 ms resolution). */
    summary(): PacingStats {
      if (count === 0) return { count, p50: 0, p99: 0, max: 0, over5ms };
      const round = (ms: number) => Math.round(ms * 100) / 100;
      return { count, p50: round(quantile(0.5)), p99: round(quantile(0.99)), max: round(max), over5ms };
    },
  };
}
