/**
 * The learning-rate schedule follows the run, not the engine's history: a window trained with
 * `scheduleStep = window × innerSteps` gets the same rates, and with a memoryless AdamW the same losses and
 * parameters bit for bit, on a fresh engine and on one that trained (and abandoned) other windows first.
 * Runs the devnet preset on the CPU over a tiny synthetic `cohort-shards/1` dataset.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { InvalidArgumentError, blake2b256 } from '@cohort/core';

import { openDataset } from './dataset.js';
import type { Dataset } from './dataset.js';
import { createEngine } from './engine.js';
import type { Engine, EngineOptions, TrainerOptions } from './engine.js';

const SEQ_LEN = 16;
const TRAIN_SAMPLES = 64;
const INNER_STEPS = 4;
const BATCH = 2;

/** A `cohort-shards/1` dataset of LCG tokens below 1000 (docs/data.md): one train and one held-out shard. */
function writeDataset(dir: string): string {
  let state = 12345n;
  const shard = (name: string, split: string, samples: number) => {
    const tokens = new Uint32Array(samples * SEQ_LEN);
    for (let i = 0; i < tokens.length; i++) {
      state = (state * 6364136223846793005n + 1442695040888963407n) & 0xffffffffffffffffn;
      tokens[i] = Number((state >> 33n) % 1000n);
    }
    const tokenBytes = Buffer.from(tokens.buffer);
    const ids = Buffer.alloc(samples * 8);
    for (let s = 0; s < samples; s++) {
      const row = tokenBytes.subarray(s * SEQ_LEN * 4, (s + 1) * SEQ_LEN * 4);
      ids.set(blake2b256(row).subarray(0, 8), s * 8);
    }
    const entry = (file: string, bytes: Buffer) => {
      writeFileSync(join(dir, file), bytes);
      return { file, bytes: bytes.length, blake2b256: Buffer.from(blake2b256(bytes)).toString('hex') };
    };
    return {
      name,
      split,
      samples,
      tokens: entry(`${name}.tokens`, tokenBytes),
      ids: entry(`${name}.ids`, ids),
    };
  };
  const manifest = {
    format: 'cohort-shards/1',
    tokenizer: { name: 'gpt2', package: 'gpt-tokenizer@4.0.0', vocabSize: 50257, eosToken: 50256 },
    seqLen: SEQ_LEN,
    source: { corpus: 'synthetic', seed: 12345 },
    shards: [shard('train-00000', 'train', TRAIN_SAMPLES), shard('heldout-00000', 'heldout', 4)],
  };
  const path = join(dir, 'manifest.json');
  writeFileSync(path, JSON.stringify(manifest));
  return path;
}

/** The samples of window `w`: a fixed walk, different windows different samples. */
const windowSamples = (w: number): Uint32Array =>
  Uint32Array.from({ length: INNER_STEPS * BATCH }, (_, i) => (w * 7 + i * 5) % TRAIN_SAMPLES);

/** What the gpu-worker does for a window: one call per inner step, each at window × H + step. */
async function trainWindow(engine: Engine, dataset: Dataset, w: number, steps = INNER_STEPS) {
  const indices = windowSamples(w);
  const losses: number[] = [];
  const rates: number[] = [];
  for (let s = 0; s < steps; s++) {
    const r = await engine.trainInner(dataset, 'train', indices.slice(s * BATCH, (s + 1) * BATCH), 1, {
      scheduleStep: w * INNER_STEPS + s,
    });
    losses.push(...r.losses);
    rates.push(...r.learningRates);
  }
  return { losses, rates };
}

/** Protocol §3's schedule (warm-up 1500, cosine to 0.1× at 140,000), written out. */
function closedFormLr(t: TrainerOptions, s: number): number {
  if (s < t.warmupSteps) return (t.lr * (s + 1)) / t.warmupSteps;
  const floor = t.minLrRatio * t.lr;
  if (s >= t.totalSteps) return floor;
  const progress = (s - t.warmupSteps) / (t.totalSteps - t.warmupSteps);
  return floor + ((t.lr - floor) * (1 + Math.cos(Math.PI * progress))) / 2;
}

