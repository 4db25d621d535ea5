/**
 * The engine on real text through @cohort/native: the devnet preset learns the Brown corpus (held-out loss
 * falls by at least 30% from initialisation within 300 CPU inner steps), training keeps the event loop
 * free, two runs with one seed are bit-identical, checkpoints round-trip exactly, and the fused ops
 * (`fusedOps`) train to the eager engine's losses.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IllegalStateError, InvalidArgumentError } from '@cohort/core';
import { createEngine, openDataset } from '@cohort/native';
import type { Dataset, EngineOptions } from '@cohort/native';
import { brownDataset } from '../harness/index.js';

const threads = 2;
const trainer = { lr: 3e-3, warmupSteps: 20, totalSteps: 300, microBatchSize: 2 } as const;
const devnet: EngineOptions = { preset: 'devnet', seed: 0, threads, trainer };

/** Every 15th held-out sample (64 of 1012): fixed, spread over the held-out documents. */
const heldOut = Uint32Array.from({ length: 64 }, (_, i) => i * 15);

/** `count` train sample indices by a fixed multiplicative walk (distinct for count < samples). */
function trainIndices(count: number, samples: number): Uint32Array {
  return Uint32Array.from({ length: count }, (_, i) => Number((BigInt(i) * 2654435761n) % BigInt(samples)));
}

