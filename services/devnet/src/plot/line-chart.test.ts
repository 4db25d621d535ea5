import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Resvg } from '@resvg/resvg-js';
import { InvalidArgumentError } from '@cohort/core';
import { lineChartSvg, MARKER_MAX_POINTS, splitSegments } from './line-chart.js';
import type { LineChartSpec, LinePoint } from './line-chart.js';
import { PALETTE } from './palette.js';

const base = { title: 'Loss per window', xLabel: 'window', yLabel: 'loss' } as const;
const line = (ys: readonly number[]): LinePoint[] => ys.map((y, x) => ({ x, y }));

/** The text content of every `<text>` element, unescaped for & < > only as the checks need. */
function texts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1] ?? '');
}

/** The `d` of each series path (stroke-width 2), in series order. */
function seriesPaths(svg: string): string[] {
  return [...svg.matchAll(/<path d="([^"]+)" fill="none" stroke="[^"]+" stroke-width="2"/g)].map(
    (m) => m[1] ?? '',
  );
}

/** resvg parses the document: it is well-formed SVG. */
function assertRenderable(svg: string): void {
  const r = new Resvg(svg, { font: { loadSystemFonts: false } });
  assert.ok(r.width > 0 && r.height > 0);
  assert.doesNotMatch(svg, /NaN|Infinity|undefined/);
}

test('the chart carries its title, axis titles, tick labels and legend', () => {
  const svg = lineChartSvg({
    ...base,
    series: [
      { name: 'aggregate', points: line([5.5, 4.5, 3.9, 3.2]) },
      { name: 'baseline', points: line([5.4, 4.2, 3.5, 3.0]), dashed: true },
    ],
  });
  const labels = texts(svg);
  for (const label of ['Loss per window', 'window', 'loss', 'aggregate', 'baseline']) {
    assert.ok(labels.includes(label), label);
  }
  // Integer x: window ticks only, no 0.5.
  assert.deepEqual(
    labels.filter((l) => /^\d$/.test(l)),
    ['0', '1', '2', '3'],
  );
  assert.ok(labels.includes('3.0') && labels.includes('5.5'));
  assert.match(svg, /transform="rotate\(-90 /); // the y title
  assert.match(svg, /stroke-dasharray="7 4"/); // the dashed series
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="800" height="450"/);
  assertRenderable(svg);
});

test('all text is XML-escaped', () => {
  const svg = lineChartSvg({
    title: 'a < b & "c" \'d\' > e',
    xLabel: '<x>',
    yLabel: 'y&y',
    series: [{ name: '</text><script>alert(1)</script>', points: line([1, 2]) }],
  });
  assert.ok(svg.includes('a &lt; b &amp; &quot;c&quot; &apos;d&apos; &gt; e'));
  assert.ok(svg.includes('&lt;x&gt;') && svg.includes('y&amp;y'));
  assert.ok(!svg.includes('<script>'));
  assertRenderable(svg);
});

test('a NaN breaks the line into two subpaths', () => {
  const points = line([3, 2.5, Number.NaN, 2, 1.8]);
  assert.deepEqual(
    splitSegments(points).map((s) => s.length),
    [2, 2],
  );
  const [d] = seriesPaths(lineChartSvg({ ...base, series: [{ name: 'loss', points }] }));
  assert.equal(d?.match(/M/g)?.length, 2);
  assert.equal(d?.match(/L/g)?.length, 2);
  // Infinity and (on a log axis) non-positive values are gaps too.
  assert.equal(splitSegments(line([1, Number.POSITIVE_INFINITY, 2, 3])).length, 2);
  assert.equal(splitSegments(line([1, 0, 2, -1, 3]), true).length, 3);
});

test('short series get markers, long ones do not, lone points always do', () => {
  const count = (svg: string) => svg.match(/<circle /g)?.length ?? 0;
  const legendMarkers = 1;
  const short = lineChartSvg({ ...base, series: [{ name: 's', points: line([1, 2, 3]) }] });
  assert.equal(count(short), 3 + legendMarkers);
  const ys = Array.from({ length: MARKER_MAX_POINTS + 5 }, (_, i) => i);
  ys[10] = Number.NaN;
  ys[12] = Number.NaN; // point 11 stands alone
  const long = lineChartSvg({ ...base, series: [{ name: 'l', points: line(ys) }] });
  assert.equal(count(long), 1);
});

