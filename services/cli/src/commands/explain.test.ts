import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CohortError, Code, buildScoreRecords, encodeScoreRecord, scoreWindow } from '@cohort/core';
import type { PeerVerdict } from '@cohort/core';
import { runCli } from '../run-cli.js';

const scored = (control: number, clipFactor?: number): PeerVerdict => ({
  kind: 'scored',
  losses: {
    assignedBefore: 4,
    assignedAfter: 4 * (0.95 - control),
    randomBefore: 4,
    randomAfter: 4 * (1 - control),
  },
  ...(clipFactor === undefined ? {} : { clipFactor }),
});

test('cohort explain --file rechecks a record and refuses a doctored one', async () => {
  const verdicts = new Map<string, PeerVerdict>([
    ['a', scored(0.03, 0.25)],
    ['b', scored(0.01)],
    ['c', { kind: 'fault', reason: 'MISSING' }],
  ]);
  const records = buildScoreRecords(
    { runId: 'devnet', window: 7, validator: 'v', evaluationSeed: 'ab'.repeat(32) },
    verdicts,
    scoreWindow(new Map(), verdicts),
  );
  const dir = mkdtempSync(join(tmpdir(), 'cohort-explain-'));
  const good = join(dir, 'good.json');
  writeFileSync(good, encodeScoreRecord(records.find((r) => r.explanation.hotkey === 'a')!));
  const out = await runCli(['explain', '--file', good]);
  assert.match(out, /window 7, miner a/);
  assert.match(out, /measured clipped to the window's median norms: a tensor scaled by ×0\.25/);
  assert.match(out, /the published score follows from its inputs/);
  assert.match(out, new RegExp(`pages: drawn with evaluation seed ${'ab'.repeat(32)}`));
  const c = records.find((r) => r.explanation.hotkey === 'c')!;
  const bad = join(dir, 'bad.json');
  writeFileSync(
    bad,
    encodeScoreRecord({
      ...c,
      explanation: { ...c.explanation, after: { ...c.explanation.after, finalScore: 5 } },
    }),
  );
  await assert.rejects(
    runCli(['explain', '--file', bad]),
    (e) => e instanceof CohortError && e.reason === 'SCORE_MISMATCH',
  );
  await assert.rejects(
    runCli(['explain', 'x']),
    (e) => e instanceof CohortError && e.reason === 'MISSING_ARGUMENT',
  );
});

test('cohort explain --file that cannot be read is INPUT_UNREADABLE naming it (exit 2), not a bare errno', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-explain-'));
  const missing = join(dir, 'missing.json');
  for (const [file, why] of [
    [missing, 'no such file'],
    [dir, 'it is a directory'],
  ] as const) {
    await assert.rejects(
      runCli(['explain', '--file', file]),
      (e) =>
        e instanceof CohortError &&
        e.code === Code.InvalidArgument &&
        e.reason === 'INPUT_UNREADABLE' &&
        e.message === `cannot read --file ${file}: ${why}` &&
        e.details.file === file,
      file,
    );
  }
});
