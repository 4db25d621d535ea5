/**
 * A small, consistent sample of a payload's kept coordinates, so a validator can compare every pair of
 * a window's payloads without holding them all (the evaluators decode; the coordinator compares). Every
 * payload keeps the coordinates whose 32-bit mix of (tensor position, flat index) falls in the same
 * 1-in-`keepOneIn` bucket, so two payloads that share a coordinate also share it in their samples: the
 * overlap of the samples estimates the overlap of the payloads (index-overlap.ts), with a few thousand
 * samples well within ±0.03 at the threshold's scale.
 */
import { InvalidArgumentError } from './errors.js';

/** murmur3's 32-bit finalizer over (position, index): a fixed, well-mixed hash, cheap per coordinate. */
function mix32(position: number, index: number): number {
  let h = (index ^ Math.imul(position + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** The sampled coordinates (tensor position << 32 | flat index), ascending. */
export function sampleKeptIndices(
  tensors: readonly { readonly indices: Uint32Array }[],
  keepOneIn: number,
): BigUint64Array {
  if (!Number.isInteger(keepOneIn) || keepOneIn < 1) {
    throw new InvalidArgumentError(`keepOneIn must be a positive integer, not ${keepOneIn}`, {
      reason: 'SCORE_BAD_POLICY',
    });
  }
  const out: bigint[] = [];
  tensors.forEach((t, position) => {
    const high = BigInt(position) << 32n;
    for (const index of t.indices) {
      if (mix32(position, index) % keepOneIn === 0) out.push(high | BigInt(index));
    }
  });
  return BigUint64Array.from(out).sort();
}

/** Encode a sample for the wire (little-endian u64s). */
export function encodeIndexSample(sample: BigUint64Array): Uint8Array {
  const bytes = new Uint8Array(sample.length * 8);
  const view = new DataView(bytes.buffer);
  sample.forEach((v, i) => view.setBigUint64(i * 8, v, true));
  return bytes;
}

/** Decode a sample from the wire; refuses a length that is not whole u64s or an unsorted sample. */
export function decodeIndexSample(bytes: Uint8Array): BigUint64Array {
  if (bytes.length % 8 !== 0) {
    throw new InvalidArgumentError(`an index sample has whole 8-byte values, not ${bytes.length} bytes`, {
      reason: 'SCORE_BAD_SAMPLE',
    });
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new BigUint64Array(bytes.length / 8);
  for (let i = 0; i < out.length; i++) {
    out[i] = view.getBigUint64(i * 8, true);
    if (i > 0 && out[i]! <= out[i - 1]!) {
      throw new InvalidArgumentError('an index sample must be strictly ascending', {
        reason: 'SCORE_BAD_SAMPLE',
      });
    }
  }
  return out;
}

/** |A ∩ B| / min(|A|, |B|) of two ascending samples (0 when either is empty). */
export function sampleOverlap(a: BigUint64Array, b: BigUint64Array): number {
  const denominator = Math.min(a.length, b.length);
  if (denominator === 0) return 0;
  let i = 0;
  let j = 0;
  let common = 0;
  while (i < a.length && j < b.length) {
    const x = a[i]!;
    const y = b[j]!;
    if (x === y) {
      common++;
      i++;
      j++;
    } else if (x < y) i++;
    else j++;
  }
  return common / denominator;
}

/**
 * The sampling rate of a run's index samples, from the model's parameter count alone (so every
 * evaluator of the run samples the same coordinates): one in P / 2^18, so a payload at density 1/64
 * yields about 4096 samples whatever the model's size (32 KiB on the wire).
 */
export function overlapSampleOneIn(parameterCount: number): number {
  return Math.max(1, Math.floor(parameterCount / 262_144));
}
