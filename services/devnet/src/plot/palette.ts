/**
 * Series styles: the Okabe–Ito colour-blind-safe palette (its yellow dropped: too faint on white),
 * cycled, with a new dash pattern each time the colours run out, so 7 × 4 series stay distinct.
 */

/** Okabe & Ito (2008) colours in the order used, distinguishable under the common colour-vision deficiencies. */
export const PALETTE: readonly string[] = [
  '#0072B2', // blue
  '#E69F00', // orange
  '#009E73', // bluish green
  '#D55E00', // vermillion
  '#CC79A7', // reddish purple
  '#56B4E9', // sky blue
  '#000000', // black
];

/** SVG `stroke-dasharray` values; the first (solid) is `null`. */
export const DASH_PATTERNS: readonly (string | null)[] = [null, '7 4', '2 3', '9 3 2 3'];

/** The pattern a series marked `dashed` gets when its own pattern is solid. */
const DEFAULT_DASH = '7 4';

/** How one series is drawn. */
export interface SeriesStyle {
  readonly color: string;
  /** `stroke-dasharray`, or `null` for a solid line. */
  readonly dash: string | null;
}

/** The style of the `index`-th series (0-based); `dashed` forces a dash pattern. */
export function seriesStyle(index: number, dashed = false): SeriesStyle {
  const color = PALETTE[index % PALETTE.length] ?? '#000000';
  const dash = DASH_PATTERNS[Math.floor(index / PALETTE.length) % DASH_PATTERNS.length] ?? null;
  return { color, dash: dashed && dash === null ? DEFAULT_DASH : dash };
}
