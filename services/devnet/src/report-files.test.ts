import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DEVNET_DEFAULTS } from './devnet-options.js';
import type { DevnetReport } from './devnet-report.js';
import { PLOTS, reportMarkdown, writeReport } from './report-files.js';
import type { WindowRow } from './window-stats.js';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const row = (window: number, over: Partial<WindowRow> = {}): WindowRow => ({
  window,
  trainLoss: 4.5 - window,
  tokensPerSecond: 1000,
  updates: 3,
  updateBytes: 3000,
  aggregateBytes: 1500,
  contributors: ['h1', 'h2'],
  scores: { h1: 0.5, h2: 0.4, hF: 0 },
  penalties: {},
  scored: true,
  ...over,
});

const report: DevnetReport = {
  options: { ...DEVNET_DEFAULTS, miners: 2, adversaries: ['flipped'], windows: 2 },
  status: 'completed',
  startedAt: '2026-01-02T03:04:05.000Z',
  timings: { startupMs: 12_300, runMs: 40_000, totalMs: 52_300, windowMs: 20_000 },
  machine: { cores: 4, meanCpu: undefined },
  model: { preset: 'devnet', parameters: 1_234_567 },
  participants: [
    { name: 'miner-1', kind: 'honest', hotkey: 'h1', uid: 1 },
    { name: 'miner-2', kind: 'honest', hotkey: 'h2', uid: 2 },
    { name: 'flipped', kind: 'flipped', hotkey: 'hF', uid: 3, expected: 'HARMFUL' },
  ],
  rows: [
    row(0, { trainLoss: undefined, aggregateBytes: undefined, contributors: [], scored: false, scores: {} }),
    row(1, {
      penalties: { hF: ['HARMFUL', 'LOW_SCORE'], 'hV-0123456789': ['INACTIVE'] },
      contributors: ['h1', 'h2', 'stranger-hotkey'],
    }),
  ],
  heldout: [
    { window: 0, loss: 5.5 },
    { window: 1, loss: null },
    { window: 2, loss: 4.25 },
  ],
  weights: [
    { name: 'miner-1', kind: 'honest', uid: 1, weight: 0.6 },
    { name: 'miner-2', kind: 'honest', uid: 2, weight: 0.4 },
    { name: 'flipped', kind: 'flipped', uid: undefined, weight: 0 },
  ],
  verdicts: [
    {
      name: 'flipped',
      kind: 'flipped',
      expected: 'HARMFUL',
      actedIn: 1,
      caughtIn: 1,
      reasons: ['HARMFUL', 'LOW_SCORE'],
      aggregatedIn: [],
    },
  ],
  wire: {
    denseBytes: 4_000_000,
    meanHonestUpdateBytes: 1000,
    ratio: 4000,
    meanAggregateBytes: undefined,
    totalBytes: 7500,
  },
  checkpoint: { window: 2, dir: 'model' },
};

const root = await mkdtemp(join(tmpdir(), 'cohort-devnet-report-'));
after(() => rm(root, { recursive: true, force: true }));

/** The table rows of a markdown section, by their first cell. */
function tableRow(md: string, first: string): string[] {
  const line = md.split('\n').find((l) => l.startsWith(`| ${first} |`));
  assert.ok(line !== undefined, `a row starting with ${first}`);
  return line
    .slice(2, -2)
    .split(' | ')
    .map((c) => c.trim());
}

test('markdown: every section is there, with the figures of the run', () => {
  const md = reportMarkdown(report);
  for (const heading of [
    '# cohort devnet report',
    '## What ran',
    '## Outcome',
    '## Per window',
    '## Who was penalised, and why',
    '## Final weights on chain',
    '## The model',
  ]) {
    assert.ok(md.includes(`\n${heading}\n`) || md.startsWith(`${heading}\n`), heading);
  }
  assert.match(md, /Status: \*\*completed\*\*\. Started 2026-01-02T03:04:05\.000Z\./);
  assert.match(md, /2 honest miners .*1 adversarial miner \(poisoner\)/);
  assert.match(md, /\(1\.23 M parameters\)/);
  // The held-out loss skips the window that was not measured.
  assert.match(md, /Held-out loss went from 5\.500 \(θ_0\) to 4\.250 \(θ_2\)\./);
  assert.match(md, /ratio 4000×/);
  assert.match(md, /startup 12\.3 s, windows 40\.0 s, total 52\.3 s \(a window is 20\.0 s\)/);
  for (const file of Object.values(PLOTS)) assert.ok(md.includes(`](${file})`), file);
  assert.match(md, /θ_2 .* is in `model\/`/);
});

