/**
 * `@cohort/devnet`: the whole network on one machine. `cohort devnet` runs it for users; the integration
 * tests and network benches start the same parts (chain, nats-servers, store, operators, adversaries).
 */
export { startNatsServer } from './nats-server.js';
export { startS3Server } from './s3-server.js';
export type { S3Server } from './s3-server.js';
export type { NatsServer } from './nats-server.js';
export { spawnService } from './service-process.js';
export type { ServiceProcess, SpawnServiceOptions, LogRecord } from './service-process.js';
export { repoRoot, serviceEntry } from './repo.js';
export { brownDataset } from './brown-dataset.js';
export { DEVNET_DATASET_PREFIX, datasetEnv, publishToStore } from './run-dataset.js';
export type { RunDatasetSource } from './run-dataset.js';
export { startDevchainProcess } from './devchain-process.js';
export type { DevchainProcess } from './devchain-process.js';
export { startMinerOperator, startOperatorBase } from './operator.js';
export type { MinerOperator, MinerSpec, NetworkSpec, OperatorBase } from './operator.js';
export { asWindowScored, startNetwork } from './network.js';
export type { Network, NetworkOptions } from './network.js';
export { ADVERSARY_NAMES, RunFollower, createAdversaries } from './adversaries/index.js';
export type { Adversary, AdversaryContext, AdversaryName, WindowScored } from './adversaries/index.js';
export { runDevnet, DEVNET_RUN_ID } from './devnet.js';
export type { DevnetHooks, DevnetOutcome } from './devnet.js';
export {
  DEVNET_ADVERSARY_ALIASES,
  DEVNET_DEFAULTS,
  DEVNET_DISPLAY_NAMES,
  devnetOptions,
  parseAdversaries,
} from './devnet-options.js';
export type { DevnetOptions } from './devnet-options.js';
export type { DevnetReport, Participant, Verdict, WeightRow } from './devnet-report.js';
export { createLiveView } from './live-view.js';
export type { LiveState, LiveView, ViewSink } from './live-view.js';
