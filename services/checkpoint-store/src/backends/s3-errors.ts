/**
 * Map whatever an S3 call threw (an S3 error reply, a socket error, a parse failure, an abort) to a
 * {@link StoreError} with a stable reason, so the service and the peer-read pool can branch on it:
 * a missing key is `NOT_FOUND`, refused credentials `PEER_DENIED`, nothing listening
 * `PEER_UNREACHABLE`, silence `PEER_TIMEOUT`, a reply that is not S3 `PEER_BAD_REPLY`, any other
 * server-side failure `BACKEND_ERROR`.
 */
import { CohortError } from '@cohort/core';
import { StoreError } from './backend.js';
import type { StoreReason } from './backend.js';
import { S3TimeoutError } from './s3-transport.js';

/** S3 error codes with a reason of their own; any other code is `BACKEND_ERROR`. */
const reasonByS3Code: Readonly<Record<string, StoreReason>> = {
  NoSuchKey: 'NOT_FOUND',
  NotFound: 'NOT_FOUND',
  NoSuchBucket: 'NOT_FOUND',
  NoSuchUpload: 'NOT_FOUND',
  AccessDenied: 'PEER_DENIED',
  AllAccessDisabled: 'PEER_DENIED',
  AccountProblem: 'PEER_DENIED',
  InvalidAccessKeyId: 'PEER_DENIED',
  SignatureDoesNotMatch: 'PEER_DENIED',
  ExpiredToken: 'PEER_DENIED',
  InvalidToken: 'PEER_DENIED',
  InvalidRange: 'BAD_RANGE',
  EntityTooLarge: 'TOO_LARGE',
  RequestTimeout: 'PEER_TIMEOUT',
};

/** Socket errors that mean the endpoint cannot be reached (or dropped the connection). */
const unreachableErrnos = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'ECONNABORTED',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

function field(value: unknown, name: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[name] : undefined;
}

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

/** The S3 error code of an error reply: minio's `S3Error.code`, or the `Code` of an `<Error>` it threw raw. */
function s3Code(error: unknown): string | undefined {
  return text(field(error, 'code')) ?? text(field(error, 'Code'));
}

function isS3Reply(error: unknown): boolean {
  const name = field(error, 'name');
  return name === 'S3Error' || (!(error instanceof Error) && field(error, 'Code') !== undefined);
}

/**
 * The {@link StoreError} for `error`, thrown while doing `what` (a short phrase for the message).
 * `signal` is the caller's: an error after it aborted is `ABORTED` whatever the socket said.
 */
export function toStoreError(error: unknown, what: string, signal?: AbortSignal): StoreError {
  if (error instanceof StoreError) return error;
  if (signal?.aborted === true || field(error, 'name') === 'AbortError') {
    return new StoreError('ABORTED', `${what}: aborted`, { cause: error });
  }
  if (error instanceof CohortError) {
    return new StoreError('BACKEND_ERROR', `${what}: ${error.message}`, { cause: error });
  }
  const message = text(field(error, 'message')) ?? text(field(error, 'Message'));
  const make = (reason: StoreReason, detail: string, code?: string): StoreError =>
    new StoreError(reason, `${what}: ${detail}`, {
      cause: error,
      ...(code === undefined ? {} : { details: { s3Code: code } }),
    });
  if (error instanceof S3TimeoutError) return make('PEER_TIMEOUT', error.message);
  const code = s3Code(error);
  if (isS3Reply(error)) {
    if (code !== undefined) {
      return make(reasonByS3Code[code] ?? 'BACKEND_ERROR', `${code}${message ? ` (${message})` : ''}`, code);
    }
    // minio parses an error reply's body as XML; one that was no S3 error leaves neither code nor message.
    return message === undefined
      ? make('PEER_BAD_REPLY', 'the endpoint answered with something that is not an S3 error reply')
      : make('BACKEND_ERROR', message);
  }
  // minio's answer to a 5xx/408/429 reply, whose body it does not read: the server failed or throttled.
  const status = /Retryable HTTP status: (\d+)/.exec(message ?? '')?.[1];
  if (status !== undefined) {
    const reason = status === '408' ? 'PEER_TIMEOUT' : 'BACKEND_ERROR';
    return new StoreError(reason, `${what}: the endpoint answered HTTP ${status}`, {
      cause: error,
      details: { httpStatus: Number(status) },
    });
  }
  if (field(error, 'name') === 'InvalidXMLError') {
    return make('PEER_BAD_REPLY', `the endpoint's reply is not S3 XML (${message ?? 'unparsable'})`);
  }
  if (code !== undefined) {
    if (code === 'ETIMEDOUT') return make('PEER_TIMEOUT', message ?? code);
    if (unreachableErrnos.has(code)) return make('PEER_UNREACHABLE', message ?? code, code);
    // Node's HTTP parser refusing what came back: not HTTP at all.
    if (code.startsWith('HPE_')) return make('PEER_BAD_REPLY', `the reply is not HTTP (${code})`, code);
  }
  return make('BACKEND_ERROR', message ?? String(error));
}