test('markdown: missing values are shown as –', () => {
  const md = reportMarkdown(report);
  assert.match(md, /mean CPU use of the network –\./);
  assert.match(md, /an aggregate is –;/);
  assert.deepEqual(tableRow(md, '0'), ['0', '5.500', '–', '3', '3.0 kB', '–', '', '']);
  assert.equal(tableRow(md, '1')[1], '–', 'held-out loss of window 1 was not measured');
  assert.deepEqual(tableRow(md, 'flipped').slice(0, 2), ['flipped', 'HARMFUL']);
  assert.deepEqual(tableRow(md, 'flipped').slice(2), ['1', '1', 'HARMFUL, LOW_SCORE', 'never']);
  assert.ok(md.includes('| flipped | flipped | – | 0.0000 |'), 'no uid');
});

test('markdown: penalties are named by miner, those of other hotkeys left out', () => {
  const md = reportMarkdown(report);
  const w1 = tableRow(md, '1');
  assert.equal(w1[7], 'flipped: HARMFUL, LOW_SCORE');
  assert.ok(!md.includes('INACTIVE'), "the validator's own penalty is not in the report");
  assert.ok(!md.includes('hV-01234'), 'nor its hotkey');
  // Contributors are named; an unknown one by the start of its hotkey.
  assert.equal(w1[6], 'miner-1, miner-2, stranger');
});

test('markdown: without adversaries, measured loss or checkpoint, it says so', () => {
  const md = reportMarkdown({
    ...report,
    status: 'interrupted',
    error: 'Ctrl-C',
    verdicts: [],
    heldout: [{ window: 0, loss: 5 }],
    model: { preset: 'devnet', parameters: undefined },
    checkpoint: undefined,
  });
  assert.match(md, /Status: \*\*interrupted\*\* \(Ctrl-C\)\./);
  assert.match(md, /No adversaries in this run\./);
  assert.match(md, /Held-out loss: not enough windows measured\./);
  assert.match(md, /No checkpoint was exported\./);
  assert.match(md, /Model preset `devnet`, trained/);
});

async function checkReport(dir: string): Promise<void> {
  assert.deepEqual(
    JSON.parse(await readFile(join(dir, 'report.json'), 'utf8')),
    JSON.parse(JSON.stringify(report)),
  );
  assert.equal(await readFile(join(dir, 'report.md'), 'utf8'), reportMarkdown(report));
  for (const file of Object.values(PLOTS)) {
    const png = await readFile(join(dir, file));
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE, file);
  }
}

/** Names in `root` that are staging directories of a report. */
const staging = async (): Promise<string[]> => (await readdir(root)).filter((n) => n.includes('.tmp-'));

test('writeReport: a new directory holds report.md, report.json and the plots', async () => {
  const dir = join(root, 'fresh');
  const written = await writeReport(dir, report);
  assert.equal(written, dir);
  assert.deepEqual((await readdir(dir)).sort(), [
    'bytes.png',
    'loss.png',
    'report.json',
    'report.md',
    'scores.png',
  ]);
  await checkReport(dir);
  assert.deepEqual(await staging(), []);
});

test('writeReport: an existing directory is replaced whole, and extras are moved in', async () => {
  const dir = join(root, 'again');
  await mkdir(dir);
  await writeFile(join(dir, 'old-file.txt'), 'from the previous run');
  const model = join(root, 'export', 'model');
  await mkdir(model, { recursive: true });
  await writeFile(join(model, 'config.json'), '{"a":1}');

  await writeReport(dir, report, { model });
  assert.ok(!existsSync(join(dir, 'old-file.txt')), 'the old report is gone');
  assert.ok(!existsSync(model), 'the extra was moved, not copied');
  assert.equal(await readFile(join(dir, 'model', 'config.json'), 'utf8'), '{"a":1}');
  await checkReport(dir);
  assert.deepEqual(await staging(), []);
});

test('writeReport: a failure leaves no staging directory and the previous report in place', async () => {
  const dir = join(root, 'kept');
  await mkdir(dir);
  await writeFile(join(dir, 'report.md'), 'previous');
  await assert.rejects(writeReport(dir, report, { model: join(root, 'no-such-dir') }), { code: 'ENOENT' });
  assert.deepEqual(await staging(), []);
  assert.equal(await readFile(join(dir, 'report.md'), 'utf8'), 'previous');
});
