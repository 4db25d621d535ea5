/**
 * One S3 multipart upload, driven part by part: the object appears only when {@link MultipartUpload.complete}
 * succeeds, and {@link MultipartUpload.abort} discards every part sent, so a failed, refused or aborted
 * upload leaves nothing visible. Parts are uploaded one at a time while the caller fills the next one
 * (two parts in memory at most). Written here rather than with `minio`'s `putObject` stream path, which
 * resumes any earlier unfinished upload of the same key, never aborts a failed one, and stalls when its
 * source stream errors.
 */
import type { Client } from 'minio';
import { withSignal } from './s3-transport.js';

/** Where the upload goes and how its requests are cancelled. */
export interface MultipartTarget {
  readonly client: Client;
  readonly bucket: string;
  readonly key: string;
  /** Headers of the object (content type, user metadata), fixed when the upload starts. */
  readonly headers: Record<string, string>;
  readonly signal: AbortSignal | undefined;
}

/** A multipart upload in progress; start one with {@link startMultipart}. */
export class MultipartUpload {
  private readonly etags: { part: number; etag: string }[] = [];
  private nextPart = 1;
  private inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly target: MultipartTarget,
    private readonly uploadId: string,
  ) {}

  /**
   * Send the next part: `payload` bytes (at least 5 MiB unless it is the last part), or, with no
   * payload, a server-side copy described by `partHeaders` (`x-amz-copy-source`, `-range`). Resolves
   * once the previous part is stored and this one is on its way; its own failure surfaces at the next
   * call.
   */
  async send(payload: Buffer | undefined, partHeaders: Record<string, string> = {}): Promise<void> {
    await this.inFlight;
    const { client, bucket, key, signal } = this.target;
    const part = this.nextPart++;
    this.inFlight = withSignal(signal, () =>
      client.uploadPart(
        {
          bucketName: bucket,
          objectName: key,
          uploadID: this.uploadId,
          partNumber: part,
          headers: partHeaders,
        },
        payload,
      ),
    ).then(({ etag }) => {
      this.etags.push({ part, etag });
    });
    // Observed by the next send(), complete() or abort(); never an unhandled rejection meanwhile.
    this.inFlight.catch(() => undefined);
  }

  /** Wait for the last part and make the object visible, atomically. */
  async complete(): Promise<void> {
    await this.inFlight;
    const { client, bucket, key, signal } = this.target;
    const parts = [...this.etags].sort((a, b) => a.part - b.part);
    await withSignal(signal, () => client.completeMultipartUpload(bucket, key, this.uploadId, parts));
  }

  /**
   * Discard the upload and its parts. Best effort and never throws: it runs after another failure,
   * which is the one the caller reports; a server that keeps the parts regardless is cleaned by the
   * bucket's AbortIncompleteMultipartUpload lifecycle rule. Runs without the caller's signal, which
   * has usually aborted.
   */
  async abort(): Promise<void> {
    await this.inFlight.catch(() => undefined);
    const { client, bucket, key } = this.target;
    await withSignal(undefined, () => client.abortMultipartUpload(bucket, key, this.uploadId)).catch(
      () => undefined,
    );
  }
}

/** Start a multipart upload of `target.key` with the object's headers. */
export async function startMultipart(target: MultipartTarget): Promise<MultipartUpload> {
  const { client, bucket, key, headers, signal } = target;
  const uploadId = await withSignal(signal, () => client.initiateNewMultipartUpload(bucket, key, headers));
  return new MultipartUpload(target, uploadId);
}
