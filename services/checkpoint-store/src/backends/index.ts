/**
 * The storage backends as a library, for tools, benches and tests that need a bucket without the
 * service: the contract, the filesystem backend and the S3-compatible backend.
 */
export { STORE_REASONS, StoreError } from './backend.js';
export type {
  ByteRange,
  ForeignObject,
  ListPage,
  ObjectBackend,
  ObjectMeta,
  PutOptions,
  StoreReason,
} from './backend.js';
export { createFsBackend } from './fs-backend.js';
export type { FsBackendOptions } from './fs-backend.js';
export { createS3Backend, S3Backend } from './s3-backend.js';
export type { S3BackendOptions } from './s3-options.js';
export { createStreamHasher } from './stream-hash.js';
export type { StreamHasher } from './stream-hash.js';
