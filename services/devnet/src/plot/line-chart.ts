/**
 * Line charts as SVG: loss per window, scores per miner over time. Pure and total: any input,
 * including no series, NaN, ±Infinity, one point or a flat line, gives a well-formed chart (an empty
 * one says "no data"); only an invalid size throws.
 */
import { drawFrame, frameVertical, labelsOverlap, layoutFrame, marker } from './chart-frame.js';
import type { AxisTick, FrameSpec } from './chart-frame.js';
import { chartSize } from './chart-size.js';
import { logTicks, niceTicks, widenRange } from './nice-ticks.js';
import type { Ticks } from './nice-ticks.js';
import { seriesStyle } from './palette.js';
import { px, svgDocument } from './svg.js';
import { tickFormatter } from './tick-format.js';

/** Series with at most this many drawable points get a marker on each point. */
export const MARKER_MAX_POINTS = 25;

/** One point; a non-finite coordinate (or y ≤ 0 on a log axis) is a gap that breaks the line. */
export interface LinePoint {
  readonly x: number;
  readonly y: number;
}

/** One line, drawn through its points in the given order. */
export interface LineSeries {
  readonly name: string;
  readonly points: readonly LinePoint[];
  /** Draw dashed (e.g. a baseline or a reference run). */
  readonly dashed?: boolean;
}

/** What {@link lineChartSvg} draws. */
export interface LineChartSpec {
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly series: readonly LineSeries[];
  /** Logarithmic y axis; points with y ≤ 0 are then gaps. */
  readonly yLog?: boolean;
  /** Pixels; default 800. */
  readonly width?: number;
  /** Pixels; default 450. */
  readonly height?: number;
}

/** Fractions of the plot area left free between the axes and the data range. */
const X_INSET = 0.03;
const Y_INSET = 0.025;

function drawable(p: LinePoint, yLog: boolean): boolean {
  return Number.isFinite(p.x) && Number.isFinite(p.y) && (!yLog || p.y > 0);
}

/** Runs of consecutive drawable points; every gap starts a new run. */
export function splitSegments(points: readonly LinePoint[], yLog = false): LinePoint[][] {
  const runs: LinePoint[][] = [];
  let current: LinePoint[] = [];
  for (const p of points) {
    if (drawable(p, yLog)) current.push(p);
    else if (current.length > 0) {
      runs.push(current);
      current = [];
    }
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

/**
 * An SVG line chart (a complete document) with nice-number ticks, compact tick labels, axis titles,
 * a colour-blind-safe legend on the right, gaps at missing points and markers on short series.
 * Use it for per-window curves of the devnet report; render to PNG with `renderPng`.
 */
export function lineChartSvg(spec: LineChartSpec): string {
  const { width, height } = chartSize(spec);
  const yLog = spec.yLog ?? false;
  const all = spec.series.flatMap((s) => s.points.filter((p) => drawable(p, yLog)));
  const noData = all.length === 0;
  const styled = spec.series.map((s, i) => {
    const count = s.points.filter((p) => drawable(p, yLog)).length;
    return { series: s, style: seriesStyle(i, s.dashed ?? false), markers: count <= MARKER_MAX_POINTS };
  });
  const frame: FrameSpec = {
    width,
    height,
    title: spec.title,
    xLabel: spec.xLabel,
    yLabel: spec.yLabel,
    legend: styled.map((s) => ({ name: s.series.name, style: s.style, kind: 'line', marker: s.markers })),
  };

  const ys = all.map((p) => p.y);
  const { top, bottom } = frameVertical(frame);
  const yTarget = Math.max(3, Math.min(8, Math.round((bottom - top) / 60)));
  const yTicks: Ticks = yLog
    ? logTicks(noData ? 1 : Math.min(...ys), noData ? 10 : Math.max(...ys), yTarget)
    : niceTicks(noData ? 0 : Math.min(...ys), noData ? 1 : Math.max(...ys), { target: yTarget });
  const yFormat = tickFormatter(yTicks.values, yTicks.step);
  const layout = layoutFrame(
    frame,
    yTicks.values.map((v) => yFormat(v)),
  );
  const { left, right } = layout;
  // Data keeps a small distance from the axes (as x does below), so a series at 0 is not hidden on the x axis.
  const yInset = (bottom - top) * Y_INSET;
  const yUnit = yLog
    ? (y: number) => (Math.log10(y) - Math.log10(yTicks.min)) / Math.log10(yTicks.max / yTicks.min)
    : (y: number) => (y - yTicks.min) / (yTicks.max - yTicks.min);
  const yOf = (y: number) => bottom - yInset - yUnit(y) * (bottom - top - 2 * yInset);

  const xs = all.map((p) => p.x);
  const integerX = !noData && xs.every((x) => Number.isInteger(x));
  const [xMin, xMax] = widenRange(noData ? 0 : Math.min(...xs), noData ? 1 : Math.max(...xs), integerX);
  const inset = (right - left) * X_INSET;
  const xOf = (x: number) => left + inset + ((x - xMin) / (xMax - xMin)) * (right - left - 2 * inset);
  const xTicks = chooseXTicks(xMin, xMax, integerX, right - left, xOf);

  const yAxisTicks: AxisTick[] = yTicks.values.map((v) => ({ pos: yOf(v), label: yFormat(v) }));
  const zeroY = !yLog && yTicks.min < 0 && yTicks.max > 0 ? yOf(0) : null;
  const { under, over } = drawFrame(frame, layout, { x: xTicks, y: yAxisTicks, xGrid: true, zeroY, noData });

  const data: string[] = [];
  for (const { series, style, markers } of styled) {
    const segments = splitSegments(series.points, yLog);
    const dash = style.dash === null ? '' : ` stroke-dasharray="${style.dash}"`;
    const d = segments
      .filter((seg) => seg.length > 1)
      .map((seg) => seg.map((p, i) => `${i === 0 ? 'M' : 'L'}${px(xOf(p.x))} ${px(yOf(p.y))}`).join(''))
      .join('');
    if (d !== '') {
      data.push(
        `<path d="${d}" fill="none" stroke="${style.color}" stroke-width="2" stroke-linejoin="round" stroke-linecap="round"${dash}/>`,
      );
    }
    for (const seg of segments) {
      // A lone point between gaps has no line through it: always mark it.
      if (!markers && seg.length > 1) continue;
      for (const p of seg) data.push(marker(xOf(p.x), yOf(p.y), style.color));
    }
  }
  return svgDocument(width, height, [...under, ...data, ...over]);
}

/** The densest nice x ticks inside [xMin, xMax] whose labels do not overlap. */
function chooseXTicks(
  xMin: number,
  xMax: number,
  integer: boolean,
  plotWidth: number,
  xOf: (x: number) => number,
): AxisTick[] {
  let best: AxisTick[] = [];
  for (let target = Math.max(2, Math.min(12, Math.floor(plotWidth / 60))); target >= 2; target--) {
    const ticks = niceTicks(xMin, xMax, { target, integer });
    const step = ticks.step ?? 1;
    const inside = ticks.values.filter((v) => v >= xMin - step * 1e-6 && v <= xMax + step * 1e-6);
    const format = tickFormatter(inside, step);
    best = inside.map((v) => ({ pos: xOf(v), label: format(v) }));
    if (!labelsOverlap(best)) return best;
  }
  return best;
}
