export { Replica } from './replica.js';
export { prepareStateDir, withTempDir } from './temp-dir.js';
export {
  CheckpointRejected,
  isTransient,
  listCheckpointWindows,
  loadCheckpoint,
  readManifest,
} from './checkpoint-load.js';
export type { CheckpointSource, RejectReason } from './checkpoint-load.js';
export { verifyAggregate } from './aggregate-verify.js';
export type { AggregateVerification, VerifyOptions, VerifySource } from './aggregate-verify.js';
export { openRunDataset } from './run-dataset.js';
export type { RunDataset, RunDatasetConfig, RunDatasetDeps } from './run-dataset.js';
export { createDatasetMetrics } from './dataset-metrics.js';
export type { DatasetMetrics } from './dataset-metrics.js';
export { aggregateBytesBound } from './aggregate-bound.js';
