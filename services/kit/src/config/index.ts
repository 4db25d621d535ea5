export { field, FieldParseError } from './field.js';
export type { Field, ConfigSource } from './field.js';
export { defineConfig, envName, flagName, redactConfig, formatConfigHelp } from './spec.js';
export type { ConfigSpec, ConfigOf, FieldMap, KeyInfo } from './spec.js';
export { loadConfig } from './load-config.js';
export type { LoadConfigOptions, LoadedConfig } from './load-config.js';
export { ConfigError } from './config-error.js';
export type { ConfigReason } from './config-error.js';
export {
  aggregateTrustFields,
  bucketCommitFields,
  bucketCommitmentOf,
  checkDatasetSource,
  commonFields,
  datasetStoreFields,
  natsFields,
} from './common-fields.js';
export type { DatasetSourceConfig } from './common-fields.js';
export type { ServicePorts } from './common-fields.js';
