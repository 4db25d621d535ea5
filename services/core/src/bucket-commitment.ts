/**
 * The on-chain bucket commitment: a miner or validator publishes where its objects live, with READ-ONLY
 * credentials, so peers can fetch them. It goes into Bittensor's `Commitments.set_commitment`, which
 * stores at most one `Data::Raw` field of at most {@link MAX_COMMITMENT_BYTES} bytes, so the encoding is
 * a compact binary one. The commitment is public: never put write credentials in it.
 *
 * Format, version 1 (every multi-byte string is a length byte then that many bytes):
 *
 * | bytes        | content                                                                        |
 * |--------------|--------------------------------------------------------------------------------|
 * | 1            | version = 1                                                                    |
 * | 1            | flags: bits 0-1 scheme (0 `https`, 1 `http`, 2 `file`, 3 Cloudflare R2), bit 2  |
 * |              | path style, bits 3-4 region (0 `auto`, 1 empty, 2 written out, 3 invalid),      |
 * |              | bit 5 access key packed, bit 6 secret packed, bit 7 zero                        |
 * | 16 or 1+n    | R2: the 16-byte account id; else the endpoint after `scheme://` in UTF-8        |
 * | 1+n          | bucket                                                                         |
 * | 0 or 1+n     | region, only when written out (neither `auto` nor empty)                       |
 * | 1+n          | access key id: raw bytes when packed, else UTF-8                               |
 * | 1+n          | secret access key: raw bytes when packed, else UTF-8                           |
 *
 * - R2 form: exactly `https://<32 lowercase hex>.r2.cloudflarestorage.com`.
 * - A credential is packed when it is lowercase hex of even length (2..128 characters), as R2's are.
 * - The encoding is canonical: every commitment has one encoding, and {@link decodeBucketCommitment}
 *   refuses any other (an R2 endpoint written out, a packable key written out, `auto` written out, ...),
 *   so `encode(decode(b))` is `b` for every accepted `b`, and the chain value can be compared as bytes.
 */
import { CohortError, Code, describeValue } from './errors.js';

/** The most bytes one `Data::Raw` commitment field holds. */
export const MAX_COMMITMENT_BYTES = 128;
/** The format version this module writes and reads. */
export const BUCKET_COMMITMENT_VERSION = 1;
/** The longest access key id or secret, in characters. */
export const MAX_CREDENTIAL_CHARS = 128;

/** A bucket endpoint and its read-only credentials. */
export interface BucketCommitment {
  /** `https://host[:port]`, `http://host[:port]` (lowercase host, no path) or `file:///abs/path`. */
  readonly endpoint: string;
  /** S3 bucket name: 3-63 of `a-z 0-9 . -`, starting and ending with a letter or digit, no `..`. */
  readonly bucket: string;
  /** Region: `auto` (R2), empty (none), or 1-63 of `A-Z a-z 0-9 . _ -`. */
  readonly region: string;
  /** Read-only access key id: 1-128 characters, no control characters. */
  readonly accessKeyId: string;
  /** Its secret: 1-128 characters, no control characters. */
  readonly secretAccessKey: string;
  /** Path-style addressing (`endpoint/bucket/key`) instead of virtual-host style. */
  readonly pathStyle: boolean;
}

/** Every {@link CommitmentErrorReason}, for metrics labels and exhaustive tests. */
export const COMMITMENT_ERROR_REASONS = [
  'COMMITMENT_TOO_LARGE',
  'COMMITMENT_EMPTY',
  'COMMITMENT_BAD_VERSION',
  'COMMITMENT_TRUNCATED',
  'COMMITMENT_TRAILING_BYTES',
  'COMMITMENT_BAD_UTF8',
  'COMMITMENT_BAD_ENDPOINT',
  'COMMITMENT_BAD_BUCKET',
  'COMMITMENT_BAD_REGION',
  'COMMITMENT_BAD_CREDENTIAL',
  'COMMITMENT_NON_CANONICAL',
] as const;

/** Which commitment rule failed; stable, for tests and metrics. */
export type CommitmentErrorReason = (typeof COMMITMENT_ERROR_REASONS)[number];

