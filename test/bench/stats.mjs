/**
 * Small helpers every bench shares: the median of repeated timings (the upper middle one for an even
 * count, as every bench has reported it), rounding for JSON output and the machine's load average.
 */
import { loadavg } from 'node:os';

/** The median of `xs` (the upper of the two middle values for an even count); xs is not modified. */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `x` rounded to `digits` decimals, as a number. */
export const round = (x, digits = 3) => Number(x.toFixed(digits));

/** The 1, 5 and 15 minute load averages, to two decimals. */
export const load = () => loadavg().map((x) => round(x, 2));
