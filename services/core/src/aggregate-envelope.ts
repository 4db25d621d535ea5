/**
 * An aggregate object's envelope read straight from its bytes (docs/wire-format.md §4 and §8): the fixed
 * header's run, window, aggregator key and θ_w fingerprint, the contributor list (hotkey and update
 * digest each) that follows it, and the trailer (digest of everything before it, sr25519 signature).
 * No body decode, so a replica checks who signed an aggregate and whom it names before handing the
 * (possibly large) object to the engine, and a process without the native codec can do it too. The
 * engine still checks the digest against the bytes when it applies the aggregate; together with the
 * signature over that digest, the envelope is as trustworthy as its signer.
 */
import { CohortError, Code } from './errors.js';
import { encodeSs58 } from './hotkey-signature.js';

/** Size of the fixed header shared by updates and aggregates. */
export const WIRE_HEADER_BYTES = 192;
/** Size of the trailer: 32-byte digest, 64-byte signature. */
export const WIRE_TRAILER_BYTES = 96;
const MAGIC = [0x43, 0x48, 0x52, 0x54];
const KIND_AGGREGATE = 0x41;
const CONTRIBUTOR_BYTES = 64;
const MAX_CONTRIBUTORS = 65535;

/** One contributor an aggregate names. */
export interface EnvelopeContributor {
  /** SS58 address of the miner. */
  readonly hotkey: string;
  /** The digest of the miner's update object (its trailer hash), 64 lowercase hex digits. */
  readonly digest: string;
}

/** What an aggregate says about itself, without its body. */
export interface AggregateEnvelope {
  /** The wire-format version byte (1: raw fp32 values; 2: values may be palette-coded). */
  readonly formatVersion: number;
  readonly runId: string;
  readonly window: number;
  /** The signer's sr25519 public key (the aggregator). */
  readonly aggregatorKey: Uint8Array;
  /** The signer's SS58 address. */
  readonly aggregator: string;
  /** θ_w's fingerprint the aggregate applies to, 64 lowercase hex digits. */
  readonly stateFingerprint: string;
  readonly contributors: readonly EnvelopeContributor[];
  /** The trailer's digest of everything before the trailer. */
  readonly digest: Uint8Array;
  readonly signature: Uint8Array;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** The bytes are not an aggregate's envelope. */
function malformed(detail: string): CohortError {
  return new CohortError(Code.InvalidArgument, `not an aggregate object: ${detail}`, {
    reason: 'AGGREGATE_MALFORMED',
  });
}

function runIdOf(field: Uint8Array): string {
  const end = field.indexOf(0);
  const id = new TextDecoder().decode(field.subarray(0, end < 0 ? field.length : end));
  if (!/^[a-z0-9._-]{1,32}$/.test(id)) throw malformed('the run id is not [a-z0-9._-]{1,32}');
  return id;
}

/**
 * Read an aggregate's envelope; throws a CohortError with reason `AGGREGATE_MALFORMED` for bytes that
 * cannot be one (wrong magic or kind, a declared length other than the object's, a contributor list
 * that does not fit or names a hotkey twice).
 */
export function readAggregateEnvelope(object: Uint8Array): AggregateEnvelope {
  if (object.length < WIRE_HEADER_BYTES + 4 + CONTRIBUTOR_BYTES + WIRE_TRAILER_BYTES) {
    throw malformed(`${object.length} bytes is shorter than any aggregate`);
  }
  if (MAGIC.some((b, i) => object[i] !== b) || object[4] !== KIND_AGGREGATE) {
    throw malformed('the magic or kind is not an aggregate’s');
  }
  const view = new DataView(object.buffer, object.byteOffset, object.byteLength);
  const declared = view.getBigUint64(184, true);
  if (declared !== BigInt(object.length)) {
    throw malformed(`the header declares ${declared} bytes, the object has ${object.length}`);
  }
  const window = view.getBigUint64(16, true);
  if (window > BigInt(Number.MAX_SAFE_INTEGER)) throw malformed(`window ${window} is out of range`);
  const count = view.getUint32(WIRE_HEADER_BYTES, true);
  const start = WIRE_HEADER_BYTES + 4;
  if (count === 0 || count > MAX_CONTRIBUTORS) throw malformed(`${count} contributors`);
  if (start + count * CONTRIBUTOR_BYTES > object.length - WIRE_TRAILER_BYTES) {
    throw malformed(`${count} contributors do not fit in ${object.length} bytes`);
  }
  const contributors: EnvelopeContributor[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const at = start + i * CONTRIBUTOR_BYTES;
    const hotkey = encodeSs58(object.slice(at, at + 32));
    if (seen.has(hotkey)) throw malformed(`contributor ${hotkey} is listed twice`);
    seen.add(hotkey);
    contributors.push({ hotkey, digest: hex(object.subarray(at + 32, at + CONTRIBUTOR_BYTES)) });
  }
  const aggregatorKey = object.slice(56, 88);
  const end = object.length;
  return {
    formatVersion: object[5] ?? 0,
    runId: runIdOf(object.subarray(24, 56)),
    window: Number(window),
    aggregatorKey,
    aggregator: encodeSs58(aggregatorKey),
    stateFingerprint: hex(object.subarray(120, 152)),
    contributors,
    digest: object.slice(end - WIRE_TRAILER_BYTES, end - 64),
    signature: object.slice(end - 64),
  };
}