/** A commitment that cannot be encoded, or bytes that are not one. Code `InvalidArgument`. */
export class CommitmentError extends CohortError {
  override readonly name: string = 'CommitmentError';
  override readonly reason: CommitmentErrorReason;
  constructor(reason: CommitmentErrorReason, message: string, details: Record<string, number> = {}) {
    super(Code.InvalidArgument, message, { reason, details });
    this.reason = reason;
  }
}

const SCHEMES = ['https://', 'http://', 'file://', 'r2'] as const;
const R2 = 3;
const REGION_SHIFT = 3;
const [REGION_AUTO, REGION_EMPTY, REGION_WRITTEN] = [0, 1, 2];
const [PATH_STYLE, KEY_PACKED, SECRET_PACKED, RESERVED] = [1 << 2, 1 << 5, 1 << 6, 1 << 7];
const R2_ACCOUNT_BYTES = 16;

const R2_ENDPOINT = /^https:\/\/([0-9a-f]{32})\.r2\.cloudflarestorage\.com$/;
const AUTHORITY = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::([1-9][0-9]{0,4}))?$/;
const DNS_LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[A-Za-z0-9._-]{1,63}$/;
const PACKABLE_HEX = /^(?:[0-9a-f]{2}){1,64}$/;
// C0 controls, DEL, C1 controls, and the Unicode line/paragraph separators.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function fail(reason: CommitmentErrorReason, message: string, details?: Record<string, number>): never {
  throw new CommitmentError(reason, message, details);
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function fromHex(hex: string): Uint8Array {
  return Uint8Array.from({ length: hex.length / 2 }, (_, i) => parseInt(hex.slice(2 * i, 2 * i + 2), 16));
}

/** UTF-8 of `text`, refusing strings that do not survive the trip (lone surrogates). */
function utf8(text: string, what: string): Uint8Array {
  const bytes = encoder.encode(text);
  if (decoder.decode(bytes) !== text) fail('COMMITMENT_BAD_UTF8', `${what} is not well-formed Unicode`);
  return bytes;
}

