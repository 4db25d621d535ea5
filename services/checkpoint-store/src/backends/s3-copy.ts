/**
 * Server-side copy of an object to another key with new metadata (MetadataDirective REPLACE): how an
 * upload whose hash was only known at its end gets that hash onto its final key without sending the
 * bytes again. The copy becomes visible atomically. Objects up to `maxCopyBytes` (S3 allows 5 GiB)
 * are copied in one request; larger ones part by part (UploadPartCopy), since `minio`'s
 * `composeObject` numbers every piece of one source as the same part.
 */
import { CopyDestinationOptions, CopySourceOptions } from 'minio';
import type { Client } from 'minio';
import { startMultipart } from './s3-multipart.js';
import { withSignal } from './s3-transport.js';

/** S3's largest single-request copy. */
export const S3_MAX_COPY_BYTES = 5 * 1024 ** 3;

/** What to copy where. */
export interface CopyRequest {
  readonly client: Client;
  readonly bucket: string;
  readonly from: string;
  readonly to: string;
  readonly sizeBytes: number;
  /** The new object's headers (content type and user metadata), replacing the source's. */
  readonly headers: Record<string, string>;
  readonly maxCopyBytes: number;
  readonly signal: AbortSignal | undefined;
}

/** Copy `from` to `to` with `headers` as its metadata. */
export async function copyWithMetadata(request: CopyRequest): Promise<void> {
  const { client, bucket, from, to, sizeBytes, headers, maxCopyBytes, signal } = request;
  if (sizeBytes <= maxCopyBytes) {
    const source = new CopySourceOptions({ Bucket: bucket, Object: from });
    const destination = new CopyDestinationOptions({
      Bucket: bucket,
      Object: to,
      MetadataDirective: 'REPLACE',
      Headers: headers,
    });
    await withSignal(signal, () => client.copyObject(source, destination));
    return;
  }
  const upload = await startMultipart({ client, bucket, key: to, headers, signal });
  try {
    const copySource = encodeURI(`${bucket}/${from}`);
    for (let offset = 0; offset < sizeBytes; offset += maxCopyBytes) {
      const end = Math.min(offset + maxCopyBytes, sizeBytes) - 1;
      await upload.send(undefined, {
        'x-amz-copy-source': copySource,
        'x-amz-copy-source-range': `bytes=${offset}-${end}`,
      });
    }
    await upload.complete();
  } catch (error) {
    await upload.abort();
    throw error;
  }
}
