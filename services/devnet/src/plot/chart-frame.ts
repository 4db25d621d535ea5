/**
 * What every chart shares around its data: title, plot area, grid, axes with ticks and labels, axis
 * titles and a legend outside the plot area on the right, so it never covers data. Layout runs in two
 * steps because the left margin depends on the y tick labels, which depend on the plot's height:
 * {@link frameVertical} → the chart picks y ticks → {@link layoutFrame} → x ticks → {@link drawFrame}.
 */
import type { SeriesStyle } from './palette.js';
import { px, svgText, textWidth, truncateText } from './svg.js';

const PAD = 14;
const TITLE_SIZE = 16;
const LABEL_SIZE = 13;
const TICK_SIZE = 12;
const LEGEND_SIZE = 12;
const TICK_LENGTH = 5;
const LEGEND_ROW = 20;
const LEGEND_SWATCH = 26;
const AXIS_COLOR = '#444';
const GRID_COLOR = '#e6e6e6';

/** The text and legend of a chart, as far as the frame is concerned. */
export interface FrameSpec {
  readonly width: number;
  readonly height: number;
  readonly title: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly legend: readonly LegendEntry[];
}

/** One legend row. */
export interface LegendEntry {
  readonly name: string;
  readonly style: SeriesStyle;
  /** `line`: a stroke (with a dot when `marker`); `bar`: a filled square. */
  readonly kind: 'line' | 'bar';
  readonly marker: boolean;
}

/** A tick at pixel position `pos` along its axis. */
export interface AxisTick {
  readonly pos: number;
  readonly label: string;
}

/** The plot area (inside the axes) and where the legend goes. */
export interface FrameLayout {
  readonly left: number;
  readonly top: number;
  readonly right: number;
  readonly bottom: number;
  readonly legendX: number;
  readonly legendRows: number;
  readonly legendColumnWidth: number;
  readonly legendNameWidth: number;
}

/** Top and bottom of the plot area; they depend only on the title and x label. */
export function frameVertical(spec: FrameSpec): { top: number; bottom: number } {
  const top = spec.title === '' ? PAD + 6 : PAD + TITLE_SIZE + 20;
  const bottom = spec.height - PAD - TICK_LENGTH - TICK_SIZE - 6 - (spec.xLabel === '' ? 0 : LABEL_SIZE + 10);
  return { top, bottom: Math.max(top + 20, bottom) };
}

/** The full layout, given the y tick labels the chart chose for the plot's height. */
export function layoutFrame(spec: FrameSpec, yTickLabels: readonly string[]): FrameLayout {
  const { top, bottom } = frameVertical(spec);
  const yLabelsWidth = Math.max(0, ...yTickLabels.map((l) => textWidth(l, TICK_SIZE)));
  const left = PAD + (spec.yLabel === '' ? 0 : LABEL_SIZE + 10) + yLabelsWidth + TICK_LENGTH + 6;
  const legendNameWidth = Math.min(
    spec.width * 0.22,
    Math.max(0, ...spec.legend.map((e) => textWidth(e.name, LEGEND_SIZE))),
  );
  const legendColumnWidth = LEGEND_SWATCH + 8 + legendNameWidth + 12;
  const legendRows = Math.max(1, Math.floor((bottom - top) / LEGEND_ROW));
  const columns = Math.ceil(spec.legend.length / legendRows);
  const legendWidth = columns * legendColumnWidth;
  const right = spec.width - PAD - (columns === 0 ? 6 : legendWidth + 12);
  return {
    left,
    top,
    right: Math.max(left + 40, right),
    bottom,
    legendX: Math.max(left + 40, right) + 18,
    legendRows,
    legendColumnWidth,
    legendNameWidth,
  };
}

/** True when the labels centred on their ticks would touch each other (a gap of 10 px is kept). */
export function labelsOverlap(ticks: readonly AxisTick[], size = TICK_SIZE): boolean {
  const sorted = [...ticks].sort((a, b) => a.pos - b.pos);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (b.pos - a.pos < (textWidth(a.label, size) + textWidth(b.label, size)) / 2 + 10) return true;
  }
  return false;
}

/** Options of {@link drawFrame}. */
export interface FrameAxes {
  readonly x: readonly AxisTick[];
  readonly y: readonly AxisTick[];
  /** Vertical grid lines at the x ticks (line charts), none for categories (bar charts). */
  readonly xGrid: boolean;
  /** Pixel y of the value 0 when it lies strictly inside the axis: drawn as a darker line. */
  readonly zeroY: number | null;
  /** Print "no data" in the middle of the plot area. */
  readonly noData: boolean;
}