test('series get distinct palette colours, then dash patterns', () => {
  const series = Array.from({ length: PALETTE.length + 1 }, (_, i) => ({
    name: `m${i}`,
    points: line([i, i + 1]),
  }));
  const svg = lineChartSvg({ ...base, series });
  const strokes = [...svg.matchAll(/fill="none" stroke="([^"]+)" stroke-width="2"/g)];
  const colours = strokes.map((m) => m[1]);
  assert.equal(new Set(colours.slice(0, PALETTE.length)).size, PALETTE.length);
  assert.equal(colours[PALETTE.length], colours[0]);
  const paths = svg.split('\n').filter((l) => l.includes('stroke-width="2" stroke-linejoin'));
  assert.ok(!paths[0]?.includes('stroke-dasharray'));
  assert.ok(paths[PALETTE.length]?.includes('stroke-dasharray'));
});

test('edge cases render a chart instead of throwing', () => {
  const specs: LineChartSpec[] = [
    { ...base, series: [] },
    { ...base, series: [{ name: 'empty', points: [] }] },
    { ...base, series: [{ name: 'nan', points: [{ x: Number.NaN, y: 1 }] }] },
    { ...base, series: [{ name: 'one', points: [{ x: 3, y: 4.2 }] }] },
    { ...base, series: [{ name: 'flat', points: line([7, 7, 7]) }] },
    { ...base, series: [{ name: 'zero', points: line([0, 0]) }] },
    { ...base, series: [{ name: 'neg', points: line([-3e6, 2e6, -1e6]) }] },
    { ...base, series: [{ name: 'tiny', points: line([2.5e-4, 1e-5]) }] },
    { ...base, series: [{ name: 'huge', points: line([1e17, 3e18]) }] },
    { ...base, yLog: true, series: [{ name: 'log', points: line([1e4, 30, 0.2]) }] },
    { ...base, yLog: true, series: [{ name: 'nonpositive', points: line([0, -1]) }] },
    { title: '', xLabel: '', yLabel: '', series: [{ name: '', points: line([1, 2]) }] },
  ];
  for (const spec of specs) assertRenderable(lineChartSvg(spec));

  const empty = texts(lineChartSvg({ ...base, series: [] }));
  assert.ok(empty.includes('no data') && empty.includes('window') && empty.includes('loss'));
  assert.ok(
    !texts(lineChartSvg({ ...base, series: [{ name: 'one', points: [{ x: 3, y: 4.2 }] }] })).includes(
      'no data',
    ),
  );
  const huge = texts(lineChartSvg({ ...base, series: [{ name: 'neg', points: line([-3e6, 2e6]) }] }));
  assert.ok(huge.includes('−2M') && huge.includes('2M'), huge.join(' '));
  const tiny = texts(lineChartSvg({ ...base, series: [{ name: 't', points: line([0, 2.5e-4]) }] }));
  assert.ok(tiny.includes('2.5e−4'), tiny.join(' '));
});

test('x tick labels do not overlap on a narrow chart', () => {
  const svg = lineChartSvg({
    ...base,
    width: 240,
    series: [{ name: 'x', points: Array.from({ length: 10 }, (_, i) => ({ x: i * 1.234e6, y: i })) }],
  });
  const xs = [...svg.matchAll(/<text x="([\d.]+)" y="([\d.]+)" font-size="12" text-anchor="middle"/g)]
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b);
  assert.ok(xs.length >= 2);
  for (let i = 1; i < xs.length; i++) assert.ok(xs[i]! - xs[i - 1]! >= 40, `ticks at ${xs.join(', ')}`);
});

test('an invalid size is a caller bug', () => {
  for (const width of [0, 199, 800.5, Number.NaN, 9000]) {
    assert.throws(
      () => lineChartSvg({ ...base, series: [], width }),
      (e) => e instanceof InvalidArgumentError && e.reason === 'PLOT_SIZE_INVALID',
    );
  }
  assert.match(lineChartSvg({ ...base, series: [], width: 640, height: 360 }), /width="640" height="360"/);
});
