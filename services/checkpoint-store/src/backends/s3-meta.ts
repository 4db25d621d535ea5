/**
 * How an object's facts live on S3: the size is the object's length, the BLAKE2b-256 (hex) and the
 * writer's visibility time are user metadata set when the object is written, so a HEAD (or the
 * headers of a GET) gives a full {@link ObjectMeta} without reading the object again. An object
 * without our metadata (written by another tool, or a reply from something that is no S3 server) is
 * refused as `PEER_BAD_REPLY` rather than reported with a made-up hash.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { StoreError } from './backend.js';
import type { ObjectMeta } from './backend.js';

/** User-metadata header of the content hash (lowercase hex of the 32-byte digest). */
export const BLAKE2B_HEADER = 'x-amz-meta-blake2b256';
/** User-metadata header of the writer's clock when the object was written (Unix ms, decimal). */
export const STORED_HEADER = 'x-amz-meta-stored-unix-ms';
/** Content type of objects stored without one. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

const HEX_256 = /^[0-9a-f]{64}$/;

/** The request headers that store `meta`'s hash, time and content type with an object. */
export function metaHeaders(
  blake2b256: Uint8Array,
  storedUnixMs: number,
  contentType: string,
): Record<string, string> {
  return {
    'Content-Type': contentType,
    [BLAKE2B_HEADER]: Buffer.from(blake2b256).toString('hex'),
    [STORED_HEADER]: String(storedUnixMs),
  };
}

function one(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function badReply(key: string, what: string): StoreError {
  return new StoreError('PEER_BAD_REPLY', `${key}: ${what}`, { details: { key } });
}

/**
 * The whole object's size from a response: `Content-Range: bytes a-b/total` on a ranged reply,
 * else `Content-Length`.
 */
export function objectSize(key: string, headers: IncomingHttpHeaders, ranged: boolean): number {
  const range = one(headers, 'content-range');
  if (ranged && range !== undefined) {
    const match = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(range.trim());
    if (match === null) throw badReply(key, `unreadable Content-Range "${range}"`);
    return Number(match[3]);
  }
  const length = one(headers, 'content-length');
  if (length === undefined || !/^\d+$/.test(length)) throw badReply(key, 'no Content-Length');
  return Number(length);
}

/**
 * True when a `statObject` result carries a well-formed content hash. An object without one was put
 * into the bucket by another tool: a listing leaves it out (`foreign`), `head` and `get` refuse it.
 */
export function statHasContentHash(stat: { metaData: Record<string, unknown> }): boolean {
  const hex = stat.metaData[BLAKE2B_HEADER.slice('x-amz-meta-'.length)];
  return typeof hex === 'string' && HEX_256.test(hex.trim().toLowerCase());
}

/** The {@link ObjectMeta} of `key` from `minio`'s `statObject` result (a HEAD reply, digested). */
export function metaFromStat(
  key: string,
  stat: { size: number; lastModified: Date; metaData: Record<string, unknown> },
): ObjectMeta {
  if (!Number.isSafeInteger(stat.size) || stat.size < 0) throw badReply(key, 'no Content-Length');
  const headers: IncomingHttpHeaders = {};
  const copy = (to: string, from: string): void => {
    const value = stat.metaData[from];
    if (typeof value === 'string') headers[to] = value;
  };
  copy(BLAKE2B_HEADER, BLAKE2B_HEADER.slice('x-amz-meta-'.length));
  copy(STORED_HEADER, STORED_HEADER.slice('x-amz-meta-'.length));
  copy('content-type', 'content-type');
  if (!Number.isNaN(stat.lastModified.getTime())) headers['last-modified'] = stat.lastModified.toUTCString();
  return metaFromHeaders(key, headers, stat.size);
}

/** The {@link ObjectMeta} of `key` from the headers of a HEAD or GET reply, with `sizeBytes` known. */
export function metaFromHeaders(key: string, headers: IncomingHttpHeaders, sizeBytes: number): ObjectMeta {
  const hex = one(headers, BLAKE2B_HEADER)?.trim().toLowerCase();
  if (hex === undefined || !HEX_256.test(hex)) {
    throw badReply(key, `no BLAKE2b-256 metadata (${BLAKE2B_HEADER}) on the object`);
  }
  const stored = Number(one(headers, STORED_HEADER));
  const lastModified = Date.parse(one(headers, 'last-modified') ?? '');
  const storedUnixMs = Number.isSafeInteger(stored) && stored > 0 ? stored : lastModified;
  if (!Number.isFinite(storedUnixMs)) throw badReply(key, 'neither a stored time nor Last-Modified');
  return {
    key,
    sizeBytes,
    blake2b256: new Uint8Array(Buffer.from(hex, 'hex')),
    contentType: one(headers, 'content-type') ?? DEFAULT_CONTENT_TYPE,
    storedUnixMs,
  };
}
