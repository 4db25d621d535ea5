export { createTestingService } from './testing-service.js';
export type { TestingServiceProbe } from './testing-service.js';
export { bindLoopback } from './loopback.js';
