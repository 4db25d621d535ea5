/**
 * Options of the S3 backend, their checks and defaults, and the `minio` client built from them. Kept
 * apart from the backend so the service's config (services/checkpoint-store/src/config.ts) and the
 * peer-read pool can build and validate options without touching the network.
 */
import { InvalidArgumentError, expectedMessage } from '@cohort/core';
import { Client } from 'minio';
import type http from 'node:http';
import { S3_MAX_COPY_BYTES } from './s3-copy.js';
import { createS3Transport } from './s3-transport.js';

/** Options of {@link createS3Backend}. */
export interface S3BackendOptions {
  /** `http://host:port` or `https://host:port` (no path). */
  readonly endpoint: string;
  readonly bucket: string;
  /** Signing region (RADOS Gateway and MinIO accept `us-east-1`). */
  readonly region: string;
  /** Path-style addressing (`host/bucket/key`), needed by MinIO and RADOS Gateway; else virtual-host style. */
  readonly pathStyle: boolean;
  /** Empty key and secret: anonymous requests (a public peer bucket). */
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /**
   * A request whose socket moves no bytes for this long fails with `PEER_TIMEOUT`: connecting, waiting
   * for the reply, or stalling mid-body. Idle time, not total time, so large transfers are not cut.
   */
  readonly requestTimeoutMs: number;
  /**
   * Create the bucket when it is missing, with lifecycle rules that clean up after crashed uploads.
   * For the operator's own bucket only; a peer's bucket is read, never created.
   */
  readonly createBucketIfMissing: boolean;
  /** Multipart part size, at least 5 MiB (default 16 MiB); raised per put so `maxBytes` fits in 10,000 parts. */
  readonly partSizeBytes?: number | undefined;
  /** Largest single-request server-side copy (default and S3 maximum 5 GiB); larger copies go by parts. */
  readonly maxCopyBytes?: number | undefined;
  /** HEAD requests in flight while a listing gathers metadata (default 16). */
  readonly listConcurrency?: number | undefined;
  /** Clock of `storedUnixMs` (default `Date.now`). */
  readonly now?: (() => number) | undefined;
  /**
   * Called the first time a listing meets an object without our metadata (another tool put it into
   * the bucket), for a log line; the listing leaves it out and names it in `foreign`.
   */
  readonly onForeign?: ((key: string, sizeBytes: number) => void) | undefined;
}

/** S3's smallest part (except the last) and its part-count limit. */
export const S3_MIN_PART_BYTES = 5 * 1024 * 1024;
export const S3_MAX_PARTS = 10_000;
/** Default multipart part size. */
export const DEFAULT_PART_BYTES = 16 * 1024 * 1024;

/** Options with every default filled in, and the parsed endpoint. */
export interface ResolvedS3Options extends Omit<S3BackendOptions, 'endpoint'> {
  readonly endpoint: URL;
  readonly partSizeBytes: number;
  readonly maxCopyBytes: number;
  readonly listConcurrency: number;
  readonly now: () => number;
}

function check(ok: boolean, expected: string, what: string, value: unknown): void {
  if (!ok) throw new InvalidArgumentError(expectedMessage(expected, what, value), { reason: 'S3_OPTIONS' });
}

const isCount = (value: number, min: number): boolean => Number.isSafeInteger(value) && value >= min;

/** Check `options` and fill in defaults; throws `InvalidArgumentError` naming the bad field. */
export function resolveS3Options(options: S3BackendOptions): ResolvedS3Options {
  let endpoint: URL | undefined;
  try {
    endpoint = new URL(options.endpoint);
  } catch {
    endpoint = undefined; // reported just below with the value received
  }
  check(
    endpoint !== undefined &&
      (endpoint.protocol === 'http:' || endpoint.protocol === 'https:') &&
      (endpoint.pathname === '/' || endpoint.pathname === '') &&
      endpoint.search === '',
    'an http(s)://host[:port] URL',
    'the S3 endpoint',
    options.endpoint,
  );
  check(
    /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket),
    'an S3 bucket name',
    'bucket',
    options.bucket,
  );
  check(options.region !== '', 'a region', 'region', options.region);
  check(
    isCount(options.requestTimeoutMs, 1),
    'a positive integer',
    'requestTimeoutMs',
    options.requestTimeoutMs,
  );
  const partSizeBytes = options.partSizeBytes ?? DEFAULT_PART_BYTES;
  check(isCount(partSizeBytes, S3_MIN_PART_BYTES), 'at least 5 MiB', 'partSizeBytes', partSizeBytes);
  const maxCopyBytes = options.maxCopyBytes ?? S3_MAX_COPY_BYTES;
  check(
    isCount(maxCopyBytes, S3_MIN_PART_BYTES) && maxCopyBytes <= S3_MAX_COPY_BYTES,
    'between 5 MiB and 5 GiB',
    'maxCopyBytes',
    maxCopyBytes,
  );
  const listConcurrency = options.listConcurrency ?? 16;
  check(isCount(listConcurrency, 1), 'a positive integer', 'listConcurrency', listConcurrency);
  return {
    ...options,
    endpoint: endpoint as URL,
    partSizeBytes,
    maxCopyBytes,
    listConcurrency,
    now: options.now ?? Date.now,
  };
}

/** The part size of a put of at most `maxBytes`: the configured one, or larger to stay within 10,000 parts. */
export function partSizeFor(configured: number, maxBytes: number): number {
  const needed = Math.ceil(maxBytes / S3_MAX_PARTS);
  if (needed <= configured) return configured;
  const mib = 1024 * 1024;
  return Math.ceil(needed / mib) * mib;
}

/** The `minio` client of resolved options, on a transport with timeouts and abort signals. */
export function createS3Client(options: ResolvedS3Options): { client: Client; agent: http.Agent } {
  const { endpoint } = options;
  const protocol = endpoint.protocol === 'https:' ? 'https:' : 'http:';
  const { transport, agent } = createS3Transport(protocol, options.requestTimeoutMs);
  const client = new Client({
    endPoint: endpoint.hostname.replace(/^\[(.*)\]$/, '$1'),
    ...(endpoint.port === '' ? {} : { port: Number(endpoint.port) }),
    useSSL: protocol === 'https:',
    region: options.region,
    pathStyle: options.pathStyle,
    accessKey: options.accessKeyId,
    secretKey: options.secretAccessKey,
    partSize: options.partSizeBytes,
    transport,
    transportAgent: agent,
    // Retries belong to the caller, who knows the deadline; minio's also print to the console.
    retryOptions: { disableRetry: true },
  });
  return { client, agent };
}
