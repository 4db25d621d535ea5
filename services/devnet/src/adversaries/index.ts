export { forgeUpdate } from './forge.js';
export { ADVERSARY_NAMES, createAdversaries, garbageBytes } from './adversaries.js';
export type { Adversary, AdversaryContext, AdversaryName, WindowScored } from './adversaries.js';
export { RunFollower } from './follower.js';
export type { FollowerOptions } from './follower.js';
export { denseOf, encodeSigned, keptRms, layoutOf, uniform } from './payloads.js';
export type { ForgedHeader, TensorSlot } from './payloads.js';
