export {
  ADVERSARY_NAMES,
  asWindowScored,
  brownDataset,
  repoRoot,
  serviceEntry,
  spawnService,
  startDevchainProcess,
  startMinerOperator,
  startNatsServer,
  startNetwork,
  startOperatorBase,
  startS3Server,
} from '@cohort/devnet';
export type {
  AdversaryName,
  DevchainProcess,
  LogRecord,
  MinerOperator,
  MinerSpec,
  NatsServer,
  Network,
  NetworkOptions,
  NetworkSpec,
  OperatorBase,
  S3Server,
  ServiceProcess,
  SpawnServiceOptions,
  WindowScored,
} from '@cohort/devnet';
export { LOOP_SETUP, runBaseline, runSparseLoCo } from './sparseloco.js';
export type { ArmResult, SparseLoCoResult, SparseLoCoSetup } from './sparseloco.js';
export { until } from './until.js';
export { runNewcomer } from './newcomer.js';
export type { NewcomerOptions, NewcomerResult } from './newcomer.js';
export { foreignModelUpdate } from './foreign-model.js';
