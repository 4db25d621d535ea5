import { SEED_HEX_PATTERN } from '@cohort/core';
import { hostname } from 'node:os';
import {
  ConfigError,
  aggregateTrustFields,
  checkDatasetSource,
  commonFields,
  datasetStoreFields,
  defineConfig,
  envName,
  field,
  natsFields,
} from '@cohort/kit';
import type { ConfigOf } from '@cohort/kit';
import { PRESETS } from '@cohort/native';

/**
 * gauntlet-evaluator configuration: the common keys, NATS (the run's score-jobs work queue and results
 * stream), the checkpoint-store holding the run (checkpoints, aggregates, payloads), its replica (preset,
 * seed, device, threads), the dataset the miners' pages index, and the measurement (α_eval, samples).
 * Without `datasetManifest` or `datasetPrefix` the evaluator stays idle (it cannot measure losses or check receipts): that
 * keeps a bare `cohort-gauntlet-evaluator` startable for health and lifecycle checks.
 */
export const configSpec = defineConfig('gauntlet-evaluator', {
  ...commonFields({ grpc: 50057, metrics: 9107 }),
  ...natsFields(),
  ...aggregateTrustFields(),
  storeAddress: field.string({
    doc: "host:port of the checkpoint-store gRPC API holding this run (checkpoints, aggregates, payloads; peers' buckets are read through it)",
    default: '127.0.0.1:50053',
    pattern: /^\S+:\d{1,5}$/,
    patternDoc: 'host:port',
  }),
  preset: field.enum({
    doc: "Model preset of the replica (shapes in docs/engine.md); the run's checkpoints must be of this preset",
    default: 'devnet',
    values: PRESETS,
  }),
  seed: field.int({
    doc: 'Initialisation seed of the replica before its first checkpoint is loaded (the state itself always comes from the store)',
    default: 0,
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
  }),
  device: field.enum({
    doc: 'Where the replica lives: auto takes cuda when the engine was built with CUDA and sees a GPU, else cpu',
    default: 'auto',
    values: ['auto', 'cpu', 'cuda'] as const,
  }),
  fusedOps: field.bool({
    doc: "Run the replica's RMSNorm, QKV split with RoPE, SwiGLU and loss as fused ops (CUDA kernels; faster loss measurements); off until verified on your GPUs with native/scripts/gpu-check.sh",
    default: false,
  }),
  threads: field.int({
    doc: 'libtorch intra-op threads on the CPU (0 keeps libtorch default)',
    default: 0,
    min: 0,
    max: 1024,
  }),
  datasetManifest: field.string({
    doc: "Path of the cohort-shards/1 manifest.json whose train split the miners' pages index (the run's dataset); this or datasetPrefix is required to score, without either the evaluator stays idle",
    default: '',
    allowEmpty: true,
  }),
  ...datasetStoreFields(),
  hotkeySeed: field.secret({
    doc: 'A 32-byte mini-secret seed, 64 hex digits (optionally 0x-prefixed), that signs the single-update aggregates applied to the replica; without it a random key is made at start (those aggregates never leave the process)',
    optional: true,
  }),
  outerLearningRate: field.number({
    doc: "α of the run's outer step θ_{w+1} = θ_w − α·A_w, used to replay aggregates; the same as the aggregator's",
    default: 1,
    min: 1e-6,
    max: 10,
  }),
  evalLrFactor: field.number({
    doc: "The update under test is applied at α_eval = outerLearningRate × this (protocol §5's eval_lr_factor)",
    default: 0.2,
    min: 1e-6,
    max: 10,
  }),
  evalSamples: field.int({
    doc: "Samples per loss measurement: the first this many of the miner's assigned pages, and as many control pages",
    default: 8,
    min: 1,
    max: 65_536,
  }),
  evalMicroBatch: field.int({
    doc: 'Samples per forward pass while measuring losses',
    default: 8,
    min: 1,
    max: 4096,
  }),
  maxPayloadBytes: field.int({
    doc: 'Largest payload fetched; a bigger one is INVALID (TOO_LARGE) without being downloaded',
    default: 1024 * 1024 * 1024,
    min: 1024,
    max: 16 * 1024 * 1024 * 1024,
    unit: 'bytes',
  }),
  payloadCacheBytes: field.int({
    doc: "Memory for payloads fetched lately, so an update's score job reuses the object its sample job fetched on this evaluator (ADR 0018); 0 disables",
    default: 256 * 1024 * 1024,
    min: 0,
    max: 64 * 1024 * 1024 * 1024,
    unit: 'bytes',
  }),
  ackWaitMs: field.int({
    doc: "How long JetStream waits for a job's ack before redelivering it; a running job renews it every third of this, so only a dead evaluator's job is redelivered. The same on every replica (it is the shared consumer's)",
    default: 120_000,
    min: 1000,
    max: 3_600_000,
    unit: 'ms',
  }),
  maxDeliver: field.int({
    doc: "Deliveries of one job (the shared consumer's max_deliver); when the last one fails or still finds the replica's aggregates missing, the job is answered EVALUATOR_FAILED",
    default: 3,
    min: 1,
    max: 100,
  }),
  notReadyRetryMs: field.int({
    doc: 'A job whose θ_w cannot be built yet (an aggregate it needs is not published) is handed back to be redelivered after this delay',
    default: 15_000,
    min: 0,
    max: 3_600_000,
    unit: 'ms',
  }),
  evaluatorId: field.string({
    doc: 'Name of this evaluator in ScoreResult.evaluator_id and logs; empty: <hostname>-<pid>',
    default: '',
    allowEmpty: true,
  }),
  stateDir: field.string({
    doc: 'Directory for temporary checkpoint files while a checkpoint is loaded; empty: the OS temp directory',
    default: '',
    allowEmpty: true,
  }),
});

/** The gauntlet-evaluator's resolved configuration. */
export type Config = ConfigOf<typeof configSpec.fields>;

/** The wire format's run id (shorter than the config's): docs/wire-format.md. */
const WIRE_RUN_ID = /^[a-z0-9._-]{1,32}$/;

/** Rules across keys: one dataset source, the run id fits object headers, the seed is 32 bytes. */
export function validateConfig(config: Config): void {
  checkDatasetSource(config);
  if (!WIRE_RUN_ID.test(config.runId)) {
    throw new ConfigError(
      `runId (env ${envName('runId')}) must be at most 32 characters: update and aggregate headers carry it`,
      'CONFIG_CONFLICT',
      'runId',
      undefined,
    );
  }
  if (config.hotkeySeed !== '' && !SEED_HEX_PATTERN.test(config.hotkeySeed.trim())) {
    // Never echo the secret: only its shape is wrong.
    throw new ConfigError(
      `hotkeySeed (env ${envName('hotkeySeed')}) must be 64 hex digits (a 32-byte seed)`,
      'CONFIG_INVALID_VALUE',
      'hotkeySeed',
      undefined,
    );
  }
}

/** The evaluator id of `config`: its `evaluatorId`, else `<hostname>-<pid>`. */
export function evaluatorIdOf(config: Config): string {
  return config.evaluatorId === '' ? `${hostname()}-${process.pid}` : config.evaluatorId;
}
