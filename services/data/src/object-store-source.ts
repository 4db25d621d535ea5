/**
 * A dataset under a key prefix of an object store, read by ranged GETs: the object-store side of the
 * {@link DatasetStore} seam. A worker opens a dataset of any size this way without downloading it; the
 * run's checkpoint-store client (`StoreClient` of `@cohort/kit`) is the usual reader, and anything with
 * the same two calls (an S3 client wrapper, a test double) plugs in.
 */
import { CohortError, Code, validateKeyPrefix } from '@cohort/core';
import { DataError } from './data-error.js';
import type { DatasetStore, RangeSource } from './range-source.js';

/** The two object-store calls a remote dataset needs. `StoreClient` of `@cohort/kit` has both. */
export interface ObjectRangeReader {
  /** The object's size, or undefined when there is no object under `key`. */
  head(key: string): Promise<{ readonly sizeBytes: bigint } | undefined>;
  /** Exactly `length` bytes from `offset`; throws NotFound without an object, DataLoss when it is short. */
  getRange(
    key: string,
    offset: number,
    length: number,
    options?: { readonly signal?: AbortSignal },
  ): Promise<Uint8Array>;
}

/** Where a dataset lives in an object store. */
export interface ObjectStoreDatasetOptions {
  /** The key prefix holding `manifest.json` and the shard files (a trailing `/` is added when missing). */
  readonly prefix: string;
  /** Words for messages, e.g. `store 10.0.0.5:50051` (default `object store`). */
  readonly where?: string;
}

/** Normalise a dataset prefix: a valid key prefix that names a folder (ends in `/`). */
export function datasetPrefix(prefix: string): string {
  if (typeof prefix !== 'string' || prefix.trim() === '') {
    throw new DataError('DATA_INVALID_OPTION', 'a dataset prefix must be a non-empty store key prefix', {
      details: { prefix },
    });
  }
  const folder = prefix.endsWith('/') ? prefix : `${prefix}/`;
  try {
    return validateKeyPrefix(folder);
  } catch (cause) {
    throw new DataError(
      'DATA_INVALID_OPTION',
      `dataset prefix ${JSON.stringify(prefix)} is not a valid key prefix`,
      {
        cause,
        details: { prefix },
      },
    );
  }
}

function mapReadError(error: unknown, file: string, location: string): unknown {
  if (error instanceof CohortError && error.code === Code.NotFound) {
    return new DataError('SHARD_FILE_MISSING', `${location}${file} does not exist`, {
      cause: error,
      details: { file },
    });
  }
  if (error instanceof CohortError && error.code === Code.DataLoss) {
    return new DataError(
      'SHARD_SIZE_MISMATCH',
      `${location}${file} is shorter than it was: ${error.message}`,
      {
        cause: error,
        details: { file },
      },
    );
  }
  return error;
}

/** The dataset under `options.prefix`, read through `reader`; nothing is fetched until a file is opened. */
export function createObjectStoreSource(
  reader: ObjectRangeReader,
  options: ObjectStoreDatasetOptions,
): DatasetStore {
  const prefix = datasetPrefix(options.prefix);
  const location = `${options.where ?? 'object store'}:${prefix}`;
  return {
    location,
    async open(file): Promise<RangeSource> {
      const key = prefix + file;
      const info = await reader.head(key);
      if (info === undefined) {
        throw new DataError('SHARD_FILE_MISSING', `${location}${file} does not exist`, { details: { file } });
      }
      const size = Number(info.sizeBytes);
      return {
        size,
        async readRange(offset, length) {
          if (length === 0) return new Uint8Array(0);
          if (offset + length > size) {
            const message = `${location}${file} has ${size} bytes; asked for [${offset}, ${offset + length})`;
            throw new DataError('SHARD_SIZE_MISMATCH', message, { details: { file } });
          }
          try {
            return await reader.getRange(key, offset, length);
          } catch (error) {
            throw mapReadError(error, file, location);
          }
        },
        close: () => Promise.resolve(),
      };
    },
  };
}
