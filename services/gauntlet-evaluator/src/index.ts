export { gauntletEvaluatorService } from './service.js';
export { configSpec } from './config.js';
export type { Config } from './config.js';
export { CONSUMER_NAME } from './work-queue.js';
