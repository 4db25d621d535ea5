export { coordinatorService } from './service.js';
export { configSpec } from './config.js';
export type { Config } from './config.js';
