export * from './chain-spec.js';
export * from './dev-accounts.js';
export * from './genesis-fixes.js';
export * from './local-chain.js';
export * from './submit.js';
export * from './subnet-setup.js';
