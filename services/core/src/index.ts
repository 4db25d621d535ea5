export * from './errors.js';
export * from './subjects.js';
export * from './blake2b.js';
export * from './counter-prng.js';
export * from './sampler.js';
export * from './sample-id.js';
export * from './data-receipt.js';
export * from './hotkey-signature.js';
