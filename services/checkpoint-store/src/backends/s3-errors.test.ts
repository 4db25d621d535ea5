/**
 * Error mapping of the S3 backend on the shapes `minio` and Node actually throw (the integration tests
 * in test/integration/s3-backend*.test.ts produce them for real).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { S3Error, InvalidXMLError } from 'minio';
import { toStoreError } from './s3-errors.js';
import { S3TimeoutError } from './s3-transport.js';

function s3Error(fields: Record<string, string>): S3Error {
  const error = new S3Error(fields['message'] ?? '');
  Object.assign(error, fields);
  return error;
}

const errno = (code: string): Error => Object.assign(new Error(`connect ${code}`), { code });

test('S3 error codes map to their reasons, anything else is BACKEND_ERROR', () => {
  const cases: [Record<string, string>, string][] = [
    [{ code: 'NoSuchKey', message: 'The specified key does not exist.' }, 'NOT_FOUND'],
    [{ code: 'NotFound', message: 'Not Found' }, 'NOT_FOUND'],
    [{ code: 'AccessDenied' }, 'PEER_DENIED'],
    [{ code: 'SignatureDoesNotMatch' }, 'PEER_DENIED'],
    [{ code: 'InvalidAccessKeyId' }, 'PEER_DENIED'],
    [{ code: 'InvalidRange' }, 'BAD_RANGE'],
    [{ code: 'EntityTooLarge' }, 'TOO_LARGE'],
    [{ code: 'InternalError', message: 'We encountered an internal error.' }, 'BACKEND_ERROR'],
    [{ message: 'completion failed' }, 'BACKEND_ERROR'],
  ];
  for (const [fields, reason] of cases) {
    const mapped = toStoreError(s3Error(fields), 'reading k');
    assert.equal(mapped.reason, reason, JSON.stringify(fields));
    assert.equal(mapped.cause instanceof S3Error, true);
  }
  assert.equal(toStoreError(s3Error({ code: 'AccessDenied' }), 'x').details['s3Code'], 'AccessDenied');
  // minio's parseXml throws the parsed <Error> element itself, a plain object.
  assert.equal(toStoreError({ Code: 'NoSuchKey', Message: 'gone' }, 'x').reason, 'NOT_FOUND');
});

test('replies that are not S3 are PEER_BAD_REPLY', () => {
  assert.equal(toStoreError(new S3Error(), 'listing').reason, 'PEER_BAD_REPLY');
  assert.equal(
    toStoreError(new InvalidXMLError('Missing tag: "ListBucketResult"'), 'listing').reason,
    'PEER_BAD_REPLY',
  );
  assert.equal(toStoreError(errno('HPE_INVALID_CONSTANT'), 'head').reason, 'PEER_BAD_REPLY');
});

test('socket errors, timeouts, unread error statuses and aborts', () => {
  assert.equal(toStoreError(errno('ECONNREFUSED'), 'head').reason, 'PEER_UNREACHABLE');
  assert.equal(toStoreError(errno('ENOTFOUND'), 'head').reason, 'PEER_UNREACHABLE');
  assert.equal(toStoreError(errno('ETIMEDOUT'), 'head').reason, 'PEER_TIMEOUT');
  assert.equal(toStoreError(new S3TimeoutError('quiet'), 'head').reason, 'PEER_TIMEOUT');
  const retryable = (status: number): Error =>
    new Error(`Request failed after 0 retries: Error: Retryable HTTP status: ${status}`);
  assert.equal(toStoreError(retryable(503), 'put').reason, 'BACKEND_ERROR');
  assert.equal(toStoreError(retryable(503), 'put').details['httpStatus'], 503);
  assert.equal(toStoreError(retryable(408), 'put').reason, 'PEER_TIMEOUT');
  const controller = new AbortController();
  controller.abort();
  assert.equal(toStoreError(errno('ECONNRESET'), 'get', controller.signal).reason, 'ABORTED');
  assert.equal(
    toStoreError(Object.assign(new Error('aborted'), { name: 'AbortError' }), 'get').reason,
    'ABORTED',
  );
  assert.equal(toStoreError(new TypeError('x is undefined'), 'get').reason, 'BACKEND_ERROR');
});
