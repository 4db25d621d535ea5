export * from './errors.js';
export * from './subjects.js';