/** The frame's markup: `under` goes before the data (grid), `over` after it (axes, labels, legend). */
export function drawFrame(
  spec: FrameSpec,
  layout: FrameLayout,
  axes: FrameAxes,
): { under: string[]; over: string[] } {
  const { left, top, right, bottom } = layout;
  const under: string[] = [];
  const over: string[] = [];
  for (const t of axes.y) under.push(hLine(left, right, t.pos, GRID_COLOR));
  if (axes.xGrid) for (const t of axes.x) under.push(vLine(t.pos, top, bottom, GRID_COLOR));
  if (axes.zeroY !== null) under.push(hLine(left, right, axes.zeroY, '#b0b0b0'));

  // The axis lines go under the data, so a series lying on 0 or on the axis' end stays visible.
  under.push(
    `<path d="M${px(left)} ${px(top)}V${px(bottom)}H${px(right)}" stroke="${AXIS_COLOR}" stroke-width="1" fill="none"/>`,
  );
  over.push(`<g stroke="${AXIS_COLOR}" stroke-width="1" fill="none">`);
  for (const t of axes.x) over.push(`<path d="M${px(t.pos)} ${px(bottom)}v${TICK_LENGTH}"/>`);
  for (const t of axes.y) over.push(`<path d="M${px(left)} ${px(t.pos)}h${-TICK_LENGTH}"/>`);
  over.push('</g>');
  for (const t of axes.x) {
    over.push(svgText(t.pos, bottom + TICK_LENGTH + TICK_SIZE + 3, t.label, tick('middle')));
  }
  for (const t of axes.y) {
    over.push(svgText(left - TICK_LENGTH - 4, t.pos, t.label, { ...tick('end'), dy: 0.35 }));
  }
  if (spec.title !== '') {
    const title = truncateText(spec.title, TITLE_SIZE, spec.width - 2 * PAD);
    over.push(
      svgText(spec.width / 2, PAD + TITLE_SIZE, title, {
        size: TITLE_SIZE,
        anchor: 'middle',
        weight: 'bold',
      }),
    );
  }
  if (spec.xLabel !== '') {
    const label = truncateText(spec.xLabel, LABEL_SIZE, right - left);
    over.push(svgText((left + right) / 2, spec.height - PAD, label, { size: LABEL_SIZE, anchor: 'middle' }));
  }
  if (spec.yLabel !== '') {
    const label = truncateText(spec.yLabel, LABEL_SIZE, bottom - top);
    const x = PAD + LABEL_SIZE - 2;
    over.push(svgText(x, (top + bottom) / 2, label, { size: LABEL_SIZE, anchor: 'middle', rotate: -90 }));
  }
  if (axes.noData) {
    over.push(
      svgText((left + right) / 2, (top + bottom) / 2, 'no data', {
        size: LABEL_SIZE,
        anchor: 'middle',
        fill: '#888',
      }),
    );
  }
  over.push(...drawLegend(spec.legend, layout));
  return { under, over };
}

function tick(anchor: 'middle' | 'end') {
  return { size: TICK_SIZE, anchor, fill: '#333' } as const;
}

function hLine(x1: number, x2: number, y: number, color: string): string {
  return `<path d="M${px(x1)} ${px(y)}H${px(x2)}" stroke="${color}" stroke-width="1"/>`;
}

function vLine(x: number, y1: number, y2: number, color: string): string {
  return `<path d="M${px(x)} ${px(y1)}V${px(y2)}" stroke="${color}" stroke-width="1"/>`;
}

function drawLegend(entries: readonly LegendEntry[], layout: FrameLayout): string[] {
  const out: string[] = [];
  entries.forEach((entry, i) => {
    const column = Math.floor(i / layout.legendRows);
    const x = layout.legendX + column * layout.legendColumnWidth;
    const y = layout.top + 8 + (i % layout.legendRows) * LEGEND_ROW;
    const { color, dash } = entry.style;
    if (entry.kind === 'bar') {
      out.push(
        `<rect x="${px(x + LEGEND_SWATCH - 12)}" y="${px(y - 6)}" width="12" height="12" fill="${color}"/>`,
      );
    } else {
      const dashAttr = dash === null ? '' : ` stroke-dasharray="${dash}"`;
      out.push(
        `<path d="M${px(x)} ${px(y)}h${LEGEND_SWATCH}" stroke="${color}" stroke-width="2.5"${dashAttr}/>`,
      );
      if (entry.marker) out.push(marker(x + LEGEND_SWATCH / 2, y, color));
    }
    const name = truncateText(entry.name, LEGEND_SIZE, layout.legendNameWidth);
    out.push(svgText(x + LEGEND_SWATCH + 8, y, name, { size: LEGEND_SIZE, dy: 0.35, fill: '#222' }));
  });
  return out;
}

/** A data point marker (a dot with a white rim, visible over lines and grid). */
export function marker(x: number, y: number, color: string): string {
  return `<circle cx="${px(x)}" cy="${px(y)}" r="3.5" fill="${color}" stroke="#ffffff" stroke-width="1"/>`;
}
