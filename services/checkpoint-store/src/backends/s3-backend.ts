/**
 * The S3-compatible backend (AWS S3, MinIO, Ceph RADOS Gateway, R2) through the `minio` client: an
 * operator's bucket, or a peer's bucket read with the credentials it committed. It keeps the
 * {@link ObjectBackend} contract with what S3 offers:
 * - **Atomic visibility**: an object appears when its single PUT, multipart completion or server-side
 *   copy succeeds, each atomic on S3; every failure path aborts the multipart upload (s3-writer.ts).
 * - **Hash while streaming**: BLAKE2b-256 is computed as bytes arrive and stored as user metadata
 *   (`x-amz-meta-blake2b256`), so `head` is one HEAD request and `get` reports it from the reply.
 * - **Idempotent by content**: the key is checked before (no upload for a write-once key that exists)
 *   and again just before publishing. S3 has no portable create-only PUT, so two writers racing on
 *   one key within that last instant can both succeed; the protocol gives each key one writer.
 * - **Typed failures**: s3-errors.ts maps replies and socket errors to {@link StoreReason}s.
 * A listing costs one LIST plus one HEAD per object (metadata is not in S3 listings). An object without
 * our metadata (copied in with `aws s3 cp` or `mc cp`) is left out of it and named in `foreign`.
 */
import type http from 'node:http';
import type { Readable } from 'node:stream';
import { InvalidArgumentError, validateKey, validateKeyPrefix } from '@cohort/core';
import type { Client } from 'minio';
import { throwIfAborted } from './abortable-source.js';
import { StoreError, checkPutOptions } from './backend.js';
import type { ByteRange, ForeignObject, ListPage, ObjectBackend, ObjectMeta, PutOptions } from './backend.js';
import { responseBody } from './s3-body.js';
import { toStoreError } from './s3-errors.js';
import {
  DEFAULT_CONTENT_TYPE,
  metaFromHeaders,
  metaFromStat,
  objectSize,
  statHasContentHash,
} from './s3-meta.js';
import { createS3Client, partSizeFor, resolveS3Options } from './s3-options.js';
import type { ResolvedS3Options, S3BackendOptions } from './s3-options.js';
import { receiveParts } from './s3-receive.js';
import { withSignal } from './s3-transport.js';
import { ObjectWriter, TMP_PREFIX } from './s3-writer.js';
import { ensureBucket } from './s3-bucket.js';

export type { S3BackendOptions } from './s3-options.js';

/** Largest list page, and the size of a page when none is asked for (S3's own maximum). */
export const S3_LIST_PAGE_MAX = 1000;
/** Foreign keys remembered as already reported; past this many the memory starts over. */
const FOREIGN_REPORTED_MAX = 10_000;
/** Longest validity of a presigned URL (SigV4 allows 7 days). */
export const S3_PRESIGN_MAX_SECONDS = 7 * 24 * 3600;

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && Buffer.from(a).equals(Buffer.from(b));

async function* emptyBody(): AsyncGenerator<Uint8Array, void, undefined> {}

/** Run `fn` over `items` with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** An {@link ObjectBackend} on one S3 bucket; create it with {@link createS3Backend}. */
export class S3Backend implements ObjectBackend {
  readonly kind = 's3' as const;
  private closed = false;
  private readonly reportedForeign = new Set<string>();

  constructor(
    private readonly options: ResolvedS3Options,
    private readonly client: Client,
    private readonly agent: http.Agent,
  ) {}

  async put(
    key: string,
    source: AsyncIterable<Uint8Array>,
    putOptions: PutOptions,
  ): Promise<{ meta: ObjectMeta; created: boolean }> {
    this.checkKey(key);
    checkPutOptions(putOptions);
    const { maxBytes, expectedSize, expectedBlake2b256, signal } = putOptions;
    const overwrite = putOptions.overwrite === true;
    if (expectedSize !== undefined && expectedSize > maxBytes) {
      throw new StoreError('TOO_LARGE', `${expectedSize} bytes exceed the cap of ${maxBytes}`);
    }
    throwIfAborted(signal, 'upload');
    const existing = await this.head(key, signal);
    if (existing !== undefined && !overwrite && expectedBlake2b256 !== undefined) {
      if (!sameBytes(existing.blake2b256, expectedBlake2b256)) {
        throw new StoreError('OBJECT_EXISTS', `${key} exists with other content`);
      }
    }
    const contentType = putOptions.contentType ?? DEFAULT_CONTENT_TYPE;
    // A write-once key that exists can only end in `created: false`: hash the stream, send nothing.
    const writer =
      existing !== undefined && !overwrite
        ? undefined
        : new ObjectWriter({
            client: this.client,
            bucket: this.options.bucket,
            key,
            contentType,
            knownBlake2b256: expectedBlake2b256,
            maxCopyBytes: this.options.maxCopyBytes,
            signal,
            now: this.options.now,
          });
    try {
      const partSize = partSizeFor(this.options.partSizeBytes, expectedSize ?? maxBytes);
      const received = await receiveParts(
        source,
        { partSize, maxBytes, expectedSize, signal },
        writer?.onPart,
      );
      const { sizeBytes, blake2b256 } = received;
      if (expectedBlake2b256 !== undefined && !sameBytes(blake2b256, expectedBlake2b256)) {
        throw new StoreError('HASH_MISMATCH', 'the stream does not hash to the expected BLAKE2b-256');
      }
      const same = (meta: ObjectMeta): boolean =>
        meta.sizeBytes === sizeBytes && sameBytes(meta.blake2b256, blake2b256);
      if (existing !== undefined && same(existing)) {
        await writer?.abort();
        return { meta: existing, created: false };
      }
      if (writer === undefined) throw new StoreError('OBJECT_EXISTS', `${key} exists with other content`);
      throwIfAborted(signal, 'upload');
      if (!overwrite) {
        // Another writer may have published the key while this stream was read.
        const winner = await this.head(key, signal);
        if (winner !== undefined) {
          await writer.abort();
          if (same(winner)) return { meta: winner, created: false };
          throw new StoreError('OBJECT_EXISTS', `${key} exists with other content`);
        }
      }
      const storedUnixMs = await writer.publish(received.tail, sizeBytes, blake2b256);
      return { meta: { key, sizeBytes, blake2b256, contentType, storedUnixMs }, created: true };
    } catch (error) {
      await writer?.abort();
      throw toStoreError(error, `storing ${key}`, signal);
    }
  }

