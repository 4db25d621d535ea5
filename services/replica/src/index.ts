export { Replica } from './replica.js';
export { prepareStateDir, withTempDir } from './temp-dir.js';
export { CheckpointRejected, isTransient, listCheckpointWindows, loadCheckpoint } from './checkpoint-load.js';
export type { CheckpointSource, RejectReason } from './checkpoint-load.js';
export { verifyAggregate } from './aggregate-verify.js';
export type { AggregateVerification, VerifyOptions, VerifySource } from './aggregate-verify.js';
