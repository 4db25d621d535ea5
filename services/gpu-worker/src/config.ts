import { SEED_HEX_PATTERN } from '@cohort/core';
import {
  ConfigError,
  checkDatasetSource,
  commonFields,
  datasetStoreFields,
  defineConfig,
  envName,
  field,
} from '@cohort/kit';
import type { ConfigOf } from '@cohort/kit';
import { DEFAULT_CODEC, DEFAULT_TRAINER, PRESETS } from '@cohort/native';

/**
 * gpu-worker configuration: the common keys, the replica (preset, seed, device), the data, the inner
 * optimizer, the codec and the hotkey that signs payloads. Every default is the protocol's production
 * value except where a test or the devnet needs a knob.
 */
export const configSpec = defineConfig('gpu-worker', {
  ...commonFields({ grpc: 50055, metrics: 9105 }),
  preset: field.enum({
    doc: 'Model preset of the replica (shapes in docs/engine.md); every replica of a run uses the same one',
    default: 'devnet',
    values: PRESETS,
  }),
  seed: field.int({
    doc: "Initialisation seed: the replica starts from this seed's parameters and calls them window 0's state",
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
    doc: 'Run RMSNorm, the QKV split with RoPE, SwiGLU and the loss as fused ops (CUDA kernels; fewer passes over memory, less activation memory); off until verified on your GPUs with native/scripts/gpu-check.sh',
    default: false,
  }),
  deviceEncode: field.bool({
    doc: "On a GPU, keep the error feedback in device memory and encode each window's update there in one batch (the codec's CUDA kernels: no pseudo-gradient copy to the host); off until verified on your GPUs with native/scripts/gpu-check.sh",
    default: false,
  }),
  threads: field.int({
    doc: 'libtorch intra-op threads on the CPU (0 keeps libtorch default); fix it for bit-identical CPU runs',
    default: 0,
    min: 0,
    max: 1024,
  }),
  datasetManifest: field.string({
    doc: 'Path of the cohort-shards/1 manifest.json whose train split the sample ids index; this or datasetPrefix is required to train',
    default: '',
    allowEmpty: true,
  }),
  storeAddress: field.string({
    doc: "The run's checkpoint-store (host:port) LoadCheckpoint fetches checkpoints from (and datasetPrefix the dataset); empty: LoadCheckpoint takes local directories",
    default: '',
    allowEmpty: true,
  }),
  ...datasetStoreFields(),
  efStateDir: field.string({
    doc: 'Directory holding the error-feedback state, rewritten atomically after every encode and reloaded at start',
    default: './gpu-worker-state',
  }),
  innerLr: field.number({
    doc: 'Peak learning rate of the inner AdamW optimizer',
    default: DEFAULT_TRAINER.lr,
    min: 1e-12,
    max: 10,
  }),
  innerWarmupSteps: field.int({
    doc: 'Linear warm-up steps of the inner learning rate',
    default: DEFAULT_TRAINER.warmupSteps,
    min: 0,
    max: 100_000_000,
  }),
  runStartWindow: field.int({
    doc: "The run's first window: the inner learning-rate schedule is at (window − runStartWindow) × innerSteps + step, the same for every miner whatever it trained before",
    default: 0,
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
  }),
  innerTotalSteps: field.int({
    doc: 'Inner steps of the whole cosine schedule (warm-up included)',
    default: DEFAULT_TRAINER.totalSteps,
    min: 1,
    max: 1_000_000_000,
  }),
  microBatchSize: field.int({
    doc: 'Samples per forward/backward pass; an inner step accumulates its batch in micro-batches of this size',
    default: DEFAULT_TRAINER.microBatchSize,
    min: 1,
    max: 65_536,
  }),
  efBeta: field.number({
    doc: 'Error-feedback decay β: e ← β·e + Δ before each encode',
    default: DEFAULT_CODEC.beta,
    min: 0,
    max: 1,
  }),
  codecTileSide: field.int({
    doc: 'Side of the square chunks top-k is taken in (1-D tensors use side² runs)',
    default: DEFAULT_CODEC.tileSide,
    min: 1,
    max: 64,
  }),
  codecTopk: field.int({
    doc: 'Entries kept per chunk',
    default: DEFAULT_CODEC.topk,
    min: 1,
    max: 4096,
  }),
  codecIndexCoding: field.enum({
    doc: 'How kept indices are coded on the wire (docs/wire-format.md)',
    default: DEFAULT_CODEC.indexCoding,
    values: ['rice', 'packed12'] as const,
  }),
  payloadChunkBytes: field.int({
    doc: 'Payload bytes per streamed EncodeUpdate message; at least 64 KiB below grpcMaxMessageBytes',
    default: 1024 * 1024,
    min: 1024,
    max: 256 * 1024 * 1024,
    unit: 'bytes',
  }),
  maxAggregateBytes: field.int({
    doc: 'Largest aggregate ApplyAggregate accepts; a larger announced size is refused before the upload',
    default: 4 * 1024 * 1024 * 1024,
    min: 1024,
    max: 64 * 1024 * 1024 * 1024,
    unit: 'bytes',
  }),
  hotkeySeed: field.secret({
    doc: 'The hotkey 32-byte mini-secret seed, 64 hex digits (optionally 0x-prefixed), that signs payloads; required to encode',
    optional: true,
  }),
});

/** The gpu-worker's resolved configuration. */
export type Config = ConfigOf<typeof configSpec.fields>;

/** Room left in a response message for everything but the payload bytes it carries. */
const MESSAGE_OVERHEAD_BYTES = 64 * 1024;
/** The wire format's run id (shorter than the config's): docs/wire-format.md. */
const WIRE_RUN_ID = /^[a-z0-9._-]{1,32}$/;

function conflict(key: string, message: string): ConfigError {
  return new ConfigError(`${key} (env ${envName(key)}) ${message}`, 'CONFIG_CONFLICT', key, undefined);
}

/**
 * Rules across keys: one dataset source, chunks fit a gRPC message, the run id fits the wire header,
 * the seed is 32 bytes.
 */
export function validateConfig(config: Config): void {
  checkDatasetSource(config);
  if (config.payloadChunkBytes + MESSAGE_OVERHEAD_BYTES > config.grpcMaxMessageBytes) {
    throw conflict(
      'payloadChunkBytes',
      `must be at least ${MESSAGE_OVERHEAD_BYTES} bytes below grpcMaxMessageBytes (${config.grpcMaxMessageBytes})`,
    );
  }
  if (!WIRE_RUN_ID.test(config.runId)) {
    throw conflict('runId', 'must be at most 32 characters: payload headers carry it');
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
