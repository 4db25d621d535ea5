/** Chart dimensions: defaults and validation shared by every chart. */
import { InvalidArgumentError, expectedMessage } from '@cohort/core';

/** Default chart width in px: fits a report page and a terminal image viewer. */
export const DEFAULT_WIDTH = 800;
/** Default chart height in px (16:9 with the default width). */
export const DEFAULT_HEIGHT = 450;

/**
 * The width and height of a chart: the defaults, or the caller's values when they are integers in
 * [200, 8000]. Anything else is a caller bug: `InvalidArgumentError` with reason `PLOT_SIZE_INVALID`.
 */
export function chartSize(spec: { readonly width?: number; readonly height?: number }): {
  width: number;
  height: number;
} {
  const check = (value: number | undefined, fallback: number, what: string): number => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < 200 || value > 8000) {
      throw new InvalidArgumentError(expectedMessage('an integer in [200, 8000]', what, value), {
        reason: 'PLOT_SIZE_INVALID',
      });
    }
    return value;
  };
  return {
    width: check(spec.width, DEFAULT_WIDTH, 'width'),
    height: check(spec.height, DEFAULT_HEIGHT, 'height'),
  };
}
