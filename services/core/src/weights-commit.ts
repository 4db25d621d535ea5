/**
 * Bittensor's weight rules, pure: the checks a `set_weights` / `commit_weights` call must pass, the
 * float-to-u16 conversion validators use, and subtensor's commit-reveal (v2) hash, so the chain bridge
 * can commit weights now and reveal the same `(uids, values, salt, version_key)` later. No I/O: the salt's
 * randomness is injected.
 */
import { blake2b } from './blake2b.js';
import { CohortError, Code, describeValue } from './errors.js';
import { ScaleWriter } from './scale.js';

/** `Array.isArray` without narrowing a typed parameter to `any[]`. */
const isList = (value: unknown): boolean => Array.isArray(value);

/** The largest u16: the value of the highest weight after {@link normalizeWeightsU16}. */
export const U16_MAX = 0xffff;
/** Bytes of an `AccountId32` (the committing hotkey's public key). */
export const ACCOUNT_ID_BYTES = 32;
/** Default number of u16 words in a salt from {@link newSalt} (as the Bittensor SDK uses). */
export const DEFAULT_SALT_LENGTH = 8;
/** Most u16 words {@link newSalt} produces. */
export const MAX_SALT_LENGTH = 256;

/** Every {@link WeightsErrorReason}, for metrics labels and exhaustive tests. */
export const WEIGHTS_ERROR_REASONS = [
  'WEIGHTS_LENGTH_MISMATCH',
  'WEIGHTS_DUPLICATE_UID',
  'WEIGHTS_BAD_VALUE',
  'WEIGHTS_EMPTY',
  'WEIGHTS_ALL_ZERO',
  'WEIGHTS_TOO_MANY',
  'WEIGHTS_BAD_ACCOUNT',
  'WEIGHTS_BAD_SALT',
] as const;

/** Which weights rule failed; stable, for tests and metrics. */
export type WeightsErrorReason = (typeof WEIGHTS_ERROR_REASONS)[number];

/** Weights (or their commit inputs) the chain would refuse; `reason` says which rule. Code `InvalidArgument`. */
export class WeightsError extends CohortError {
  override readonly name: string = 'WeightsError';
  override readonly reason: WeightsErrorReason;
  constructor(reason: WeightsErrorReason, message: string, details: Record<string, string | number> = {}) {
    super(Code.InvalidArgument, message, { reason, details });
    this.reason = reason;
  }
}

/** Input of {@link checkWeights}. */
export interface WeightsInput {
  /** The UIDs weighted, each a u16, no repeats. */
  readonly uids: readonly number[];
  /** One u16 weight per UID, in the same order. */
  readonly weights: readonly number[];
  /** At most this many entries (the subnet's UID count, `SubnetworkN`), when given. */
  readonly maxUids?: number | undefined;
}

function isU16(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= U16_MAX;
}

function checkU16s(values: readonly number[], what: string): void {
  values.forEach((value, index) => {
    if (!isU16(value)) {
      throw new WeightsError(
        'WEIGHTS_BAD_VALUE',
        `Expected an integer in [0, ${U16_MAX}] for ${what}[${index}] but received ${describeValue(value)}`,
        { index },
      );
    }
  });
}

/**
 * Throw {@link WeightsError} unless `(uids, weights)` is a vector the chain accepts: equal lengths
 * (`WEIGHTS_LENGTH_MISMATCH`), not empty (`WEIGHTS_EMPTY`), at most `maxUids` entries
 * (`WEIGHTS_TOO_MANY`), u16 integers (`WEIGHTS_BAD_VALUE`), unique uids (`WEIGHTS_DUPLICATE_UID`),
 * and some weight above zero (`WEIGHTS_ALL_ZERO`: such a vector says nothing). Checked in that order,
 * before anything is signed. Not checked here, because they need chain state: that each uid is below
 * `SubnetworkN`, the subnet's min-allowed-weights and max-weight limits.
 */
export function checkWeights(input: WeightsInput): void {
  const { uids, weights, maxUids } = input;
  if (!isList(uids) || !isList(weights) || uids.length !== weights.length) {
    throw new WeightsError(
      'WEIGHTS_LENGTH_MISMATCH',
      `Expected as many weights as uids but received ${describeValue(uids)} and ${describeValue(weights)}`,
    );
  }
  if (uids.length === 0) throw new WeightsError('WEIGHTS_EMPTY', 'Expected at least one weight');
  if (maxUids !== undefined) {
    if (!Number.isSafeInteger(maxUids) || maxUids < 1) {
      throw new WeightsError(
        'WEIGHTS_BAD_VALUE',
        `Expected maxUids >= 1 but received ${describeValue(maxUids)}`,
      );
    }
    if (uids.length > maxUids) {
      throw new WeightsError(
        'WEIGHTS_TOO_MANY',
        `Expected at most ${maxUids} weights but received ${uids.length}`,
        {
          count: uids.length,
          maxUids,
        },
      );
    }
  }
  checkU16s(uids, 'uids');
  checkU16s(weights, 'weights');
  const seen = new Set<number>();
  for (const uid of uids) {
    if (seen.has(uid)) throw new WeightsError('WEIGHTS_DUPLICATE_UID', `uid ${uid} appears twice`, { uid });
    seen.add(uid);
  }
  if (weights.every((w) => w === 0)) throw new WeightsError('WEIGHTS_ALL_ZERO', 'Every weight is zero');
}

