/**
 * gpu-worker: one model replica through the native engine. At start it creates the engine (preset, seed,
 * device), opens the dataset (a local directory, or a prefix of the run's store read by range into a
 * local cache), reloads the persisted error feedback and treats the seeded parameters as window 0's
 * state; it then serves TrainWindow, EncodeUpdate, ApplyAggregate, LoadCheckpoint and the state
 * fingerprint over gRPC (checkpoints from the run's checkpoint-store when `storeAddress` is set; see
 * replica.ts for the window state machine). The engine is disposed at
 * shutdown, after in-flight calls drained (a training in flight is cancelled by the drain).
 */
import { encodeSs58, hotkeyFromSeedHex } from '@cohort/core';
import { COHORT_VERSION, StoreClient, registerGpuMemoryMetric } from '@cohort/kit';
import type { ServiceContext, ServiceDefinition } from '@cohort/kit';
import { buildInfo, createEngine, cudaMemory, cudaUsable, resolveDevice } from '@cohort/native';
import type { Engine } from '@cohort/native';
import { GpuWorkerService } from '@cohort/proto/cohort/worker/v1/gpu_worker';
import { openRunDataset } from '@cohort/replica';

import { configSpec, validateConfig } from './config.js';
import type { Config } from './config.js';
import { EfStore } from './ef-store.js';
import { Replica } from './replica.js';
import { createGpuWorkerImpl } from './server.js';
import { createWorkerMetrics } from './worker-metrics.js';

async function openEngine(ctx: ServiceContext<Config>, device: 'cpu' | 'cuda'): Promise<Engine> {
  const c = ctx.config;
  const engine = await createEngine({
    preset: c.preset,
    seed: c.seed,
    device,
    fusedOps: c.fusedOps,
    deviceEncode: c.deviceEncode,
    threads: c.threads,
    trainer: {
      lr: c.innerLr,
      warmupSteps: c.innerWarmupSteps,
      totalSteps: c.innerTotalSteps,
      microBatchSize: c.microBatchSize,
    },
  });
  ctx.onShutdown('engine', () => engine.dispose());
  return engine;
}

/** Reload the error feedback a previous run of this worker persisted. */
async function restoreErrorFeedback(
  ctx: ServiceContext<Config>,
  engine: Engine,
  store: EfStore,
): Promise<void> {
  const saved = await store.load();
  if (saved === null) {
    ctx.log.info('ef_state_empty', { path: store.path });
    return;
  }
  await engine.loadErrorFeedback(saved.values);
  let sum = 0;
  for (const v of saved.values) sum += v * v;
  ctx.log.info('ef_state_loaded', {
    path: store.path,
    window: saved.window.toString(),
    norm: Math.sqrt(sum),
  });
}

/** The gpu-worker service definition, run by main.ts. */
export const gpuWorkerService: ServiceDefinition<typeof configSpec.fields> = {
  name: 'gpu-worker',
  spec: configSpec,
  validate: validateConfig,
  async start(ctx) {
    const build = buildInfo();
    const cudaAvailable = cudaUsable();
    const c = ctx.config;
    const device = resolveDevice(c.device);
    const engine = await openEngine(ctx, device);
    // Declared on every device (the dashboards query it); series only where the replica is on a GPU.
    registerGpuMemoryMetric(ctx.metrics.registry, () => (device === 'cuda' ? cudaMemory(0) : null));
    const store = c.storeAddress === '' ? null : new StoreClient(c.storeAddress);
    if (store !== null) ctx.onShutdown('store', () => Promise.resolve(store.close()));
    const dataset = await openRunDataset(c, {
      store,
      storeAddress: c.storeAddress,
      registry: ctx.metrics.registry,
      log: ctx.log,
    });
    if (dataset === null) {
      ctx.log.warn('dataset_missing', {
        detail: 'no datasetManifest or datasetPrefix: TrainWindow is refused (NO_DATASET)',
      });
    } else {
      ctx.onShutdown('dataset', () => dataset.close());
    }
    const efStore = new EfStore(c.efStateDir);
    await restoreErrorFeedback(ctx, engine, efStore);
    const hotkey = hotkeyFromSeedHex(c.hotkeySeed);
    const replica = await Replica.create({
      engine,
      dataset,
      efStore,
      hotkey,
      runId: c.runId,
      runStartWindow: BigInt(c.runStartWindow),
      codec: {
        beta: c.efBeta,
        tileSide: c.codecTileSide,
        topk: c.codecTopk,
        indexCoding: c.codecIndexCoding,
      },
    });
    const info = engine.info();
    ctx.log.info('replica_ready', {
      preset: info.preset,
      parameterCount: info.parameterCount,
      device: info.device,
      computeDtype: info.computeDtype,
      fusedOps: info.fusedOps,
      deviceEncode: info.deviceEncode,
      stateWindow: '0',
      stateFingerprint: Buffer.from(replica.fingerprint).toString('hex'),
      hotkey: hotkey === null ? null : Buffer.from(hotkey.publicKey).toString('hex'),
    });
    const deps = {
      replica,
      store,
      metrics: createWorkerMetrics(ctx.metrics.registry),
      log: ctx.log,
      payloadChunkBytes: c.payloadChunkBytes,
      info: {
        device: info.device,
        preset: info.preset,
        parameterCount: BigInt(info.parameterCount),
        engineVersion: `${COHORT_VERSION} (engine ${build.engineVersion})`,
        torchVersion: build.torchVersion,
        cudaAvailable,
        trainSampleCount: BigInt(dataset?.dataset.sampleCount('train') ?? 0),
        hotkey: hotkey === null ? '' : encodeSs58(hotkey.publicKey),
      },
    };
    ctx.addGrpcService(GpuWorkerService, createGpuWorkerImpl(deps, c.maxAggregateBytes));
  },
};
