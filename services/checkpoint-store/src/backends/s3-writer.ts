/**
 * Where the bytes of one S3 put go, so that the object under its key appears whole, with its hash in
 * its metadata, or not at all:
 * - at most one part: nothing is sent while the stream is read; one PUT with the hash at the end.
 * - more, hash known in advance (`expectedBlake2b256`): a multipart upload straight to the key with
 *   the metadata, completed only after the stream checked out, else aborted.
 * - more, hash unknown: a multipart upload to a temporary key under {@link TMP_PREFIX}, then a
 *   server-side copy to the key with the metadata, then the temporary object is deleted.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from 'minio';
import { copyWithMetadata } from './s3-copy.js';
import { metaHeaders } from './s3-meta.js';
import { startMultipart } from './s3-multipart.js';
import type { MultipartUpload } from './s3-multipart.js';
import { withSignal } from './s3-transport.js';

/** Reserved key prefix of uploads in progress: no valid key starts with it and listings hide it. */
export const TMP_PREFIX = '.cohort-tmp/';

/** One put's destination and settings. */
export interface WriterOptions {
  readonly client: Client;
  readonly bucket: string;
  readonly key: string;
  readonly contentType: string;
  /** The hash promised by the caller: lets a large upload go straight to the key. */
  readonly knownBlake2b256: Uint8Array | undefined;
  readonly maxCopyBytes: number;
  readonly signal: AbortSignal | undefined;
  readonly now: () => number;
}

/** Sends parts as they are cut, then publishes or discards. */
export class ObjectWriter {
  private upload: MultipartUpload | undefined;
  private uploadKey: string | undefined;
  private storedUnixMs: number | undefined;
  private tmpWritten = false;
  private discarded = false;

  constructor(private readonly options: WriterOptions) {}

  /** Receive one full part (the {@link receiveParts} callback). */
  readonly onPart = async (part: Buffer): Promise<void> => {
    if (this.upload === undefined) {
      const { client, bucket, key, contentType, knownBlake2b256, signal, now } = this.options;
      let headers: Record<string, string> = { 'Content-Type': contentType };
      this.uploadKey = `${TMP_PREFIX}${randomUUID()}`;
      if (knownBlake2b256 !== undefined) {
        this.storedUnixMs = now();
        headers = metaHeaders(knownBlake2b256, this.storedUnixMs, contentType);
        this.uploadKey = key;
      }
      this.upload = await startMultipart({ client, bucket, key: this.uploadKey, headers, signal });
    }
    await this.upload.send(part);
  };

  /**
   * Make the object visible under its key with `blake2b256` in its metadata; `tail` is what the stream
   * held after the last part. Returns the stored time. On failure, call {@link abort}.
   */
  async publish(tail: Buffer, sizeBytes: number, blake2b256: Uint8Array): Promise<number> {
    const { client, bucket, key, contentType, signal, now } = this.options;
    if (this.upload === undefined) {
      const stored = now();
      const headers = metaHeaders(blake2b256, stored, contentType);
      await withSignal(signal, () => client.putObject(bucket, key, tail, tail.length, headers));
      return stored;
    }
    if (tail.length > 0) await this.upload.send(tail);
    await this.upload.complete();
    if (this.uploadKey === key && this.storedUnixMs !== undefined) return this.storedUnixMs;
    this.tmpWritten = true;
    const stored = now();
    const from = this.uploadKey ?? '';
    await copyWithMetadata({
      client,
      bucket,
      from,
      to: key,
      sizeBytes,
      headers: metaHeaders(blake2b256, stored, contentType),
      maxCopyBytes: this.options.maxCopyBytes,
      signal,
    });
    await this.removeTmp();
    return stored;
  }

  /** Discard whatever was sent (never throws; the failure that led here is the one to report). */
  async abort(): Promise<void> {
    if (this.discarded) return;
    this.discarded = true;
    await this.upload?.abort();
    await this.removeTmp();
  }

  private async removeTmp(): Promise<void> {
    if (!this.tmpWritten || this.uploadKey === undefined) return;
    this.tmpWritten = false;
    const { client, bucket } = this.options;
    const tmpKey = this.uploadKey;
    // Best effort: a leftover temporary object is invisible to listings and expires with the bucket's
    // lifecycle rule for TMP_PREFIX.
    await withSignal(undefined, () => client.removeObject(bucket, tmpKey)).catch(() => undefined);
  }
}
