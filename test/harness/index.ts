export { startNatsServer } from './nats-server.js';
export type { NatsServer } from './nats-server.js';
export { spawnService } from './service-process.js';
export type { ServiceProcess, SpawnServiceOptions, LogRecord } from './service-process.js';
export { repoRoot, serviceEntry } from './repo.js';
export { brownDataset } from './brown-dataset.js';
export { runBaseline, runSparseLoCo } from './sparseloco.js';
export type { ArmResult, SparseLoCoResult, SparseLoCoSetup } from './sparseloco.js';
