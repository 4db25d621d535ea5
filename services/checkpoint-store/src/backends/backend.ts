/**
 * The one narrow interface every storage backend implements (filesystem, S3-compatible). The service
 * (Put/Get/Head/List/Delete/Watch) and the peer-read pool talk only to this, so a backend is swappable
 * and testable on its own. Contract, for every implementation:
 * - **Atomic visibility.** A reader sees either nothing or the whole object under a key, never a torn
 *   one, even if the writer crashes mid-upload (SIGKILL).
 * - **Content hash while streaming.** `put` computes BLAKE2b-256 as bytes arrive and stores it with the
 *   object; `head`/`get` report it without re-reading the object.
 * - **Idempotent by content.** Identical bytes under an existing key succeed with `created: false`;
 *   different bytes are refused (`OBJECT_EXISTS`) unless `overwrite` is set.
 * - **Typed failures** ({@link StoreError} with a {@link StoreReason}): nothing partially written is
 *   visible after any failure.
 * - **Listings describe what they list.** An object the backend cannot describe (no content hash: put
 *   into the bucket by another tool, `aws s3 cp`, `mc cp`) is left out of `objects`, never reported with
 *   a made-up hash, and named in `foreign` with its size, so one such object does not fail a listing
 *   and the bucket's usage still counts it. `head` and `get` of its key fail (`PEER_BAD_REPLY`).
 */
import { CohortError, Code, InvalidArgumentError } from '@cohort/core';
import type { CohortErrorOptions } from '@cohort/core';

/** Facts about one stored object. */
export interface ObjectMeta {
  readonly key: string;
  readonly sizeBytes: number;
  /** BLAKE2b-256 of the whole object, computed while it was streamed in. */
  readonly blake2b256: Uint8Array;
  readonly contentType: string;
  /** When the object became visible in this backend (the writer's clock), Unix ms. */
  readonly storedUnixMs: number;
}

/** Options of {@link ObjectBackend.put}. */
export interface PutOptions {
  /** When given, a stream of any other length is refused (`SIZE_MISMATCH`) and nothing is stored. */
  readonly expectedSize?: number | undefined;
  /** When given, a stream hashing differently is refused (`HASH_MISMATCH`) and nothing is stored. */
  readonly expectedBlake2b256?: Uint8Array | undefined;
  /** Largest object accepted; a longer stream is refused (`TOO_LARGE`) as soon as it passes the cap. */
  readonly maxBytes: number;
  /** Replace different bytes under an existing key (only LATEST: `keyAllowsOverwrite`); default false. */
  readonly overwrite?: boolean | undefined;
  readonly contentType?: string | undefined;
  /** Aborts the upload; nothing becomes visible. */
  readonly signal?: AbortSignal | undefined;
}

/** A byte range: `length` 0 (or absent) reads to the end. */
export interface ByteRange {
  readonly offset: number;
  readonly length?: number | undefined;
}

/** An object a listing met but cannot describe: it has no content hash (another tool put it there). */
export interface ForeignObject {
  readonly key: string;
  readonly sizeBytes: number;
}

/** A page of a listing, keys ascending. */
export interface ListPage {
  readonly objects: ObjectMeta[];
  /** Objects of this page left out of `objects` because they have no content hash; absent when none. */
  readonly foreign?: readonly ForeignObject[] | undefined;
  /** Absent on the last page. */
  readonly nextPageToken?: string | undefined;
}

/** What every storage backend offers. Keys are validated by the caller (services/core storage keys). */
export interface ObjectBackend {
  readonly kind: 'filesystem' | 's3';
  put(
    key: string,
    source: AsyncIterable<Uint8Array>,
    options: PutOptions,
  ): Promise<{ meta: ObjectMeta; created: boolean }>;
  /** Throws `NOT_FOUND` for a missing key and `BAD_RANGE` for a range outside the object. */
  get(
    key: string,
    range?: ByteRange,
    signal?: AbortSignal,
  ): Promise<{ meta: ObjectMeta; body: AsyncIterable<Uint8Array> }>;
  /** Undefined for a missing key. */
  head(key: string, signal?: AbortSignal): Promise<ObjectMeta | undefined>;
  list(prefix: string, pageToken?: string, pageSize?: number, signal?: AbortSignal): Promise<ListPage>;
  /** True when something was deleted. */
  delete(key: string): Promise<boolean>;
  /** Releases clients and handles. */
  close(): Promise<void>;
}

/** Stable reasons of storage failures. */
export const STORE_REASONS = [
  'NOT_FOUND',
  'OBJECT_EXISTS',
  'SIZE_MISMATCH',
  'HASH_MISMATCH',
  'TOO_LARGE',
  'BUCKET_FULL',
  'BAD_RANGE',
  'BAD_KEY',
  'TRUNCATED',
  'PEER_UNREACHABLE',
  'PEER_TIMEOUT',
  'PEER_BAD_REPLY',
  'PEER_DENIED',
  'BACKEND_ERROR',
  'ABORTED',
] as const;
/** One of {@link STORE_REASONS}. */
export type StoreReason = (typeof STORE_REASONS)[number];

const codeByReason: Readonly<Record<StoreReason, Code>> = {
  NOT_FOUND: Code.NotFound,
  OBJECT_EXISTS: Code.AlreadyExists,
  SIZE_MISMATCH: Code.InvalidArgument,
  HASH_MISMATCH: Code.InvalidArgument,
  TOO_LARGE: Code.ResourceExhausted,
  BUCKET_FULL: Code.ResourceExhausted,
  BAD_RANGE: Code.OutOfRange,
  BAD_KEY: Code.InvalidArgument,
  TRUNCATED: Code.DataLoss,
  PEER_UNREACHABLE: Code.Unavailable,
  PEER_TIMEOUT: Code.DeadlineExceeded,
  PEER_BAD_REPLY: Code.DataLoss,
  PEER_DENIED: Code.PermissionDenied,
  BACKEND_ERROR: Code.Unavailable,
  ABORTED: Code.Canceled,
};

/** A storage failure with a stable reason; the gRPC code follows from the reason. */
export class StoreError extends CohortError {
  override readonly name: string = 'StoreError';
  constructor(reason: StoreReason, message: string, options: Omit<CohortErrorOptions, 'reason'> = {}) {
    super(codeByReason[reason], message, { ...options, reason });
  }
}

/** Programming-error checks of {@link PutOptions} every backend runs before reading the stream. */
export function checkPutOptions(options: PutOptions): void {
  const { maxBytes, expectedSize, expectedBlake2b256 } = options;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 0) {
    throw new InvalidArgumentError(`Expected a byte count for maxBytes but received ${String(maxBytes)}`);
  }
  if (expectedSize !== undefined && (!Number.isSafeInteger(expectedSize) || expectedSize < 0)) {
    throw new InvalidArgumentError(
      `Expected a byte count for expectedSize but received ${String(expectedSize)}`,
    );
  }
  if (expectedBlake2b256 !== undefined && expectedBlake2b256.length !== 32) {
    throw new InvalidArgumentError('Expected a 32-byte expectedBlake2b256');
  }
}
