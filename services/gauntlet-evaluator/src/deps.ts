/**
 * Everything the evaluator's parts share, built once by service.ts: the run, the store, the replica and
 * the dataset it measures on, the key that signs single-update aggregates, metrics, log and the shutdown
 * signal.
 */
import type { AggregateTrust, HotkeyPair } from '@cohort/core';
import type { Logger, StoreClient } from '@cohort/kit';
import type { Dataset } from '@cohort/native';

import type { EvaluatorMetrics } from './evaluator-metrics.js';
import type { PayloadCache } from './payload-cache.js';
import type { Replica } from '@cohort/replica';

/** The knobs of a measurement (config keys of the same names). */
export interface EvaluatorSettings {
  readonly preset: string;
  /** α_eval = outerLearningRate × evalLrFactor. */
  readonly evalAlpha: number;
  readonly evalSamples: number;
  readonly evalMicroBatch: number;
  readonly maxPayloadBytes: number;
  /** Where checkpoint files are written while loaded. */
  readonly stateDir: string;
}

/** The shared dependencies of sync, validation and measurement. */
export interface EvaluatorDeps {
  readonly runId: string;
  readonly store: StoreClient;
  /** Payloads fetched lately: a sample job's object serves its score job on the same evaluator. */
  readonly payloads: PayloadCache;
  /** Whose aggregates the replica applies (the config's aggregatorHotkey and trustedValidator). */
  readonly trust: AggregateTrust;
  readonly replica: Replica;
  readonly dataset: Dataset;
  /**
   * Make train samples readable before the engine measures on them: a no-op for a local dataset,
   * ranged GETs into the local cache for one in the run's store (`datasetPrefix`).
   */
  readonly ensureSamples: (indices: Uint32Array) => Promise<void>;
  /** Samples in the dataset's train split: the pool the miners' pages are drawn from. */
  readonly trainSamples: number;
  /** The model's parameter count: fixes the index sampling rate (core overlapSampleOneIn). */
  readonly parameterCount: number;
  /** The codec's fingerprint of the model (engine info): a payload of another model is WRONG_MODEL. */
  readonly modelFingerprint: Uint8Array;
  /** Signs the single-update aggregates applied to the replica (they never leave the process). */
  readonly hotkey: HotkeyPair;
  readonly metrics: EvaluatorMetrics;
  readonly log: Logger;
  /** Aborted when shutdown begins: store transfers stop. */
  readonly signal: AbortSignal;
  readonly settings: EvaluatorSettings;
}
