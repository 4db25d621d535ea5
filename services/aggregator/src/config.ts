import { SEED_HEX_PATTERN, decodeSs58 } from '@cohort/core';
import { ConfigError, commonFields, defineConfig, envName, field, natsFields } from '@cohort/kit';
import type { ConfigOf } from '@cohort/kit';
import { PRESETS } from '@cohort/native';

/**
 * aggregator configuration: the common keys, NATS (window events), the checkpoint-store it reads updates
 * from and publishes aggregates and checkpoints to, its own replica (preset, seed, device), the hotkey that
 * signs aggregates and the outer step, and optionally the compressor that aggregates the payloads. Without `hotkeySeed` the aggregator stays idle (it cannot sign):
 * that keeps a bare `cohort-aggregator` startable for health and lifecycle checks.
 */
export const configSpec = defineConfig('aggregator', {
  ...commonFields({ grpc: 50056, metrics: 9106 }),
  ...natsFields(),
  storeAddress: field.string({
    doc: 'host:port of the checkpoint-store gRPC API holding this run (updates in, aggregates and checkpoints out)',
    default: '127.0.0.1:50053',
    pattern: /^\S+:\d{1,5}$/,
    patternDoc: 'host:port',
  }),
  preset: field.enum({
    doc: 'Model preset of the replica (shapes in docs/engine.md); every replica of a run uses the same one',
    default: 'devnet',
    values: PRESETS,
  }),
  seed: field.int({
    doc: "Initialisation seed: with no checkpoint in the store, this seed's parameters become the genesis checkpoint",
    default: 0,
    min: 0,
    max: Number.MAX_SAFE_INTEGER,
  }),
  device: field.enum({
    doc: 'Where the replica lives: auto takes cuda when the engine was built with CUDA and sees a GPU, else cpu',
    default: 'auto',
    values: ['auto', 'cpu', 'cuda'] as const,
  }),
  threads: field.int({
    doc: 'libtorch intra-op threads on the CPU (0 keeps libtorch default); fix it for bit-identical CPU runs',
    default: 0,
    min: 0,
    max: 1024,
  }),
  hotkeySeed: field.secret({
    doc: 'The hotkey 32-byte mini-secret seed, 64 hex digits (optionally 0x-prefixed), that signs aggregates; without it the aggregator stays idle',
    optional: true,
  }),
  outerLearningRate: field.number({
    doc: 'α of the outer step θ_{w+1} = θ_w − α·A_w the aggregator applies to its replica; the same on every replica of the run',
    default: 1,
    min: 1e-6,
    max: 10,
  }),
  uploadSlotMs: field.int({
    doc: "How long after window w+1's event the aggregator waits before it collects window w's updates (the upload slot)",
    default: 70_000,
    min: 0,
    max: 3_600_000,
    unit: 'ms',
  }),
  checkpointEveryWindows: field.int({
    doc: 'Publish a checkpoint of θ_c whenever c is a multiple of this (and always after a window without aggregate)',
    default: 10,
    min: 1,
    max: 1_000_000,
  }),
  maxUpdateBytes: field.int({
    doc: 'Largest update object fetched and decoded; a bigger one is excluded (TOO_LARGE) without being downloaded',
    default: 1024 * 1024 * 1024,
    min: 1024,
    max: 16 * 1024 * 1024 * 1024,
    unit: 'bytes',
  }),
  maxPeers: field.int({
    doc: 'Most updates aggregated per window; beyond it the earliest seen are kept and the rest excluded (TOO_MANY_PEERS)',
    default: 256,
    min: 1,
    max: 65_535,
  }),
  fetchTimeoutMs: field.int({
    doc: 'Per-update download deadline; an update not fetched in time is dropped from the aggregate (FETCH_TIMEOUT) and logged',
    default: 30_000,
    min: 100,
    max: 3_600_000,
    unit: 'ms',
  }),
  selectionValidator: field.string({
    doc: 'SS58 hotkey of the validator whose selection (selections/<w>) decides what is aggregated; empty: every valid update',
    default: '',
    allowEmpty: true,
  }),
  selectionWaitMs: field.int({
    doc: 'How long after the upload slot the aggregator waits for the selection before it aggregates every valid update instead',
    default: 60_000,
    min: 0,
    max: 3_600_000,
    unit: 'ms',
  }),
  compressorAddress: field.string({
    doc: 'host:port of the compressor that aggregates the payloads, so hostile payloads are parsed outside the process holding the signing key (ADR 0014); empty: aggregate in this process',
    default: '',
    allowEmpty: true,
    pattern: /^(\S+:\d{1,5})?$/,
    patternDoc: 'host:port, or empty',
  }),
  compressorTimeoutMs: field.int({
    doc: "Deadline of one window's Aggregate call to the compressor (payloads up, aggregate down); past it the window fails and is retried at the next window event",
    default: 300_000,
    min: 100,
    max: 3_600_000,
    unit: 'ms',
  }),
  stateDir: field.string({
    doc: 'Directory for temporary checkpoint files (written before upload, read before load)',
    default: './aggregator-state',
  }),
});

/** The aggregator's resolved configuration. */
export type Config = ConfigOf<typeof configSpec.fields>;

/** The wire format's run id (shorter than the config's): docs/wire-format.md. */
const WIRE_RUN_ID = /^[a-z0-9._-]{1,32}$/;

/** Rules across keys: the run id fits the aggregate header, the seed is 32 bytes. */
export function validateConfig(config: Config): void {
  if (!WIRE_RUN_ID.test(config.runId)) {
    throw new ConfigError(
      `runId (env ${envName('runId')}) must be at most 32 characters: aggregate headers carry it`,
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
  if (config.selectionValidator !== '') {
    try {
      decodeSs58(config.selectionValidator);
    } catch {
      throw new ConfigError(
        `selectionValidator (env ${envName('selectionValidator')}) must be an SS58 address`,
        'CONFIG_INVALID_VALUE',
        'selectionValidator',
        undefined,
      );
    }
  }
}
