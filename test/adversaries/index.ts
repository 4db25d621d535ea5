export { forgeUpdate } from './forge.js';
export { createAdversaries, garbageBytes } from './adversaries.js';
export type { Adversary, AdversaryContext, WindowScored } from './adversaries.js';
