/**
 * gauntlet-evaluator: scores miners' updates for the validator (protocol §5). It pulls ScoreJobs from the
 * run's JetStream work queue (work-queue.ts), one at a time; for each it fetches and validates the
 * payload, brings its own replica to θ_w from the run's checkpoints and aggregates (sync.ts), and
 * measures the losses on the miner's assigned and on control pages before and after applying only that
 * update (score-job.ts); the ScoreResult goes to the run's results stream. Any number of replicas may run.
 *
 * At start it declares the jobs and results streams and the shared consumer (idempotently), then — with a
 * dataset — opens it, creates its replica (preset, seed, device), connects the store and starts pulling
 * (`evaluator_ready`). The replica is synced lazily by the first job. Without `datasetManifest` it cannot
 * measure and stays idle (`evaluator_idle`; GetStatus only), so the bare binary starts for lifecycle checks.
 *
 * Shutdown (hooks run in reverse): the loop stops pulling and finishes or hands back the job in hand,
 * then the engine is disposed, the dataset closed, the store client closed, NATS drained.
 */
import { randomBytes } from 'node:crypto';
import { encodeSs58, hotkeyFromSeed, hotkeyFromSeedHex } from '@cohort/core';
import type { HotkeyPair } from '@cohort/core';
import { StoreClient, aggregateTrustOf, registerGpuMemoryMetric, useNats } from '@cohort/kit';
import type { ServiceContext, ServiceDefinition } from '@cohort/kit';
import { createEngine, cudaMemory, resolveDevice } from '@cohort/native';
import { EvaluatorService, JobKind } from '@cohort/proto/cohort/gauntlet/v1/gauntlet';
import { openRunDataset, Replica } from '@cohort/replica';

import { configSpec, evaluatorIdOf, validateConfig } from './config.js';
import type { Config } from './config.js';
import type { EvaluatorDeps } from './deps.js';
import { createEvaluatorMetrics } from './evaluator-metrics.js';
import { PayloadCache } from './payload-cache.js';
import { registerQueueGauge } from './queue-depth.js';
import { JobScorer } from './score-job.js';
import { WorkQueue, declareWorkQueue } from './work-queue.js';
import type { WorkQueueCounters } from './work-queue.js';

/** The signing key: from `hotkeySeed`, else an ephemeral one (its aggregates never leave the process). */
function hotkeyOf(seedHex: string): { pair: HotkeyPair; ephemeral: boolean } {
  const pair = hotkeyFromSeedHex(seedHex);
  return pair === null
    ? { pair: hotkeyFromSeed(randomBytes(32)), ephemeral: true }
    : { pair, ephemeral: false };
}

async function openReplica(ctx: ServiceContext<Config>): Promise<Replica> {
  const c = ctx.config;
  const device = resolveDevice(c.device);
  const engine = await createEngine({
    preset: c.preset,
    seed: c.seed,
    device,
    fusedOps: c.fusedOps,
    threads: c.threads,
  });
  ctx.onShutdown('engine', () => engine.dispose());
  // Declared on every device (the dashboards query it); series only where the replica is on a GPU.
  registerGpuMemoryMetric(ctx.metrics.registry, () => (device === 'cuda' ? cudaMemory(0) : null));
  return Replica.create(engine, c.runId, c.outerLearningRate);
}

/** GetStatus from the loop's counters and the replica. */
function statusOf(
  evaluatorId: string,
  counters: WorkQueueCounters | undefined,
  replica: Replica | undefined,
): {
  jobsInFlight: number;
  jobsCompleted: bigint;
  jobsFailed: bigint;
  attemptsFailed: bigint;
  jobsExpired: bigint;
  stateWindow: bigint;
  stateFingerprint: Uint8Array;
  evaluatorId: string;
} {
  const known = replica !== undefined && replica.window >= 0;
  return {
    jobsInFlight: counters?.inFlight ?? 0,
    jobsCompleted: counters?.completed ?? 0n,
    jobsFailed: counters?.failed ?? 0n,
    attemptsFailed: counters?.attemptsFailed ?? 0n,
    jobsExpired: counters?.expired ?? 0n,
    stateWindow: BigInt(known ? replica.window : -1),
    stateFingerprint: known ? replica.fingerprintBytes : new Uint8Array(),
    evaluatorId,
  };
}

