/**
 * Create the operator's bucket when it is missing, with the lifecycle rules that clean up after
 * uploads that never finished (a crashed writer leaves an incomplete multipart upload, or a temporary
 * object under the reserved prefix): both go after a day. Rules are set only on a bucket created here,
 * never on an existing one, whose owner may have rules of their own.
 */
import type { Client } from 'minio';
import { toStoreError } from './s3-errors.js';
import { withSignal } from './s3-transport.js';
import { TMP_PREFIX } from './s3-writer.js';

/** Ensure `bucket` exists; true when it was created by this call. */
export async function ensureBucket(client: Client, bucket: string, region: string): Promise<boolean> {
  return withSignal(undefined, async () => {
    if (await client.bucketExists(bucket)) return false;
    try {
      await client.makeBucket(bucket, region);
    } catch (error) {
      // Created concurrently by another replica of this operator: fine.
      if (toStoreError(error, 'creating a bucket').details['s3Code'] === 'BucketAlreadyOwnedByYou')
        return false;
      throw error;
    }
    try {
      await client.setBucketLifecycle(bucket, {
        Rule: [
          {
            ID: 'cohort-abort-incomplete-uploads',
            Status: 'Enabled',
            Filter: { Prefix: '' },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
          },
          {
            ID: 'cohort-expire-temporary-objects',
            Status: 'Enabled',
            Filter: { Prefix: TMP_PREFIX },
            Expiration: { Days: 1 },
          },
        ],
      });
    } catch (error) {
      // A store without lifecycle support still works; leftovers then need a manual sweep.
      const code = toStoreError(error, 'setting lifecycle rules').details['s3Code'];
      if (code !== 'NotImplemented' && code !== 'MethodNotAllowed') throw error;
    }
    return true;
  });
}