describe('engine learning-rate schedule', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-schedule-'));
  let dataset: Dataset;
  before(async () => {
    dataset = await openDataset(writeDataset(dir));
  });
  after(() => {
    dataset.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const trainer: TrainerOptions = {
    lr: 1e-2,
    beta1: 0.9,
    beta2: 0.95,
    eps: 1e-8,
    weightDecay: 0.1,
    warmupSteps: 1500,
    totalSteps: 140_000,
    minLrRatio: 0.1,
    gradClip: 1,
    microBatchSize: BATCH,
  };
  const options = (t: TrainerOptions): EngineOptions => ({
    preset: 'devnet',
    seed: 3,
    threads: 1,
    trainer: t,
  });

  /** A fresh engine and one that trained windows 1 and 2 and half of 3, every θ put back to θ_w. */
  async function engines(t: TrainerOptions): Promise<[Engine, Engine]> {
    const fresh = await createEngine(options(t));
    const used = await createEngine(options(t));
    await used.snapshot();
    for (const w of [1, 2]) {
      await trainWindow(used, dataset, w);
      await used.restoreSnapshot();
    }
    await trainWindow(used, dataset, 3, 2); // a window cancelled after two steps
    await used.restoreSnapshot();
    assert.equal(await used.stateFingerprint(), await fresh.stateFingerprint());
    return [fresh, used];
  }

  test('memoryless AdamW: the same window gives the same rates, losses and θ bit for bit', async () => {
    // β1 = β2 = 0: no moment history, so only the schedule could make the two engines differ.
    const t = { ...trainer, beta1: 0, beta2: 0 };
    const [fresh, used] = await engines(t);
    const counted = await createEngine(options(t));
    try {
      const a = await trainWindow(fresh, dataset, 400);
      const b = await trainWindow(used, dataset, 400);
      assert.deepEqual(b.rates, a.rates);
      assert.deepEqual(b.losses, a.losses);
      assert.equal(await used.stateFingerprint(), await fresh.stateFingerprint());
      // The control: the window's data at the schedule a step counter from 0 would give trains elsewhere.
      const indices = windowSamples(400);
      const c = await counted.trainInner(dataset, 'train', indices, INNER_STEPS);
      assert.deepEqual(
        [...c.learningRates],
        [0, 1, 2, 3].map((s) => closedFormLr(t, s)),
      );
      assert.notEqual(await counted.stateFingerprint(), await fresh.stateFingerprint());
    } finally {
      await Promise.all([fresh.dispose(), used.dispose(), counted.dispose()]);
    }
  });

  test('protocol AdamW: the same rates (the closed form at window × H) and the same first loss', async () => {
    const [fresh, used] = await engines(trainer);
    try {
      for (const w of [10, 60, 5000]) {
        await fresh.snapshot();
        await used.snapshot();
        const a = await trainWindow(fresh, dataset, w);
        const b = await trainWindow(used, dataset, w);
        const expected = [0, 1, 2, 3].map((s) => closedFormLr(trainer, w * INNER_STEPS + s));
        for (const rates of [a.rates, b.rates]) {
          rates.forEach((r, i) => assert.ok(Math.abs(r - expected[i]!) <= 1e-12 * trainer.lr, `${r}`));
        }
        assert.deepEqual(b.rates, a.rates);
        assert.equal(b.losses[0], a.losses[0]); // same θ_w; later steps also carry each one's moments
        await fresh.restoreSnapshot();
        await used.restoreSnapshot();
      }
      // Bias correction counts each engine's own updates: 12 for the fresh one, 12 + 10 for the other.
      const probe = windowSamples(0).slice(0, BATCH);
      const rf = await fresh.trainInner(dataset, 'train', probe, 1, { scheduleStep: 0 });
      const ru = await used.trainInner(dataset, 'train', probe, 1, { scheduleStep: 0 });
      assert.equal(rf.optimizerSteps, 13);
      assert.equal(ru.optimizerSteps, 23);
      assert.equal(rf.step, 1);
      assert.equal(ru.step, 1);
    } finally {
      await Promise.all([fresh.dispose(), used.dispose()]);
    }
  });

  test('a schedule step that is not a non-negative safe integer is BAD_SCHEDULE_STEP', async () => {
    const engine = await createEngine(options(trainer));
    try {
      const indices = windowSamples(0).slice(0, BATCH);
      for (const scheduleStep of [-1, 1.5, Number.MAX_SAFE_INTEGER + 1, Number.NaN]) {
        assert.throws(
          () => engine.trainInner(dataset, 'train', indices, 1, { scheduleStep }),
          (e) => e instanceof InvalidArgumentError && e.reason === 'BAD_SCHEDULE_STEP',
        );
      }
      const r = await engine.trainInner(dataset, 'train', indices, 1, { scheduleStep: null });
      assert.equal(r.step, 1);
    } finally {
      await engine.dispose();
    }
  });
});
