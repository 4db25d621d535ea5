/**
 * A typed client of the checkpoint-store for the services that read and write run objects (coordinator,
 * aggregator, gpu-worker): whole-object put/get over the streaming RPCs, `undefined` for an absent key
 * instead of an error, and every listing page followed. Objects here are updates, aggregates, manifests
 * and checkpoints, read whole; dataset shards are read by range ({@link StoreClient.getRange}); objects
 * too big for memory (dataset shards, checkpoints: a JavaScript buffer stops at 4 GiB) are published from
 * files ({@link StoreClient.putFile}) and read into files ({@link StoreClient.getToFile}).
 */
import { constants as bufferConstants } from 'node:buffer';
import { open, rm } from 'node:fs/promises';
import { CohortError, Code } from '@cohort/core';
import { CheckpointStoreService } from '@cohort/proto/cohort/store/v1/checkpoint_store';
import type { ObjectInfo } from '@cohort/proto/cohort/common/v1/types';
import { writeFully } from './file-io.js';
import { createServiceClient, createTransport } from './grpc/client.js';
import type { Transport } from './grpc/client.js';
import type { ServiceClient } from './grpc/types.js';

/** Options of {@link StoreClient}. */
export interface StoreClientOptions {
  /** Bytes per streamed Put message (default 1 MiB). */
  readonly chunkBytes?: number;
  /** Largest object {@link StoreClient.get} accepts (default 8 GiB): a bigger one is refused, not buffered. */
  readonly maxObjectBytes?: number;
}

/** Options of {@link StoreClient.get}. */
export interface GetOptions {
  readonly signal?: AbortSignal;
  /**
   * Largest object this read accepts (default: the client's `maxObjectBytes`). A bigger announced size is
   * refused (FailedPrecondition, reason TOO_LARGE) before a byte is allocated or received, so a reader
   * that expects a small object (LATEST, a manifest, a selection) never buffers a huge one found under
   * its key. A non-negative integer.
   */
  readonly maxBytes?: number;
}

/** Options of the metadata calls ({@link StoreClient.head}, {@link StoreClient.list}, {@link StoreClient.delete}). */
export interface StoreCallOptions {
  /** Cancels the call (and, for a listing, every page still to come): shutdown never waits on a store. */
  readonly signal?: AbortSignal;
}

/** What a whole-object read returns. */
export interface StoredObject {
  readonly info: ObjectInfo;
  readonly bytes: Uint8Array;
}

/** Options of a Put: the content type and the end-to-end hash the store must find. */
interface PutOptions {
  readonly contentType?: string;
  readonly blake2b256?: Uint8Array;
}

/** The first message of a streamed Put. */
function putHeader(key: string, size: number, options: PutOptions) {
  return {
    part: {
      case: 'header' as const,
      value: {
        key,
        sizeBytes: BigInt(size),
        contentType: options.contentType ?? 'application/octet-stream',
        ...(options.blake2b256 ? { expectedBlake2b256: options.blake2b256 } : {}),
      },
    },
  };
}

const isNotFound = (error: unknown): boolean => error instanceof CohortError && error.code === Code.NotFound;

const callOptions = (signal: AbortSignal | undefined): { signal?: AbortSignal } => (signal ? { signal } : {});

/** Node caps one typed array here (4 GiB on Node 20): a bigger object could never be read whole. */
const MAX_BUFFER_BYTES = bufferConstants.MAX_LENGTH;

/** A checkpoint-store client over one gRPC transport. */
export class StoreClient {
  readonly raw: ServiceClient<typeof CheckpointStoreService>;
  readonly #transport: Transport;
  readonly #chunk: number;
  readonly #max: number;