/** Python's `round()`: to the nearest integer, ties to even. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/**
 * Scores (non-negative finite floats) to u16 weights the way the Bittensor SDK's
 * `convert_weights_and_uids_for_emit` does, so cohort's validator emits what a Python validator would:
 * each score is divided by the maximum (max-upscaling), multiplied by 65535 and rounded to the nearest
 * integer with ties to even (Python's `round`), so the largest score becomes exactly 65535. All zeros
 * (or an empty list) stay zeros. Unlike the SDK it keeps zero entries, one output per input, so the
 * caller decides what to drop. Throws {@link WeightsError} `WEIGHTS_BAD_VALUE` for a negative,
 * non-finite or non-number score.
 */
export function normalizeWeightsU16(scores: readonly number[]): number[] {
  if (!isList(scores)) {
    throw new WeightsError(
      'WEIGHTS_BAD_VALUE',
      `Expected an array of scores but received ${describeValue(scores)}`,
    );
  }
  let max = 0;
  scores.forEach((score, index) => {
    if (typeof score !== 'number' || !Number.isFinite(score) || score < 0) {
      throw new WeightsError(
        'WEIGHTS_BAD_VALUE',
        `Expected a finite score >= 0 for scores[${index}] but received ${describeValue(score)}`,
        { index },
      );
    }
    if (score > max) max = score;
  });
  if (max === 0) return scores.map(() => 0);
  return scores.map((score) => roundHalfEven((score / max) * U16_MAX));
}

/** Input of {@link weightsCommitHash}: exactly what will be revealed later, plus who commits where. */
export interface WeightsCommitInput {
  /** The committing hotkey's 32-byte public key (`AccountId32`). */
  readonly account: Uint8Array;
  /** The subnet (u16). */
  readonly netuid: number;
  /** The UIDs, as they will be revealed. */
  readonly uids: readonly number[];
  /** The u16 weights, one per uid, as they will be revealed. */
  readonly values: readonly number[];
  /** The salt from {@link newSalt}: keep it to reveal. */
  readonly salt: readonly number[];
  /** The subnet's weights version key (u64). */
  readonly versionKey: bigint;
}

/**
 * The 32-byte hash to pass to `commit_weights`: BLAKE2b-256 of the SCALE encoding of
 * `(AccountId32, u16 netuid, Vec<u16> uids, Vec<u16> values, Vec<u16> salt, u64 version_key)`, which
 * is what subtensor recomputes in `reveal_weights` (commit-reveal v2) and what the Bittensor SDK's
 * `generate_weight_hash` produces. Runs {@link checkWeights} first, since a commit of weights the
 * chain would refuse at reveal only wastes the interval. Throws {@link WeightsError}.
 */
export function weightsCommitHash(input: WeightsCommitInput): Uint8Array {
  const { account, netuid, uids, values, salt, versionKey } = input;
  if (!(account instanceof Uint8Array) || account.length !== ACCOUNT_ID_BYTES) {
    throw new WeightsError(
      'WEIGHTS_BAD_ACCOUNT',
      `Expected a ${ACCOUNT_ID_BYTES}-byte account id but received ${describeValue(account)}`,
    );
  }
  if (!isU16(netuid)) {
    throw new WeightsError(
      'WEIGHTS_BAD_VALUE',
      `Expected a u16 netuid but received ${describeValue(netuid)}`,
    );
  }
  if (typeof versionKey !== 'bigint' || versionKey < 0n || versionKey >= 1n << 64n) {
    throw new WeightsError(
      'WEIGHTS_BAD_VALUE',
      `Expected a u64 versionKey but received ${describeValue(versionKey)}`,
    );
  }
  if (!isList(salt) || salt.length === 0 || !salt.every(isU16)) {
    throw new WeightsError(
      'WEIGHTS_BAD_SALT',
      `Expected a non-empty array of u16 salt but received ${describeValue(salt)}`,
    );
  }
  checkWeights({ uids, weights: values });
  const encoded = new ScaleWriter()
    .raw(account)
    .u16(netuid)
    .vecU16(uids)
    .vecU16(values)
    .vecU16(salt)
    .u64(versionKey)
    .finish();
  return blake2b(encoded, 32);
}

/**
 * A fresh salt for one commit: `length` (1..256, default 8) u16 words read little-endian from
 * `random(2 * length)`. Inject a CSPRNG (`crypto.randomBytes`) in production and a seeded source in
 * tests. Throws {@link WeightsError} `WEIGHTS_BAD_SALT` for a bad length or a source that returns
 * anything but that many bytes.
 */
export function newSalt(random: (n: number) => Uint8Array, length = DEFAULT_SALT_LENGTH): number[] {
  if (!Number.isSafeInteger(length) || length < 1 || length > MAX_SALT_LENGTH) {
    throw new WeightsError(
      'WEIGHTS_BAD_SALT',
      `Expected a salt length in [1, ${MAX_SALT_LENGTH}] but received ${describeValue(length)}`,
    );
  }
  const bytes = random(2 * length);
  if (!(bytes instanceof Uint8Array) || bytes.length !== 2 * length) {
    throw new WeightsError(
      'WEIGHTS_BAD_SALT',
      `Expected ${2 * length} random bytes but received ${describeValue(bytes)}`,
    );
  }
  return Array.from({ length }, (_, i) => bytes[2 * i]! | (bytes[2 * i + 1]! << 8));
}
