/**
 * The SparseLoCo loop on real text, for the loop test and the codec bench: R replicas train H inner AdamW
 * steps each on their own samples, publish signed update objects through their error feedback, one
 * aggregate of all of them is built by the codec and every replica takes the same outer step. The
 * baseline is one AdamW run that sees the same samples (R replicas' batches together per step).
 */
import { hotkeyFromSeed } from '@cohort/core';
import { aggregateUpdates, createEngine, signObject } from '@cohort/native';
import type { Dataset, EngineOptions } from '@cohort/native';

/** Shape of one experiment; everything fixed-seed. */
export interface SparseLoCoSetup {
  readonly replicas: number;
  readonly innerSteps: number;
  readonly windows: number;
  /** Samples per replica per inner step. */
  readonly batch: number;
  readonly lr: number;
  readonly warmupSteps: number;
  /** Outer learning rate α. */
  readonly alpha: number;
  /** Error-feedback decay β. */
  readonly beta: number;
  readonly topk: number;
  /** Held-out sample indices the loss is measured on. */
  readonly heldOut: Uint32Array;
  /** Windows after which the held-out loss is recorded (the last one always is). */
  readonly curveEvery: number;
  readonly threads: number;
}

/**
 * The loop test's setup (and the codec bench's): 4 replicas × 60 windows × 2 inner steps × 2 samples of
 * 128 tokens, so the baseline runs 120 steps of 8; density 1/64 (top-k 64 of 64×64 tiles), β 0.95, α 1.
 */
export const LOOP_SETUP: SparseLoCoSetup = Object.freeze({
  replicas: 4,
  innerSteps: 2,
  windows: 60,
  batch: 2,
  lr: 3e-3,
  warmupSteps: 20,
  alpha: 1,
  beta: 0.95,
  topk: 64,
  heldOut: Uint32Array.from({ length: 64 }, (_, i) => i * 15),
  curveEvery: 15,
  threads: 2,
});

/** What one arm measured. */
export interface ArmResult {
  readonly initialLoss: number;
  readonly finalLoss: number;
  /** [inner step, held-out loss] points. */
  readonly curve: [number, number][];
  readonly seconds: number;
}

/** The SparseLoCo arm also reports its traffic and whether replicas stayed bit-identical. */
export interface SparseLoCoResult extends ArmResult {
  readonly inSync: boolean;
  readonly updateBytes: number;
  readonly aggregateBytes: number;
  readonly parameters: number;
}

const RUN = 'sparseloco-test';

/** The train sample of replica r at inner step s, item b: a fixed multiplicative walk over the split. */
function sample(setup: SparseLoCoSetup, count: number, r: number, s: number, b: number): number {
  const total = setup.innerSteps * setup.windows;
  const j = (r * total + s) * setup.batch + b;
  return Number((BigInt(j) * 2654435761n) % BigInt(count));
}

function engineOptions(setup: SparseLoCoSetup): EngineOptions {
  return {
    preset: 'devnet',
    seed: 0,
    threads: setup.threads,
    trainer: {
      lr: setup.lr,
      warmupSteps: setup.warmupSteps,
      totalSteps: setup.innerSteps * setup.windows,
      microBatchSize: 2,
    },
  };
}

/** One AdamW run over the same samples: step s trains on every replica's batch of step s. */
export async function runBaseline(dataset: Dataset, setup: SparseLoCoSetup): Promise<ArmResult> {
  const started = performance.now();
  const engine = await createEngine(engineOptions(setup));
  try {
    const count = dataset.sampleCount('train');
    const initialLoss = await engine.evalLoss(dataset, 'heldout', setup.heldOut, 16);
    const curve: [number, number][] = [];
    for (let w = 0; w < setup.windows; w++) {
      const ids: number[] = [];
      for (let s = w * setup.innerSteps; s < (w + 1) * setup.innerSteps; s++)
        for (let r = 0; r < setup.replicas; r++)
          for (let b = 0; b < setup.batch; b++) ids.push(sample(setup, count, r, s, b));
      await engine.trainInner(dataset, 'train', Uint32Array.from(ids), setup.innerSteps);
      if ((w + 1) % setup.curveEvery === 0 || w === setup.windows - 1)
        curve.push([
          (w + 1) * setup.innerSteps,
          await engine.evalLoss(dataset, 'heldout', setup.heldOut, 16),
        ]);
    }
    const finalLoss = curve.at(-1)?.[1] ?? initialLoss;
    return { initialLoss, finalLoss, curve, seconds: (performance.now() - started) / 1000 };
  } finally {
    await engine.dispose();
  }
}

