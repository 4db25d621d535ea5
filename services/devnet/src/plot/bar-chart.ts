/**
 * Bar charts as SVG for per-window quantities, e.g. bytes moved per window split into "updates" and
 * "aggregate": grouped (side by side) or stacked. The y axis always includes 0, since bar lengths
 * are read from it. Same conventions and totality as the line chart: empty input says "no data".
 */
import { drawFrame, frameVertical, labelsOverlap, layoutFrame } from './chart-frame.js';
import type { AxisTick, FrameSpec } from './chart-frame.js';
import { chartSize } from './chart-size.js';
import { niceNumber, niceTicks } from './nice-ticks.js';
import { seriesStyle } from './palette.js';
import { px, svgDocument } from './svg.js';
import { tickFormatter } from './tick-format.js';

/** One series: a value per category; a non-finite value draws no bar. */
export interface BarSeries {
  readonly name: string;
  readonly values: readonly number[];
}

/** What {@link barChartSvg} draws. */
export interface BarChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  /** The x axis, one entry per bar group (e.g. window indices). */
  readonly categories: readonly (string | number)[];
  readonly series: readonly BarSeries[];
  /** Stack the series in each category instead of placing them side by side. */
  readonly stacked?: boolean;
  /** Pixels; default 800. */
  readonly width?: number;
  /** Pixels; default 450. */
  readonly height?: number;
}

/** One bar in data units: from `from` to `to` in category `category`, slot `slot` of `slots`. */
interface Bar {
  readonly category: number;
  readonly series: number;
  readonly from: number;
  readonly to: number;
}

function layoutBars(spec: BarChartSpec, stacked: boolean): Bar[] {
  const bars: Bar[] = [];
  spec.categories.forEach((_, c) => {
    let up = 0;
    let down = 0;
    spec.series.forEach((s, i) => {
      const v = s.values[c];
      if (v === undefined || !Number.isFinite(v) || v === 0) return;
      if (!stacked) bars.push({ category: c, series: i, from: 0, to: v });
      else if (v > 0) bars.push({ category: c, series: i, from: up, to: (up += v) });
      else bars.push({ category: c, series: i, from: down, to: (down += v) });
    });
  });
  return bars;
}

/**
 * An SVG bar chart (a complete document) with one group of bars per category, a nice-number y axis
 * from 0, category labels thinned to every 1st/2nd/5th/10th… so they never overlap, and the legend on
 * the right. Render to PNG with `renderPng`.
 */
export function barChartSvg(spec: BarChartSpec): string {
  const { width, height } = chartSize(spec);
  const stacked = spec.stacked ?? false;
  const bars = layoutBars(spec, stacked);
  const hasFinite = spec.series.some((s) => s.values.slice(0, spec.categories.length).some(Number.isFinite));
  const noData = spec.categories.length === 0 || !hasFinite;
  const styles = spec.series.map((_, i) => seriesStyle(i));
  const frame: FrameSpec = {
    width,
    height,
    title: spec.title,
    xLabel: spec.xLabel,
    yLabel: spec.yLabel,
    legend: spec.series.map((s, i) => ({ name: s.name, style: styles[i]!, kind: 'bar', marker: false })),
  };

  const ends = bars.flatMap((b) => [b.from, b.to]);
  const { top, bottom } = frameVertical(frame);
  const yTarget = Math.max(3, Math.min(8, Math.round((bottom - top) / 60)));
  const yTicks = niceTicks(Math.min(0, ...ends), Math.max(noData ? 1 : 0, ...ends), { target: yTarget });
  const yFormat = tickFormatter(yTicks.values, yTicks.step);
  const layout = layoutFrame(
    frame,
    yTicks.values.map((v) => yFormat(v)),
  );
  const { left, right } = layout;
  const yOf = (y: number) => bottom - ((y - yTicks.min) / (yTicks.max - yTicks.min)) * (bottom - top);

  const n = Math.max(1, spec.categories.length);
  const band = (right - left) / n;
  const groupWidth = band * (n === 1 ? 0.5 : 0.8);
  const slots = stacked ? 1 : Math.max(1, spec.series.length);
  const barWidth = groupWidth / slots;
  const gap = barWidth > 6 ? 1 : 0;
  const centre = (c: number) => left + band * (c + 0.5);

  const data = bars.map((b) => {
    const slot = stacked ? 0 : b.series;
    const x = centre(b.category) - groupWidth / 2 + slot * barWidth + gap / 2;
    const y1 = yOf(Math.max(b.from, b.to));
    const y2 = yOf(Math.min(b.from, b.to));
    const fill = styles[b.series]?.color ?? '#000000';
    return `<rect x="${px(x)}" y="${px(y1)}" width="${px(Math.max(0.5, barWidth - gap))}" height="${px(Math.max(0.5, y2 - y1))}" fill="${fill}"/>`;
  });

  const yAxisTicks: AxisTick[] = yTicks.values.map((v) => ({ pos: yOf(v), label: yFormat(v) }));
  const zeroY = yTicks.min < 0 && yTicks.max > 0 ? yOf(0) : null;
  const xTicks = categoryTicks(spec.categories, centre);
  const { under, over } = drawFrame(frame, layout, { x: xTicks, y: yAxisTicks, xGrid: false, zeroY, noData });
  return svgDocument(width, height, [...under, ...data, ...over]);
}

/** Labels for every k-th category, k the smallest of 1, 2, 5, 10, 20, … that keeps them apart. */
function categoryTicks(categories: readonly (string | number)[], centre: (c: number) => number): AxisTick[] {
  const all = categories.map((c, i) => ({ pos: centre(i), label: String(c) }));
  for (let every = 1; ; every = niceNumber(every + 1, false)) {
    const shown = all.filter((_, i) => i % every === 0);
    if (shown.length <= 1 || !labelsOverlap(shown)) return shown;
  }
}
