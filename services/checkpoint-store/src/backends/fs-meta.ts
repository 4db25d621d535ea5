/**
 * The filesystem backend's metadata record: one small JSON file per object, in a tree beside the
 * data tree (`meta/<key>` for `objects/<key>`). It is bound to its data file by inode number and size:
 * a record describes the data file only when both match the file's `fstat`. Renaming keeps a file's
 * inode, so a record written for a temp file stays valid once that file is renamed into place, and a
 * record left over from any other version of the key (a crash between the two renames, an overwrite
 * from another process, a restored backup) is recognised as stale instead of being believed.
 */
import type { ObjectMeta } from './backend.js';

/** Version of the record format; bump with a migration rule. */
export const META_VERSION = 1;
/** Content type of objects stored without one, and of records rebuilt from data alone. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/** A decoded record: the object's facts and the inode of the data file they describe. */
export interface MetaRecord {
  readonly meta: ObjectMeta;
  readonly inode: bigint;
}

const HEX_DIGEST = /^[0-9a-f]{64}$/;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

/** The JSON text of a record. */
export function encodeMeta(record: MetaRecord): string {
  const { meta, inode } = record;
  return `${JSON.stringify({
    version: META_VERSION,
    key: meta.key,
    sizeBytes: meta.sizeBytes,
    blake2b256: Buffer.from(meta.blake2b256).toString('hex'),
    contentType: meta.contentType,
    storedUnixMs: meta.storedUnixMs,
    inode: inode.toString(),
  })}\n`;
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * The record in `text` if it is well formed and names `key`; `undefined` otherwise (a damaged or
 * foreign record is stale, never an error: the data file is the truth and the record is rebuilt).
 */
export function decodeMeta(text: string, key: string): MetaRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // a torn or foreign record: stale, rebuilt from the data file
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  if (
    r['version'] !== META_VERSION ||
    r['key'] !== key ||
    !isCount(r['sizeBytes']) ||
    typeof r['blake2b256'] !== 'string' ||
    !HEX_DIGEST.test(r['blake2b256']) ||
    typeof r['contentType'] !== 'string' ||
    !isCount(r['storedUnixMs']) ||
    typeof r['inode'] !== 'string' ||
    !DECIMAL.test(r['inode'])
  ) {
    return undefined;
  }
  return {
    meta: {
      key,
      sizeBytes: r['sizeBytes'],
      blake2b256: new Uint8Array(Buffer.from(r['blake2b256'], 'hex')),
      contentType: r['contentType'],
      storedUnixMs: r['storedUnixMs'],
    },
    inode: BigInt(r['inode']),
  };
}
