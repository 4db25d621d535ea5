/**
 * SVG → PNG, headless, with resvg (Rust, no browser, no system cairo). Rasterising runs on libuv's
 * thread pool via `renderAsync`, so a report does not stall the devnet's event loop; only the PNG
 * encoding (`asPng`) runs on the calling thread, about 8 ms for an 800×450 chart. resvg draws text
 * only with a font it can load and silently drops text otherwise, so the font set is checked once by
 * rendering a probe glyph: a plot without labels is refused with {@link FontUnavailableError}.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { renderAsync } from '@resvg/resvg-js';
import type { ResvgRenderOptions } from '@resvg/resvg-js';
import { CohortError, Code, InvalidArgumentError } from '@cohort/core';

/** Where DejaVu Sans lives on common distributions (Debian/Ubuntu `fonts-dejavu-core` first). */
export const DEJAVU_SANS_PATHS: readonly string[] = [
  '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf',
  '/usr/share/fonts/TTF/DejaVuSans.ttf',
  '/usr/share/fonts/dejavu/DejaVuSans.ttf',
];

/** No usable font: text would be missing from the PNG. Install `fonts-dejavu-core` (`make setup`). */
export class FontUnavailableError extends CohortError {
  override readonly name: string = 'FontUnavailableError';
  constructor(message: string, cause?: unknown) {
    super(Code.FailedPrecondition, message, { reason: 'PLOT_FONT_UNAVAILABLE', cause });
  }
}

/** Options of {@link renderPng}. */
export interface RenderPngOptions {
  /**
   * Font files to use instead of the default: DejaVu Sans (regular and bold) from
   * {@link DEJAVU_SANS_PATHS}, or the system's fonts when none of those exists.
   */
  readonly fontFiles?: readonly string[];
}

type FontOptions = NonNullable<ResvgRenderOptions['font']>;

/** The font options for resvg: explicit files, else DejaVu Sans on disk, else every system font. */
function fontOptions(fontFiles: readonly string[] | undefined): FontOptions {
  if (fontFiles !== undefined) {
    const missing = fontFiles.filter((f) => !existsSync(f));
    if (fontFiles.length === 0 || missing.length > 0) {
      throw new FontUnavailableError(
        fontFiles.length === 0 ? 'No font files given' : `Font file(s) not found: ${missing.join(', ')}`,
      );
    }
    return { loadSystemFonts: false, fontFiles: [...fontFiles], defaultFontFamily: 'DejaVu Sans' };
  }
  const regular = DEJAVU_SANS_PATHS.find((p) => existsSync(p));
  if (regular === undefined) return { loadSystemFonts: true };
  const bold = join(dirname(regular), 'DejaVuSans-Bold.ttf');
  const files = existsSync(bold) ? [regular, bold] : [regular];
  return { loadSystemFonts: false, fontFiles: files, defaultFontFamily: 'DejaVu Sans' };
}

const PROBE_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="24"><rect width="40" height="24" fill="#fff"/>' +
  `<text x="4" y="18" font-size="16" font-family="'DejaVu Sans', sans-serif" fill="#000">H8</text></svg>`;

/** Verified font configurations, by their JSON; a failed probe is not cached (fonts may be installed later). */
const verified = new Map<string, Promise<void>>();

async function probeFonts(font: FontOptions): Promise<void> {
  const image = await renderAsync(PROBE_SVG, { font, logLevel: 'off' });
  const pixels = image.pixels;
  let dark = 0;
  for (let i = 0; i < pixels.length; i += 4) if ((pixels[i] ?? 255) < 128) dark++;
  if (dark === 0) {
    const where = font.fontFiles === undefined ? 'among the system fonts' : `in ${font.fontFiles.join(', ')}`;
    throw new FontUnavailableError(
      `No font renders text ${where}; install DejaVu Sans (Debian: fonts-dejavu-core, run \`make setup\`)`,
    );
  }
}

function ensureFonts(font: FontOptions): Promise<void> {
  const key = JSON.stringify(font);
  let probe = verified.get(key);
  if (probe === undefined) {
    probe = probeFonts(font).catch((error: unknown) => {
      verified.delete(key);
      throw error;
    });
    verified.set(key, probe);
  }
  return probe;
}

/**
 * Render an SVG document (e.g. from `lineChartSvg`) to PNG bytes at the SVG's own width and height,
 * off the event loop. Rejects with {@link FontUnavailableError} when no font can draw the labels and
 * with `InvalidArgumentError` (`PLOT_SVG_INVALID`) when resvg cannot parse the SVG.
 */
export async function renderPng(svg: string, options: RenderPngOptions = {}): Promise<Buffer> {
  const font = fontOptions(options.fontFiles);
  await ensureFonts(font);
  try {
    const image = await renderAsync(svg, { font, logLevel: 'off', fitTo: { mode: 'original' } });
    return image.asPng();
  } catch (error) {
    throw new InvalidArgumentError(`resvg cannot render the SVG: ${CohortError.from(error).message}`, {
      reason: 'PLOT_SVG_INVALID',
      cause: error,
    });
  }
}
