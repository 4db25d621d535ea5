/**
 * The few SVG primitives the charts share: escaping, coordinate formatting, text and a width estimate.
 * Charts are built as strings (no DOM on the server), so every piece of user text goes through
 * {@link escapeXml} here and nowhere else.
 */

/** The font the charts ask for; render-png.ts loads it (DejaVu Sans) so text metrics match the estimate. */
export const FONT_FAMILY = "'DejaVu Sans', sans-serif";

/** Escape text for an SVG text node or attribute value; drops characters XML 1.0 forbids. */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** A coordinate with at most two decimals and no trailing zeros, so the SVG stays small and stable. */
export function px(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/**
 * Approximate rendered width of `text` in DejaVu Sans at `size` px: layout uses it to size margins
 * and to keep tick labels from overlapping (glyph averages: digits 0.64 em, letters about 0.6 em).
 */
export function textWidth(text: string, size: number): number {
  let em = 0;
  for (const ch of text) em += /[ .,:;!|il1'()[\]]/.test(ch) ? 0.34 : /[mwMW@%]/.test(ch) ? 0.9 : 0.62;
  return em * size;
}

/** Options of {@link svgText}. */
export interface TextOptions {
  readonly size: number;
  readonly anchor?: 'start' | 'middle' | 'end';
  readonly weight?: 'normal' | 'bold';
  readonly fill?: string;
  /** Degrees, around (x, y). */
  readonly rotate?: number;
  /** Shift along y in em units, e.g. 0.35 to centre a line on y. */
  readonly dy?: number;
}

/** A `<text>` element with escaped content. */
export function svgText(x: number, y: number, content: string, options: TextOptions): string {
  const attrs = [`x="${px(x)}"`, `y="${px(y)}"`, `font-size="${options.size}"`];
  if (options.anchor !== undefined && options.anchor !== 'start')
    attrs.push(`text-anchor="${options.anchor}"`);
  if (options.weight === 'bold') attrs.push('font-weight="bold"');
  attrs.push(`fill="${options.fill ?? '#222'}"`);
  if (options.dy !== undefined) attrs.push(`dy="${options.dy}em"`);
  if (options.rotate !== undefined) attrs.push(`transform="rotate(${options.rotate} ${px(x)} ${px(y)})"`);
  return `<text ${attrs.join(' ')}>${escapeXml(content)}</text>`;
}

/** Shorten `text` with an ellipsis so it fits `maxWidth` px at `size`. */
export function truncateText(text: string, size: number, maxWidth: number): string {
  if (textWidth(text, size) <= maxWidth) return text;
  const chars = [...text];
  while (chars.length > 1 && textWidth(chars.join('') + '…', size) > maxWidth) chars.pop();
  return chars.join('') + '…';
}

/** A whole SVG document with a white background; `body` is trusted markup built by this module. */
export function svgDocument(width: number, height: number, body: readonly string[]): string {
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${escapeXml(FONT_FAMILY)}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    '</svg>',
    '',
  ].join('\n');
}