describe('engine on the Brown corpus', () => {
  let dataset: Dataset;
  const scratch = mkdtempSync(join(tmpdir(), 'cohort-engine-'));
  before(async () => {
    dataset = await openDataset((await brownDataset()).manifestPath, { verifyHashes: true });
  });
  after(() => {
    dataset.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  test('held-out loss falls by at least 30% within 300 CPU inner steps (devnet preset)', async (t) => {
    const engine = await createEngine(devnet);
    try {
      const initial = await engine.evalLoss(dataset, 'heldout', heldOut, 16);
      let ticks = 0;
      const timer = setInterval(() => ticks++, 20);
      const result = await engine.trainInner(
        dataset,
        'train',
        trainIndices(600, dataset.sampleCount('train')),
        300,
      );
      clearInterval(timer);
      const final = await engine.evalLoss(dataset, 'heldout', heldOut, 16);
      const drop = 1 - final / initial;
      t.diagnostic(
        `held-out loss ${initial.toFixed(3)} -> ${final.toFixed(3)} (${(drop * 100).toFixed(1)}% lower), ` +
          `${result.tokensPerSecond.toFixed(0)} tokens/s, ${result.seconds.toFixed(1)} s, ${ticks} timer ticks meanwhile`,
      );
      assert.equal(result.losses.length, 300);
      assert.equal(result.step, 300);
      assert.ok(
        Math.abs(initial - Math.log(50257)) < 0.5,
        `initial loss ${initial} should be near ln(vocab)`,
      );
      assert.ok(drop >= 0.3, `held-out loss fell only ${(drop * 100).toFixed(1)}%`);
      // The event loop kept running while the engine thread trained.
      assert.ok(ticks > result.seconds * 10, `only ${ticks} timer ticks in ${result.seconds.toFixed(1)} s`);
    } finally {
      await engine.dispose();
    }
  });

  test('two runs with one seed end with identical parameters; another seed differs', async () => {
    const indices = trainIndices(8, dataset.sampleCount('train'));
    const fingerprints: string[] = [];
    for (const seed of [5, 5, 6]) {
      const engine = await createEngine({ ...devnet, seed });
      await engine.trainInner(dataset, 'train', indices, 4);
      fingerprints.push(await engine.stateFingerprint());
      await engine.dispose();
    }
    assert.equal(fingerprints[0], fingerprints[1]);
    assert.notEqual(fingerprints[0], fingerprints[2]);
    assert.match(fingerprints[0] ?? '', /^[0-9a-f]{64}$/);
  });

  test('save -> load -> save round-trips bit-identically', async () => {
    const a = await createEngine(devnet);
    const b = await createEngine({ ...devnet, seed: 99 });
    try {
      await a.trainInner(dataset, 'train', trainIndices(4, dataset.sampleCount('train')), 2);
      await a.saveCheckpoint(join(scratch, 'one'));
      await b.loadCheckpoint(join(scratch, 'one'));
      await b.saveCheckpoint(join(scratch, 'two'));
      assert.deepEqual(
        readFileSync(join(scratch, 'two', 'model.safetensors')),
        readFileSync(join(scratch, 'one', 'model.safetensors')),
      );
      assert.equal(
        readFileSync(join(scratch, 'two', 'config.json'), 'utf8'),
        readFileSync(join(scratch, 'one', 'config.json'), 'utf8'),
      );
      assert.equal(await b.stateFingerprint(), await a.stateFingerprint());
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });

  test('pseudo-gradient and outer step: θ_start − Δ reaches the trained state', async () => {
    const engine = await createEngine(devnet);
    try {
      const start = await engine.stateFingerprint();
      await engine.snapshot();
      await engine.trainInner(dataset, 'train', trainIndices(4, dataset.sampleCount('train')), 2);
      const delta = await engine.pseudoGradient();
      assert.equal(delta.length, engine.info().parameterCount);
      assert.equal(await engine.stateFingerprint(), start, 'pseudoGradient restores θ_start');
      assert.ok(delta.some((v) => v !== 0));
      await engine.applyUpdate(delta, 1);
      const moved = await engine.stateFingerprint();
      assert.notEqual(moved, start);
      await assert.rejects(engine.applyUpdate(new Float32Array(3), 1), InvalidArgumentError);
      // restoreSnapshot: back to θ_start without Δ (the snapshot is still θ_start), then to a new one.
      await engine.restoreSnapshot();
      assert.equal(await engine.stateFingerprint(), start, 'restoreSnapshot returns to the snapshot');
      await engine.applyUpdate(delta, 1);
      await engine.snapshot();
      await engine.trainInner(dataset, 'train', trainIndices(4, dataset.sampleCount('train')), 1);
      await engine.restoreSnapshot();
      assert.equal(await engine.stateFingerprint(), moved, 'after a new snapshot, back to it');
    } finally {
      await engine.dispose();
    }
  });

  test('the fused ops train like the eager chain: same losses to 1e-4, deterministic', async () => {
    const indices = trainIndices(8, dataset.sampleCount('train'));
    const losses: number[][] = [];
    const fingerprints: string[] = [];
    for (const fusedOps of [false, true, true]) {
      const engine = await createEngine({ ...devnet, fusedOps });
      try {
        assert.equal(engine.info().fusedOps, fusedOps);
        losses.push([...(await engine.trainInner(dataset, 'train', indices, 4)).losses]);
        fingerprints.push(await engine.stateFingerprint());
      } finally {
        await engine.dispose();
      }
    }
    const [eager, fused] = losses as [number[], number[]];
    assert.equal(fused.length, 4);
    fused.forEach((loss, i) =>
      assert.ok(Math.abs(loss - (eager[i] ?? NaN)) < 1e-4, `step ${i}: ${loss} vs ${eager[i]}`),
    );
    assert.equal(fingerprints[1], fingerprints[2], 'two fused runs with one seed are bit-identical');
    await assert.rejects(
      createEngine({ ...devnet, fusedOps: 'yes' as unknown as boolean }),
      (e) => e instanceof InvalidArgumentError && e.reason === 'ENGINE_OPTION_INVALID',
    );
  });

  test('deviceEncode is a GPU setting: on the CPU the error feedback stays on the host, and it is checked', async () => {
    const engine = await createEngine({ ...devnet, deviceEncode: true });
    try {
      assert.equal(engine.info().deviceEncode, false);
      assert.equal(engine.info().device, 'cpu');
    } finally {
      await engine.dispose();
    }
    await assert.rejects(
      createEngine({ ...devnet, deviceEncode: 1 as unknown as boolean }),
      (e) => e instanceof InvalidArgumentError && e.reason === 'ENGINE_OPTION_INVALID',
    );
  });

  test('bad input is a typed error and nothing changes; a disposed engine refuses calls', async () => {
    const engine = await createEngine(devnet);
    const before = await engine.stateFingerprint();
    await assert.rejects(
      engine.trainInner(dataset, 'train', Uint32Array.of(1e9), 1),
      (e) => e instanceof InvalidArgumentError && /sample index/.test(e.message),
    );
    await assert.rejects(engine.loadCheckpoint(join(scratch, 'missing')), InvalidArgumentError);
    await assert.rejects(
      createEngine({ ...devnet, preset: '13B' as 'devnet' }),
      (e) => e instanceof InvalidArgumentError && e.reason === 'UNKNOWN_PRESET',
    );
    assert.equal(await engine.stateFingerprint(), before);
    await engine.dispose();
    await assert.rejects(engine.stateFingerprint(), IllegalStateError);
  });
});
