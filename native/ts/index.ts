/**
 * @cohort/native: the typed face of cohort's C++/CUDA engine. The only package that loads the N-API
 * addon; other packages use these functions and error classes, never the binding.
 */
export { addScaled, AddScaledReason } from './add-scaled.js';
export { buildInfo, cudaMemory, cudaUsable, resolveDevice } from './build-info.js';
export { blake2b256Async, blake2b256File } from './hash.js';
export type { BuildInfo, CudaMemory } from './build-info.js';
export { CodecError, CudaError, NATIVE_ERROR_NAMES, OutOfMemoryError } from './errors.js';
export type { NativeErrorName } from './errors.js';
export { createEngine, Engine, DEFAULT_CODEC, DEFAULT_TRAINER, PRESETS } from './engine.js';
export type {
  EncodedUpdate,
  EncodeUpdateOptions,
  EngineOptions,
  InnerResult,
  Preset,
  TrainerOptions,
  TrainInnerOptions,
} from './engine.js';
export { openDataset, Dataset } from './dataset.js';
export type { Split } from './dataset.js';
export {
  aggregateUpdates,
  CODEC_REASONS,
  decodeAggregate,
  decodeUpdate,
  DEFAULT_DECODE_LIMITS,
  encodeUpdate,
  NoValidUpdatesError,
  objectDigest,
  setSignature,
  signObject,
} from './codec.js';
export type {
  AggregateContributor,
  AggregateHeader,
  AggregateOptions,
  AggregateResult,
  AggregateSummary,
  CodecParams,
  CodecReason,
  CodecRejection,
  ContributorResult,
  DecodedAggregate,
  DecodedUpdate,
  DecodeLimits,
  DecodeOptions,
  DenseTensor,
  EncodedObject,
  Expectations,
  SparseTensor,
  UpdateHeader,
  UpdateSummary,
} from './codec.js';
