import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Resvg } from '@resvg/resvg-js';
import { barChartSvg } from './bar-chart.js';
import type { BarChartSpec } from './bar-chart.js';

const base = { title: 'Bytes per window', xLabel: 'window', yLabel: 'bytes' } as const;

interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
  fill: string;
}

/** The data bars (the legend's swatches are 12×12 squares, the background has no x). */
function bars(svg: string): Rect[] {
  return [
    ...svg.matchAll(/<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="([^"]+)"\/>/g),
  ]
    .map((m) => ({
      x: Number(m[1]),
      y: Number(m[2]),
      width: Number(m[3]),
      height: Number(m[4]),
      fill: m[5] ?? '',
    }))
    .filter((r) => !(r.width === 12 && r.height === 12));
}

function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] ?? '');
}

const spec: BarChartSpec = {
  ...base,
  categories: [0, 1, 2],
  series: [
    { name: 'updates', values: [4e6, 4.2e6, Number.NaN] },
    { name: 'aggregate', values: [1e6, 1e6, 1e6] },
  ],
};

test('grouped bars: one per finite value, side by side, heights proportional', () => {
  const svg = barChartSvg(spec);
  const drawn = bars(svg);
  assert.equal(drawn.length, 5); // the NaN draws nothing
  const [u0, a0] = [drawn[0]!, drawn[1]!];
  assert.ok(a0.x > u0.x, 'aggregate beside updates');
  assert.ok(Math.abs(u0.height / a0.height - 4) < 0.02, `${u0.height} vs ${a0.height}`);
  assert.equal(u0.y + u0.height, a0.y + a0.height, 'both start at 0');
  const labels = texts(svg);
  for (const l of ['Bytes per window', 'window', 'bytes', 'updates', 'aggregate', '0', '1', '2', '4M']) {
    assert.ok(labels.includes(l), l);
  }
  new Resvg(svg, { font: { loadSystemFonts: false } });
});

test('stacked bars sit on each other', () => {
  const drawn = bars(barChartSvg({ ...spec, stacked: true }));
  const [u0, a0] = [drawn[0]!, drawn[1]!];
  assert.equal(u0.x, a0.x);
  assert.ok(Math.abs(a0.y + a0.height - u0.y) < 0.02, 'aggregate on top of updates');
});

test('negative values hang below a zero line', () => {
  const svg = barChartSvg({ ...base, categories: ['a'], series: [{ name: 'd', values: [-3] }] });
  const labels = texts(svg);
  assert.ok(labels.includes('0') && labels.some((l) => l.startsWith('−')), labels.join(' '));
});

test('category labels thin out to keep apart', () => {
  const categories = Array.from({ length: 120 }, (_, i) => i);
  const svg = barChartSvg({ ...base, categories, series: [{ name: 'b', values: categories.map(() => 1) }] });
  const shown = texts(svg).filter((l) => /^\d+$/.test(l) && Number(l) >= 2);
  assert.ok(shown.includes('10') && shown.includes('110'));
  assert.ok(!shown.includes('11') && !shown.includes('3'));
  assert.equal(bars(svg).length, 120);
});

test('nothing to draw says "no data" and never throws', () => {
  const empties: BarChartSpec[] = [
    { ...base, categories: [], series: [] },
    { ...base, categories: [1, 2], series: [] },
    { ...base, categories: [1], series: [{ name: 'x', values: [Number.NaN] }] },
  ];
  for (const e of empties) {
    const svg = barChartSvg(e);
    assert.ok(texts(svg).includes('no data'));
    assert.equal(bars(svg).length, 0);
    assert.doesNotMatch(svg, /NaN|Infinity/);
  }
});