  async get(
    key: string,
    range?: ByteRange,
    signal?: AbortSignal,
  ): Promise<{ meta: ObjectMeta; body: AsyncIterable<Uint8Array> }> {
    this.checkKey(key);
    throwIfAborted(signal, 'download');
    const offset = range?.offset ?? 0;
    const length = range?.length ?? 0;
    const badRange = (size?: number): StoreError =>
      new StoreError(
        'BAD_RANGE',
        `range ${offset}+${length} is outside ${key}${size === undefined ? '' : ` (${size} bytes)`}`,
        {
          details: { offset, length, ...(size === undefined ? {} : { sizeBytes: size }) },
        },
      );
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw badRange();
    }
    const ranged = offset !== 0 || length !== 0;
    const { bucket } = this.options;
    let response: Readable;
    try {
      response = await withSignal(signal, () =>
        ranged
          ? this.client.getPartialObject(bucket, key, offset, length)
          : this.client.getObject(bucket, key),
      );
    } catch (error) {
      const mapped = toStoreError(error, `reading ${key}`, signal);
      if (mapped.reason !== 'BAD_RANGE' || length !== 0) throw mapped;
      // S3 refuses a range that starts at the end; reading nothing there is valid, as on a filesystem.
      const meta = await this.head(key, signal);
      if (meta === undefined) throw new StoreError('NOT_FOUND', `no object ${key}`);
      if (meta.sizeBytes !== offset) throw badRange(meta.sizeBytes);
      return { meta, body: emptyBody() };
    }
    try {
      const headers = (response as http.IncomingMessage).headers;
      const meta = metaFromHeaders(key, headers, objectSize(key, headers, ranged));
      const end = length === 0 ? meta.sizeBytes : offset + length;
      if (offset > meta.sizeBytes || end > meta.sizeBytes) throw badRange(meta.sizeBytes);
      return { meta, body: responseBody(response, end - offset, key, signal) };
    } catch (error) {
      response.destroy();
      throw error;
    }
  }

  async head(key: string, signal?: AbortSignal): Promise<ObjectMeta | undefined> {
    this.checkKey(key);
    throwIfAborted(signal, 'head');
    try {
      const stat = await withSignal(signal, () => this.client.statObject(this.options.bucket, key));
      return metaFromStat(key, stat);
    } catch (error) {
      const mapped = toStoreError(error, `head ${key}`, signal);
      if (mapped.reason === 'NOT_FOUND') return undefined;
      throw mapped;
    }
  }

  async list(prefix: string, pageToken?: string, pageSize?: number, signal?: AbortSignal): Promise<ListPage> {
    this.checkOpen();
    try {
      validateKeyPrefix(prefix);
    } catch (error) {
      throw new StoreError('BAD_KEY', error instanceof Error ? error.message : `bad prefix ${prefix}`, {
        cause: error,
      });
    }
    throwIfAborted(signal, 'list');
    const limit =
      pageSize === undefined || pageSize <= 0
        ? S3_LIST_PAGE_MAX
        : Math.min(Math.floor(pageSize), S3_LIST_PAGE_MAX);
    const { bucket, listConcurrency } = this.options;
    let page: Awaited<ReturnType<Client['listObjectsV2Query']>>;
    try {
      page = await withSignal(signal, () =>
        this.client.listObjectsV2Query(bucket, prefix, pageToken ?? '', '', limit, ''),
      );
    } catch (error) {
      throw toStoreError(error, `listing ${prefix}`, signal);
    }
    const keys = page.objects
      .map((item) => item.name)
      .filter((name): name is string => name !== undefined && !name.startsWith(TMP_PREFIX) && isKey(name));
    const described = await mapLimit(keys, listConcurrency, (key) => this.describe(key, signal));
    const objects: ObjectMeta[] = [];
    const foreign: ForeignObject[] = [];
    for (const entry of described) {
      // Objects deleted between the listing and their HEAD are left out.
      if (entry === undefined) continue;
      if ('blake2b256' in entry) objects.push(entry);
      else foreign.push(entry);
    }
    const token = page.isTruncated ? page.nextContinuationToken : '';
    return {
      objects,
      ...(foreign.length === 0 ? {} : { foreign }),
      ...(token === '' || token === undefined ? {} : { nextPageToken: token }),
    };
  }

  /**
   * A listed key's metadata; its size alone when it has no metadata of ours (reported once); undefined
   * when it is gone.
   */
  private async describe(key: string, signal?: AbortSignal): Promise<ObjectMeta | ForeignObject | undefined> {
    let stat: Awaited<ReturnType<Client['statObject']>>;
    try {
      stat = await withSignal(signal, () => this.client.statObject(this.options.bucket, key));
    } catch (error) {
      const mapped = toStoreError(error, `head ${key}`, signal);
      if (mapped.reason === 'NOT_FOUND') return undefined;
      throw mapped;
    }
    // metaFromStat refuses a reply without a usable size, foreign or not.
    if (statHasContentHash(stat) || !Number.isSafeInteger(stat.size) || stat.size < 0) {
      return metaFromStat(key, stat);
    }
    if (!this.reportedForeign.has(key)) {
      if (this.reportedForeign.size >= FOREIGN_REPORTED_MAX) this.reportedForeign.clear();
      this.reportedForeign.add(key);
      this.options.onForeign?.(key, stat.size);
    }
    return { key, sizeBytes: stat.size };
  }

  async delete(key: string): Promise<boolean> {
    this.checkKey(key);
    const { bucket } = this.options;
    try {
      // S3 answers a DELETE the same whether or not the key existed: ask first.
      return await withSignal(undefined, async () => {
        const existed = await this.client.statObject(bucket, key).then(
          () => true,
          (error: unknown) => {
            if (toStoreError(error, `head ${key}`).reason === 'NOT_FOUND') return false;
            throw error;
          },
        );
        if (existed) await this.client.removeObject(bucket, key);
        return existed;
      });
    } catch (error) {
      throw toStoreError(error, `deleting ${key}`);
    }
  }

  /**
   * A URL that lets anyone holding it GET `key` for `expirySeconds` (at most 7 days) with plain HTTP,
   * no credentials: how a peer or a joining node downloads a checkpoint straight from this bucket.
   */
  async presignedGetUrl(key: string, expirySeconds: number): Promise<string> {
    this.checkKey(key);
    if (!Number.isSafeInteger(expirySeconds) || expirySeconds < 1 || expirySeconds > S3_PRESIGN_MAX_SECONDS) {
      throw new InvalidArgumentError(
        `Expected 1..${S3_PRESIGN_MAX_SECONDS} seconds for expirySeconds but received ${String(expirySeconds)}`,
      );
    }
    try {
      return await this.client.presignedGetObject(this.options.bucket, key, expirySeconds);
    } catch (error) {
      throw toStoreError(error, `presigning ${key}`);
    }
  }

  close(): Promise<void> {
    this.closed = true;
    this.agent.destroy();
    return Promise.resolve();
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError('BACKEND_ERROR', 'the S3 backend is closed');
  }

  private checkKey(key: string): void {
    this.checkOpen();
    try {
      validateKey(key);
    } catch (error) {
      throw new StoreError('BAD_KEY', error instanceof Error ? error.message : `bad key ${key}`, {
        cause: error,
      });
    }
    if (key.startsWith(TMP_PREFIX)) {
      throw new StoreError('BAD_KEY', `keys under ${TMP_PREFIX} are reserved for uploads in progress`);
    }
  }
}

function isKey(name: string): boolean {
  try {
    validateKey(name);
    return true;
  } catch {
    return false; // an object someone put there under a name that is no key: not listed
  }
}

/**
 * Open the S3 backend of `options.bucket`. No request is made unless `createBucketIfMissing` is set,
 * in which case the bucket is created (with cleanup lifecycle rules) when it does not exist yet.
 * Throws `InvalidArgumentError` for bad options and a `StoreError` when the bucket cannot be ensured.
 */
export async function createS3Backend(options: S3BackendOptions): Promise<S3Backend> {
  const resolved = resolveS3Options(options);
  const { client, agent } = createS3Client(resolved);
  if (resolved.createBucketIfMissing) {
    try {
      await ensureBucket(client, resolved.bucket, resolved.region);
    } catch (error) {
      agent.destroy();
      throw toStoreError(error, `creating bucket ${resolved.bucket}`);
    }
  }
  return new S3Backend(resolved, client, agent);
}
