/**
 * Headless plots for the devnet report (`cohort devnet` writes loss per window, scores per miner and
 * bytes per window as PNG). Charts are pure functions from a spec to an SVG string, so they are
 * testable without a renderer and can be embedded as SVG too; {@link renderPng} turns one into PNG
 * bytes off the event loop. Use `lineChartSvg` for curves over windows and `barChartSvg` for
 * per-window quantities that add up (bytes moved).
 */
export { lineChartSvg, MARKER_MAX_POINTS, splitSegments } from './line-chart.js';
export type { LineChartSpec, LinePoint, LineSeries } from './line-chart.js';
export { barChartSvg } from './bar-chart.js';
export type { BarChartSpec, BarSeries } from './bar-chart.js';
export { renderPng, FontUnavailableError, DEJAVU_SANS_PATHS } from './render-png.js';
export type { RenderPngOptions } from './render-png.js';
export { niceTicks, logTicks, niceNumber } from './nice-ticks.js';
export type { NiceTicksOptions, Ticks } from './nice-ticks.js';
export { tickFormatter, formatCompact } from './tick-format.js';
export { PALETTE, seriesStyle } from './palette.js';
export type { SeriesStyle } from './palette.js';
export { DEFAULT_WIDTH, DEFAULT_HEIGHT } from './chart-size.js';
