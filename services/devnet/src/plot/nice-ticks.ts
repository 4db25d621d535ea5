/**
 * Axis ticks on "nice" numbers: steps of 1, 2 or 5 × 10^k (Heckbert, "Nice numbers for graph labels",
 * Graphics Gems 1990), and 1-2-5 or whole decades on a log axis. Pure; the charts call it with a
 * target count derived from the space the axis has, so labels never crowd.
 */

/** Ticks of one axis. */
export interface Ticks {
  /** Lower end of the axis: the first tick, at or below the data. */
  readonly min: number;
  /** Upper end of the axis: the last tick, at or above the data. */
  readonly max: number;
  /** Distance between ticks (linear), or `null` on a log axis. */
  readonly step: number | null;
  /** The tick values, ascending, from `min` to `max`. */
  readonly values: readonly number[];
}

/** Options of {@link niceTicks}. */
export interface NiceTicksOptions {
  /** Roughly how many ticks to produce (at least 2). Default 6. */
  readonly target?: number;
  /** Only whole-number ticks (e.g. window indices): the step is at least 1. */
  readonly integer?: boolean;
}

/** The nice number (1, 2, 5 or 10 × 10^k) closest to `x` when `round`, else the smallest one ≥ `x`. */
export function niceNumber(x: number, round: boolean): number {
  const exponent = Math.floor(Math.log10(x));
  const magnitude = 10 ** exponent;
  const fraction = x / magnitude;
  let nice: number;
  if (round) nice = fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10;
  else nice = fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10;
  return Number((nice * magnitude).toPrecision(12));
}

/** Remove binary floating-point noise (0.30000000000000004 → 0.3) relative to the step. */
function clean(value: number, step: number): number {
  const decimals = Math.max(0, Math.min(20, 1 - Math.floor(Math.log10(step))));
  const cleaned = Number(value.toFixed(decimals));
  return Object.is(cleaned, -0) ? 0 : cleaned;
}

/**
 * Expand a degenerate range (one value, or all values equal) into one with a visible extent, and
 * replace non-finite bounds by [0, 1], so a chart of a single point still gets an axis.
 */
export function widenRange(lo: number, hi: number, integer = false): [number, number] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [0, 1];
  if (lo > hi) [lo, hi] = [hi, lo];
  if (hi > lo) return [lo, hi];
  const pad = integer ? 1 : lo === 0 ? 1 : Math.abs(lo) * 0.1;
  return [lo - pad, hi + pad];
}

/** Linear ticks covering [lo, hi] at a nice step; the axis is extended out to the outer ticks. */
export function niceTicks(lo: number, hi: number, options: NiceTicksOptions = {}): Ticks {
  const integer = options.integer ?? false;
  const target = Math.max(2, Math.floor(options.target ?? 6));
  [lo, hi] = widenRange(lo, hi, integer);
  let step = niceNumber((hi - lo) / (target - 1), true);
  if (integer) step = Math.max(1, step);
  // Guard against ranges so narrow relative to their magnitude that floats cannot separate ticks.
  if (!(step > 0) || lo + step === lo) return { min: lo, max: hi, step: hi - lo, values: [lo, hi] };
  const first = Math.floor(lo / step);
  const last = Math.ceil(hi / step);
  const values: number[] = [];
  for (let i = first; i <= last; i++) values.push(clean(i * step, step));
  return { min: values[0] ?? lo, max: values[values.length - 1] ?? hi, step, values };
}

/**
 * Ticks of a log axis over positive [lo, hi]: 1-2-5 per decade when the data spans at most
 * `target / 3` decades, else whole decades (every n-th one when there are many).
 */
export function logTicks(lo: number, hi: number, target = 6): Ticks {
  if (!(lo > 0) || !(hi > 0) || !Number.isFinite(lo) || !Number.isFinite(hi)) return logTicks(1, 10, target);
  if (lo > hi) [lo, hi] = [hi, lo];
  if (lo === hi) [lo, hi] = [lo / 2, hi * 2];
  const firstDecade = Math.floor(Math.log10(lo) + 1e-9);
  const lastDecade = Math.ceil(Math.log10(hi) - 1e-9);
  const decades = Math.max(1, lastDecade - firstDecade);
  const mantissas = decades <= Math.max(1, target / 3) ? [1, 2, 5] : [1];
  const every = mantissas.length === 1 ? Math.max(1, Math.ceil(decades / Math.max(1, target - 1))) : 1;
  const all: number[] = [];
  for (let d = firstDecade; d < lastDecade + every; d += every) {
    for (const m of mantissas) all.push(Number((m * 10 ** d).toPrecision(12)));
  }
  // Keep the ticks inside the data plus the nearest one on either side.
  const below = all.filter((v) => v <= lo * (1 + 1e-9));
  const above = all.filter((v) => v >= hi * (1 - 1e-9));
  const min = below[below.length - 1] ?? all[0] ?? lo;
  const max = above[0] ?? all[all.length - 1] ?? hi;
  return { min, max, step: null, values: all.filter((v) => v >= min && v <= max) };
}
