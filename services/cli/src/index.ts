export { runCli, usage } from './run-cli.js';
export { silentIo } from './cli-io.js';
export type { CliIo } from './cli-io.js';
export { configRows } from './commands/config-reference.js';
export type { ConfigRow } from './commands/config-reference.js';
export { serviceSpecs } from './service-specs.js';
export { configDoc } from './commands/config-doc.js';