/** R replicas, one shared outer update per window through the real codec and signatures. */
export async function runSparseLoCo(dataset: Dataset, setup: SparseLoCoSetup): Promise<SparseLoCoResult> {
  const started = performance.now();
  const engines = await Promise.all(
    Array.from({ length: setup.replicas }, () => createEngine(engineOptions(setup))),
  );
  try {
    const count = dataset.sampleCount('train');
    const keys = engines.map((_, r) => hotkeyFromSeed(new Uint8Array(32).fill(r + 1)));
    const aggregator = hotkeyFromSeed(new Uint8Array(32).fill(0xee));
    const first = engines[0]!;
    const initialLoss = await first.evalLoss(dataset, 'heldout', setup.heldOut, 16);
    const curve: [number, number][] = [];
    let updateBytes = 0;
    let aggregateBytes = 0;
    for (let w = 0; w < setup.windows; w++) {
      // Replicas train one after another: each engine has its own thread, but this machine's cores are
      // shared, so running them together would only interleave.
      const objects: Uint8Array[] = [];
      for (const [r, engine] of engines.entries()) {
        await engine.snapshot();
        const ids: number[] = [];
        for (let s = w * setup.innerSteps; s < (w + 1) * setup.innerSteps; s++)
          for (let b = 0; b < setup.batch; b++) ids.push(sample(setup, count, r, s, b));
        await engine.trainInner(dataset, 'train', Uint32Array.from(ids), setup.innerSteps);
        const update = await engine.encodeUpdate({
          runId: RUN,
          window: w,
          hotkey: keys[r]!.publicKey,
          dataReceipt: new Uint8Array(32),
          beta: setup.beta,
          topk: setup.topk,
        });
        signObject(update.bytes, keys[r]!);
        updateBytes += update.bytes.length;
        objects.push(update.bytes);
      }
      const aggregate = await aggregateUpdates(
        objects,
        { runId: RUN, window: w, hotkey: aggregator.publicKey, stateFingerprint: null },
        { expect: { runId: RUN, window: w, hotkeys: keys.map((k) => k.publicKey) } },
      );
      const excluded = aggregate.contributors.filter((c) => !c.included);
      if (excluded.length > 0) throw new Error(`window ${w}: updates excluded: ${JSON.stringify(excluded)}`);
      signObject(aggregate.bytes, aggregator);
      aggregateBytes += aggregate.bytes.length;
      for (const engine of engines)
        await engine.applyAggregate(aggregate.bytes, setup.alpha, { runId: RUN, window: w });
      if ((w + 1) % setup.curveEvery === 0 || w === setup.windows - 1)
        curve.push([(w + 1) * setup.innerSteps, await first.evalLoss(dataset, 'heldout', setup.heldOut, 16)]);
    }
    const fingerprints = await Promise.all(engines.map((e) => e.stateFingerprint()));
    return {
      initialLoss,
      finalLoss: curve.at(-1)?.[1] ?? initialLoss,
      curve,
      seconds: (performance.now() - started) / 1000,
      inSync: fingerprints.every((f) => f === fingerprints[0]),
      updateBytes: updateBytes / (setup.windows * setup.replicas),
      aggregateBytes: aggregateBytes / setup.windows,
      parameters: first.info().parameterCount,
    };
  } finally {
    await Promise.all(engines.map((e) => e.dispose()));
  }
}