  constructor(address: string, options: StoreClientOptions = {}) {
    this.#transport = createTransport(address);
    this.raw = createServiceClient(CheckpointStoreService, this.#transport);
    this.#chunk = options.chunkBytes ?? 1024 * 1024;
    this.#max = options.maxObjectBytes ?? 8 * 1024 ** 3;
  }

  /**
   * Store `bytes` under `key`, checked end to end (size and BLAKE2b-256 when `blake2b256` is given).
   * Returns the stored object's info and whether it was new (identical bytes already there: false).
   */
  async put(
    key: string,
    bytes: Uint8Array,
    options: {
      readonly contentType?: string;
      readonly blake2b256?: Uint8Array;
      readonly signal?: AbortSignal;
    } = {},
  ): Promise<{ info: ObjectInfo | undefined; created: boolean }> {
    const chunk = this.#chunk;
    function* requests() {
      yield putHeader(key, bytes.length, options);
      for (let at = 0; at < bytes.length; at += chunk) {
        yield { part: { case: 'chunk' as const, value: bytes.subarray(at, at + chunk) } };
      }
    }
    const response = await this.raw.put(requests(), options.signal ? { signal: options.signal } : {});
    return { info: response.info, created: response.created };
  }

  /**
   * Stream the file at `path` to `key` with the same checks as {@link StoreClient.put}, for objects too
   * big to hold in memory (published dataset shards): the size comes from `stat`, the bytes are read in
   * chunks from one file handle, closed when the call settles. A file that shrinks while it is read fails
   * (DataLoss, reason FILE_CHANGED); one that grows is sent up to its size at open, which the store
   * refuses when an expected hash was given.
   */
  async putFile(
    key: string,
    path: string,
    options: {
      readonly contentType?: string;
      readonly blake2b256?: Uint8Array;
      readonly signal?: AbortSignal;
    } = {},
  ): Promise<{ info: ObjectInfo | undefined; created: boolean }> {
    const file = await open(path, 'r');
    const chunk = this.#chunk;
    async function* requests() {
      const size = (await file.stat()).size;
      yield putHeader(key, size, options);
      for (let at = 0; at < size;) {
        const buffer = new Uint8Array(Math.min(chunk, size - at));
        const { bytesRead } = await file.read(buffer, 0, buffer.length, at);
        if (bytesRead === 0) {
          throw new CohortError(Code.DataLoss, `${path} ended after ${at} of ${size} bytes while sent`, {
            reason: 'FILE_CHANGED',
          });
        }
        at += bytesRead;
        yield { part: { case: 'chunk' as const, value: buffer.subarray(0, bytesRead) } };
      }
    }
    const stream = requests();
    try {
      const response = await this.raw.put(stream, options.signal ? { signal: options.signal } : {});
      return { info: response.info, created: response.created };
    } finally {
      // A call the store ended early can leave the generator suspended at a chunk: finish it first, so
      // no read is in flight when the file closes.
      await stream.return(undefined);
      await file.close();
    }
  }

  /**
   * Receive the object under `key`: `sink.info` first (it may throw to refuse the object), then every
   * chunk at its offset, never more than the announced size, which must be reached (DataLoss, reason
   * SIZE_MISMATCH). Returns the info, or undefined when there is no object.
   */
  async #receive(
    key: string,
    signal: AbortSignal | undefined,
    sink: {
      readonly info: (info: ObjectInfo) => void;
      readonly chunk: (bytes: Uint8Array, offset: number) => void | Promise<void>;
    },
  ): Promise<ObjectInfo | undefined> {
    try {
      let info: ObjectInfo | undefined;
      let at = 0;
      for await (const m of this.raw.get({ key }, callOptions(signal))) {
        if (m.part.case === 'info') {
          info = m.part.value;
          sink.info(info);
        } else if (m.part.case === 'chunk') {
          if (info === undefined || BigInt(at + m.part.value.length) > info.sizeBytes) {
            throw new CohortError(Code.DataLoss, `the store streamed more of ${key} than it announced`, {
              reason: 'SIZE_MISMATCH',
            });
          }
          await sink.chunk(m.part.value, at);
          at += m.part.value.length;
        }
      }
      if (info === undefined || BigInt(at) !== info.sizeBytes) {
        throw new CohortError(Code.DataLoss, `the store's stream of ${key} ended early`, {
          reason: 'SIZE_MISMATCH',
        });
      }
      return info;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /**
   * The whole object under `key`, or undefined when there is none. The object must fit `maxBytes`, the
   * client's `maxObjectBytes` and one JavaScript buffer: the announced size is checked before the buffer
   * is allocated (FailedPrecondition, reason TOO_LARGE; the transfer is cancelled).
   */
  async get(key: string, options: GetOptions = {}): Promise<StoredObject | undefined> {
    const { maxBytes } = options;
    if (maxBytes !== undefined && (!Number.isSafeInteger(maxBytes) || maxBytes < 0)) {
      throw new CohortError(
        Code.InvalidArgument,
        `Expected a non-negative integer for maxBytes but received ${String(maxBytes)}`,
        { reason: 'BAD_LIMIT' },
      );
    }
    const limit = Math.min(this.#max, maxBytes ?? Infinity, MAX_BUFFER_BYTES);
    let bytes = new Uint8Array(0);
    const info = await this.#receive(key, options.signal, {
      info: (announced) => {
        if (announced.sizeBytes > BigInt(limit)) {
          throw new CohortError(
            Code.FailedPrecondition,
            `${key} has ${announced.sizeBytes} bytes, over ${limit}`,
            {
              reason: 'TOO_LARGE',
              details: { key, sizeBytes: Number(announced.sizeBytes), maxBytes: limit },
            },
          );
        }
        bytes = new Uint8Array(Number(announced.sizeBytes));
      },
      chunk: (chunk, at) => bytes.set(chunk, at),
    });
    return info === undefined ? undefined : { info, bytes };
  }

  /**
   * Stream the object under `key` into the file at `path` (created or truncated), never holding it in
   * memory whole: for checkpoints of models whose fp32 weights exceed one JavaScript buffer. Returns the
   * object's info, or undefined when there is none (no file is left). `check` sees the info before any
   * byte is written and may throw to refuse the object (its error is the call's). The byte count must
   * be the announced size (DataLoss, reason SIZE_MISMATCH); on any failure the partial file is removed.
   * The content hash is the caller's to check (a checkpoint load verifies the file's BLAKE2b-256).
   */
  async getToFile(
    key: string,
    path: string,
    options: { readonly signal?: AbortSignal; readonly check?: (info: ObjectInfo) => void } = {},
  ): Promise<ObjectInfo | undefined> {
    const file = await open(path, 'w');
    let info: ObjectInfo | undefined;
    try {
      info = await this.#receive(key, options.signal, {
        info: (announced) => options.check?.(announced),
        chunk: (chunk, at) => writeFully(file, chunk, at),
      });
      return info;
    } finally {
      await file.close();
      if (info === undefined) await rm(path, { force: true });
    }
  }

  /**
   * Exactly `length` bytes of `key` from `offset` (one ranged Get), for readers that never load a whole
   * object (dataset shards). Throws NotFound (reason NOT_FOUND) when there is no object, and DataLoss
   * (reason SIZE_MISMATCH) when the object ends before `offset + length` or the store sends more.
   */
  async getRange(
    key: string,
    offset: number,
    length: number,
    options: { readonly signal?: AbortSignal } = {},
  ): Promise<Uint8Array> {
    if (!Number.isSafeInteger(offset) || offset < 0 || !Number.isSafeInteger(length) || length < 1) {
      throw new CohortError(
        Code.InvalidArgument,
        `a range is a non-negative offset and a positive length; received ${offset}+${length}`,
        { reason: 'BAD_RANGE' },
      );
    }
    if (length > this.#max) {
      throw new CohortError(Code.FailedPrecondition, `a range of ${length} bytes is over ${this.#max}`, {
        reason: 'TOO_LARGE',
      });
    }
    const out = new Uint8Array(length);
    let at = 0;
    const short = (what: string): CohortError =>
      new CohortError(Code.DataLoss, `${key}[${offset}, +${length}): ${what}`, { reason: 'SIZE_MISMATCH' });
    const request = { key, offset: BigInt(offset), length: BigInt(length) };
    for await (const m of this.raw.get(request, callOptions(options.signal))) {
      if (m.part.case !== 'chunk') continue;
      if (at + m.part.value.length > length) throw short('the store sent more bytes than asked for');
      out.set(m.part.value, at);
      at += m.part.value.length;
    }
    if (at !== length) throw short(`the object ends after ${at} of the bytes`);
    return out;
  }

  /** The object's info, or undefined when there is none. */
  async head(key: string, options: StoreCallOptions = {}): Promise<ObjectInfo | undefined> {
    try {
      return (await this.raw.head({ key }, callOptions(options.signal))).info;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw error;
    }
  }

  /** Every object under `prefix` (all pages). */
  async list(prefix: string, options: StoreCallOptions = {}): Promise<ObjectInfo[]> {
    const out: ObjectInfo[] = [];
    let pageToken = '';
    do {
      const page = await this.raw.list({ prefix, pageToken }, callOptions(options.signal));
      out.push(...page.objects);
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    return out;
  }

  /**
   * Delete the object under `key` in this operator's bucket (write-once keys included: for a writer
   * removing its own unreferenced objects). Returns whether there was one.
   */
  async delete(key: string, options: StoreCallOptions = {}): Promise<boolean> {
    return (await this.raw.delete({ key }, callOptions(options.signal))).deleted;
  }

  /** Close the transport. */
  close(): void {
    this.#transport.close();
  }
}
