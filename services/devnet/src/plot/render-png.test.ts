import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { InvalidArgumentError } from '@cohort/core';
import { lineChartSvg } from './line-chart.js';
import { FontUnavailableError, renderPng } from './render-png.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const chart = (title: string) =>
  lineChartSvg({
    title,
    xLabel: 'window',
    yLabel: 'loss',
    width: 640,
    height: 360,
    series: [{ name: 'loss', points: [5, 4, 3.5].map((y, x) => ({ x, y })) }],
  });

const fontMissing = (e: unknown) => e instanceof FontUnavailableError && e.reason === 'PLOT_FONT_UNAVAILABLE';

test('renders a PNG of the SVG size', async () => {
  const png = await renderPng(chart('Loss'));
  assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE);
  assert.equal(png.toString('latin1', 12, 16), 'IHDR'); // the first chunk
  assert.equal(png.readUInt32BE(16), 640);
  assert.equal(png.readUInt32BE(20), 360);
});

test('text is drawn: a different title gives a different image', async () => {
  // resvg drops text silently without a font; identical images would mean labels are missing.
  const [a, b] = await Promise.all([renderPng(chart('Loss')), renderPng(chart('Loss per window'))]);
  assert.notDeepEqual(a, b);
});

test('no usable font is a typed error, not a PNG without labels', async () => {
  await assert.rejects(renderPng(chart('x'), { fontFiles: ['/nonexistent/DejaVuSans.ttf'] }), fontMissing);
  await assert.rejects(renderPng(chart('x'), { fontFiles: [] }), fontMissing);
  const dir = mkdtempSync(join(tmpdir(), 'cohort-plot-'));
  try {
    const junk = join(dir, 'junk.ttf');
    writeFileSync(junk, 'not a font');
    await assert.rejects(renderPng(chart('x'), { fontFiles: [junk] }), fontMissing);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unparsable SVG is refused', async () => {
  await assert.rejects(
    renderPng('<svg'),
    (e) => e instanceof InvalidArgumentError && e.reason === 'PLOT_SVG_INVALID',
  );
});