/** The gauntlet-evaluator service definition, run by main.ts. */
export const gauntletEvaluatorService: ServiceDefinition<typeof configSpec.fields> = {
  name: 'gauntlet-evaluator',
  spec: configSpec,
  validate: validateConfig,
  async start(ctx) {
    const c = ctx.config;
    const evaluatorId = evaluatorIdOf(c);
    const metrics = createEvaluatorMetrics(ctx.metrics.registry);
    const live: { counters?: WorkQueueCounters; replica?: Replica } = {};
    ctx.addGrpcService(EvaluatorService, {
      getStatus: () => Promise.resolve(statusOf(evaluatorId, live.counters, live.replica)),
    });
    const nats = await useNats(ctx, 'gauntlet-evaluator');
    const settings = {
      runId: c.runId,
      evaluatorId,
      ackWaitMs: c.ackWaitMs,
      maxDeliver: c.maxDeliver,
      notReadyRetryMs: c.notReadyRetryMs,
    };
    const consumer = await declareWorkQueue(nats, settings);
    registerQueueGauge(ctx.metrics.registry, nats.jsm, c.runId);
    if (c.datasetManifest === '' && c.datasetPrefix === '') {
      ctx.log.warn('evaluator_idle', {
        reason: 'NO_DATASET',
        detail: 'no datasetManifest or datasetPrefix: losses and data receipts cannot be computed',
      });
      return;
    }
    const trust = aggregateTrustOf(c);
    if (trust.aggregator === undefined) {
      ctx.log.warn('aggregator_untrusted_any', {
        detail: 'aggregatorHotkey is empty: aggregates signed by any key are applied',
      });
    }
    const store = new StoreClient(c.storeAddress);
    ctx.onShutdown('store', () => Promise.resolve(store.close()));
    const source = await openRunDataset(c, {
      store,
      storeAddress: c.storeAddress,
      registry: ctx.metrics.registry,
      log: ctx.log,
    });
    if (source === null) return; // unreachable: one of the two keys is set (checked above)
    ctx.onShutdown('dataset', () => source.close());
    const { dataset } = source;
    const replica = await openReplica(ctx);
    live.replica = replica;
    const { pair: hotkey, ephemeral } = hotkeyOf(c.hotkeySeed);
    const deps: EvaluatorDeps = {
      runId: c.runId,
      store,
      payloads: new PayloadCache(c.payloadCacheBytes),
      trust,
      replica,
      dataset,
      ensureSamples: (indices) => source.ensure('train', indices, ctx.shutdownSignal),
      trainSamples: dataset.sampleCount('train'),
      parameterCount: replica.engine.info().parameterCount,
      modelFingerprint: replica.engine.info().modelFingerprint,
      hotkey,
      metrics,
      log: ctx.log,
      signal: ctx.shutdownSignal,
      settings: {
        preset: c.preset,
        evalAlpha: c.outerLearningRate * c.evalLrFactor,
        evalSamples: c.evalSamples,
        evalMicroBatch: c.evalMicroBatch,
        maxPayloadBytes: c.maxPayloadBytes,
        stateDir: c.stateDir,
      },
    };
    const scorer = new JobScorer(deps);
    const queue = new WorkQueue({
      nats,
      consumer,
      settings,
      score: (job) => (job.kind === JobKind.SAMPLE ? scorer.sample(job) : scorer.score(job)),
      metrics,
      log: ctx.log,
      signal: ctx.shutdownSignal,
    });
    live.counters = queue.counters;
    queue.start();
    ctx.onShutdown('work-queue', () => queue.stop());
    ctx.log.info('evaluator_ready', {
      evaluatorId,
      hotkey: encodeSs58(hotkey.publicKey),
      ephemeralKey: ephemeral,
      store: c.storeAddress,
      preset: c.preset,
      device: replica.engine.info().device,
      trainSamples: deps.trainSamples,
      evalSamples: c.evalSamples,
      evalAlpha: deps.settings.evalAlpha,
      ackWaitMs: c.ackWaitMs,
      maxDeliver: c.maxDeliver,
    });
  },
};
