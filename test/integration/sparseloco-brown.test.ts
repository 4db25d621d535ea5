/**
 * The SparseLoCo loop trains (codec issue, protocol §3 and §6): on the devnet preset with 4 simulated
 * replicas sharing one outer update per window, through the real pieces (engine error feedback, update
 * objects at density 1/64 with 2-bit codes, sr25519 signatures, the deterministic aggregate, the sparse
 * outer step), the held-out loss on Brown ends within 5% of one AdamW run that saw the same tokens.
 * Fixed seeds; the figures are printed and recorded by `pnpm bench codec`.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { openDataset } from '@cohort/native';
import type { Dataset } from '@cohort/native';
import { LOOP_SETUP, brownDataset, runBaseline, runSparseLoCo } from '../harness/index.js';

const setup = LOOP_SETUP;

let dataset: Dataset;
before(async () => {
  dataset = await openDataset((await brownDataset()).manifestPath, { verifyHashes: true });
});
after(() => dataset.close());

test('4 replicas sharing one compressed outer update end within 5% of AdamW on the same tokens', async (t) => {
  const baseline = await runBaseline(dataset, setup);
  const sparse = await runSparseLoCo(dataset, setup);
  const gap = sparse.finalLoss / baseline.finalLoss - 1;
  const bitsPerParameter = (sparse.updateBytes * 8) / sparse.parameters;
  t.diagnostic(
    `baseline ${baseline.initialLoss.toFixed(3)} -> ${baseline.finalLoss.toFixed(3)} in ${baseline.seconds.toFixed(0)} s; ` +
      `SparseLoCo ${sparse.initialLoss.toFixed(3)} -> ${sparse.finalLoss.toFixed(3)} in ${sparse.seconds.toFixed(0)} s ` +
      `(${(gap * 100).toFixed(2)}% above); update ${sparse.updateBytes.toFixed(0)} B ` +
      `(${bitsPerParameter.toFixed(4)} bits/parameter), aggregate ${sparse.aggregateBytes.toFixed(0)} B`,
  );
  t.diagnostic(`baseline curve ${JSON.stringify(baseline.curve.map(([s, l]) => [s, +l.toFixed(3)]))}`);
  t.diagnostic(`SparseLoCo curve ${JSON.stringify(sparse.curve.map(([s, l]) => [s, +l.toFixed(3)]))}`);
  assert.ok(sparse.inSync, 'every replica applied the same aggregate: identical state fingerprints');
  assert.equal(sparse.initialLoss, baseline.initialLoss, 'both arms start from the same seed');
  assert.ok(baseline.finalLoss < baseline.initialLoss * 0.75, 'the baseline itself learned');
  assert.ok(gap <= 0.05, `SparseLoCo ends ${(gap * 100).toFixed(2)}% above the AdamW baseline`);
  assert.ok(bitsPerParameter < 0.2, `updates take ${bitsPerParameter} bits per parameter`);
});