/** The scheme index and the endpoint's stored form (account id bytes for R2, else the text after `://`). */
function parseEndpoint(endpoint: unknown): { scheme: number; stored: Uint8Array } {
  function bad(rule: string): never {
    // Never echo userinfo: it may hold a password.
    const shown = typeof endpoint === 'string' ? endpoint.replace(/\/\/[^/]*@/, '//***@') : endpoint;
    fail('COMMITMENT_BAD_ENDPOINT', `Bad endpoint ${describeValue(shown)}: ${rule}`);
  }
  if (typeof endpoint !== 'string') return bad('not a string');
  const r2 = R2_ENDPOINT.exec(endpoint);
  if (r2 !== null) return { scheme: R2, stored: fromHex(r2[1]!) };
  if (endpoint.startsWith('file://')) {
    const path = endpoint.slice('file://'.length);
    if (!path.startsWith('/')) bad('a file endpoint is file:// and an absolute path');
    if (CONTROL_CHARS.test(path) || /[?#\\]/.test(path)) bad('control character, ?, # or \\ in the path');
    return { scheme: 2, stored: utf8(path, 'the endpoint path') };
  }
  const scheme = endpoint.startsWith('https://') ? 0 : endpoint.startsWith('http://') ? 1 : undefined;
  if (scheme === undefined) return bad('the scheme must be https://, http:// or file://');
  const authority = endpoint.slice(SCHEMES[scheme].length);
  const match = AUTHORITY.exec(authority);
  if (match === null) bad('expected scheme://host[:port]: a lowercase host, no userinfo, path or query');
  const [, host, port] = match;
  if (port !== undefined && Number(port) > 65535) bad('the port must be in 1..65535');
  if (!host!.startsWith('[')) {
    if (host!.length > 253 || !host!.split('.').every((label) => DNS_LABEL.test(label))) {
      bad('the host must be DNS labels of 1-63 of [a-z0-9_-], not starting or ending with -');
    }
  } else if (!host!.includes(':')) {
    bad('a bracketed host must be an IPv6 address');
  }
  return { scheme, stored: encoder.encode(authority) };
}

function checkBucket(bucket: unknown): string {
  if (typeof bucket !== 'string' || !BUCKET.test(bucket) || bucket.includes('..')) {
    fail('COMMITMENT_BAD_BUCKET', `Bad bucket name ${describeValue(bucket)}: 3-63 of a-z 0-9 . - (no ..)`);
  }
  return bucket;
}

function regionMode(region: unknown): number {
  if (region === 'auto') return REGION_AUTO;
  if (region === '') return REGION_EMPTY;
  if (typeof region !== 'string' || !REGION.test(region)) {
    fail(
      'COMMITMENT_BAD_REGION',
      `Bad region ${describeValue(region)}: auto, empty or 1-63 of [A-Za-z0-9._-]`,
    );
  }
  return REGION_WRITTEN;
}

/** Whether the credential is packed, and its stored bytes. */
function credential(value: unknown, what: string): { packed: boolean; stored: Uint8Array } {
  if (typeof value !== 'string' || value.length === 0 || CONTROL_CHARS.test(value)) {
    fail('COMMITMENT_BAD_CREDENTIAL', `The ${what} must be a non-empty string without control characters`);
  }
  const chars = Array.from(value).length;
  if (chars > MAX_CREDENTIAL_CHARS) {
    fail('COMMITMENT_BAD_CREDENTIAL', `The ${what} has ${chars} characters (most: ${MAX_CREDENTIAL_CHARS})`);
  }
  if (PACKABLE_HEX.test(value)) return { packed: true, stored: fromHex(value) };
  return { packed: false, stored: utf8(value, `the ${what}`) };
}

/**
 * The canonical bytes of `commitment`, ready for `set_commitment`'s single `Data::Raw` field. Throws
 * {@link CommitmentError}: a `COMMITMENT_BAD_*` reason for a field that breaks its rule (see
 * {@link BucketCommitment}), `COMMITMENT_TOO_LARGE` when the result would exceed
 * {@link MAX_COMMITMENT_BYTES} (the message and `details.over` say by how many bytes).
 */
export function encodeBucketCommitment(commitment: BucketCommitment): Uint8Array {
  const c = commitment as Partial<Record<keyof BucketCommitment, unknown>>;
  const { scheme, stored } = parseEndpoint(c.endpoint);
  if (typeof c.pathStyle !== 'boolean') {
    fail('COMMITMENT_BAD_ENDPOINT', `Expected a boolean pathStyle, not ${describeValue(c.pathStyle)}`);
  }
  const bucket = encoder.encode(checkBucket(c.bucket));
  const region = regionMode(c.region);
  const key = credential(c.accessKeyId, 'access key id');
  const secret = credential(c.secretAccessKey, 'secret access key');

  const flags =
    scheme |
    (c.pathStyle ? PATH_STYLE : 0) |
    (region << REGION_SHIFT) |
    (key.packed ? KEY_PACKED : 0) |
    (secret.packed ? SECRET_PACKED : 0);
  const fields: Uint8Array[] = [Uint8Array.of(BUCKET_COMMITMENT_VERSION, flags)];
  const prefixed = (bytes: Uint8Array) => fields.push(Uint8Array.of(bytes.length & 0xff), bytes);
  if (scheme === R2) fields.push(stored);
  else prefixed(stored);
  prefixed(bucket);
  if (region === REGION_WRITTEN) prefixed(encoder.encode(c.region as string));
  prefixed(key.stored);
  prefixed(secret.stored);

  const total = fields.reduce((sum, field) => sum + field.length, 0);
  if (total > MAX_COMMITMENT_BYTES) {
    const over = total - MAX_COMMITMENT_BYTES;
    fail(
      'COMMITMENT_TOO_LARGE',
      `The commitment needs ${total} bytes, ${over} more than the ${MAX_COMMITMENT_BYTES} a field holds`,
      { bytes: total, over },
    );
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const field of fields) {
    out.set(field, at);
    at += field.length;
  }
  return out;
}

/** A cursor over untrusted bytes that fails with `COMMITMENT_TRUNCATED` instead of reading past the end. */
class Reader {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}
  take(n: number, what: string): Uint8Array {
    if (this.at + n > this.bytes.length) {
      fail('COMMITMENT_TRUNCATED', `The commitment ends inside the ${what}`, { offset: this.at });
    }
    this.at += n;
    return this.bytes.subarray(this.at - n, this.at);
  }
  prefixed(what: string): Uint8Array {
    return this.take(this.take(1, `length of the ${what}`)[0]!, what);
  }
  text(what: string): string {
    const bytes = this.prefixed(what);
    try {
      return decoder.decode(bytes);
    } catch {
      return fail('COMMITMENT_BAD_UTF8', `The ${what} is not valid UTF-8`);
    }
  }
  /** A credential: packed (raw bytes shown as lowercase hex) or UTF-8 text. */
  credential(packed: boolean, what: string): string {
    return packed ? toHex(this.prefixed(what)) : this.text(what);
  }
  rest(): number {
    return this.bytes.length - this.at;
  }
}

/**
 * The commitment in `bytes` (a chain value, untrusted). Throws only {@link CommitmentError}:
 * `COMMITMENT_EMPTY`, `COMMITMENT_TOO_LARGE`, `COMMITMENT_BAD_VERSION`, `COMMITMENT_TRUNCATED`,
 * `COMMITMENT_TRAILING_BYTES`, `COMMITMENT_BAD_UTF8`, a field's `COMMITMENT_BAD_*`, or
 * `COMMITMENT_NON_CANONICAL` for reserved flag bits or any encoding other than the one
 * {@link encodeBucketCommitment} writes.
 */
export function decodeBucketCommitment(bytes: Uint8Array): BucketCommitment {
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    fail('COMMITMENT_EMPTY', `Expected a non-empty Uint8Array but received ${describeValue(bytes)}`);
  }
  if (bytes.length > MAX_COMMITMENT_BYTES) {
    const over = bytes.length - MAX_COMMITMENT_BYTES;
    fail('COMMITMENT_TOO_LARGE', `${bytes.length} bytes, ${over} more than a commitment holds`, {
      bytes: bytes.length,
      over,
    });
  }
  if (bytes[0] !== BUCKET_COMMITMENT_VERSION) {
    fail('COMMITMENT_BAD_VERSION', `Unknown commitment version ${bytes[0]}`, { version: bytes[0]! });
  }
  const reader = new Reader(bytes.subarray(1));
  const flags = reader.take(1, 'flags')[0]!;
  const region = (flags >> REGION_SHIFT) & 0b11;
  if ((flags & RESERVED) !== 0 || region === 3) {
    fail('COMMITMENT_NON_CANONICAL', `Reserved flag bits are set (flags 0x${flags.toString(16)})`);
  }
  const scheme = flags & 0b11;
  const endpoint =
    scheme === R2
      ? `https://${toHex(reader.take(R2_ACCOUNT_BYTES, 'R2 account id'))}.r2.cloudflarestorage.com`
      : `${SCHEMES[scheme]}${reader.text('endpoint')}`;
  const commitment: BucketCommitment = {
    endpoint,
    bucket: reader.text('bucket'),
    region: region === REGION_AUTO ? 'auto' : region === REGION_EMPTY ? '' : reader.text('region'),
    accessKeyId: reader.credential((flags & KEY_PACKED) !== 0, 'access key id'),
    secretAccessKey: reader.credential((flags & SECRET_PACKED) !== 0, 'secret access key'),
    pathStyle: (flags & PATH_STYLE) !== 0,
  };
  if (reader.rest() !== 0) {
    const extra = reader.rest();
    fail('COMMITMENT_TRAILING_BYTES', `${extra} bytes follow the commitment`, { extra });
  }
  const canonical = encodeBucketCommitment(commitment);
  if (canonical.length !== bytes.length || canonical.some((b, i) => b !== bytes[i])) {
    fail('COMMITMENT_NON_CANONICAL', 'The commitment is valid but not in its canonical encoding');
  }
  return commitment;
}
