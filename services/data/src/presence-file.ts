/**
 * Which samples of one shard a local dataset cache holds: a bitmap persisted next to the sparse
 * `.tokens` file. The file names the shard contents it belongs to (the `.tokens` file's BLAKE2b-256 from
 * the manifest), so a bitmap left by another dataset, or by an older version of the same shard name,
 * is never trusted. Layout: the 16-byte magic `cohort-present/1`, the 32 hash bytes, the sample count
 * as u64le, then one bit per sample (bit `i % 8` of byte `i / 8`). A bit is set only after the sample's
 * bytes were verified and flushed to disk, and the file is replaced atomically.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-file.js';

const MAGIC = new TextEncoder().encode('cohort-present/1');
const HEADER_BYTES = MAGIC.length + 32 + 8;

/** The samples of one shard present in the cache. */
export class PresenceSet {
  readonly #bits: Uint8Array;
  #count = 0;

  /** An empty set over `samples` samples. */
  constructor(
    readonly samples: number,
    bits?: Uint8Array,
  ) {
    this.#bits = bits ?? new Uint8Array(Math.ceil(samples / 8));
    for (let i = 0; i < samples; i++) if (this.has(i)) this.#count++;
  }

  /** Samples present. */
  get count(): number {
    return this.#count;
  }

  has(sample: number): boolean {
    return ((this.#bits[sample >> 3] ?? 0) & (1 << (sample & 7))) !== 0;
  }

  add(sample: number): void {
    if (this.has(sample)) return;
    this.#bits[sample >> 3] = (this.#bits[sample >> 3] ?? 0) | (1 << (sample & 7));
    this.#count++;
  }

  /** The file's bytes for a shard whose tokens hash to `tokensHash` (32 bytes). */
  encode(tokensHash: Uint8Array): Uint8Array {
    const out = new Uint8Array(HEADER_BYTES + this.#bits.length);
    out.set(MAGIC, 0);
    out.set(tokensHash, MAGIC.length);
    new DataView(out.buffer).setBigUint64(MAGIC.length + 32, BigInt(this.samples), true);
    out.set(this.#bits, HEADER_BYTES);
    return out;
  }
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * The presence set stored at `path` when it belongs to this shard (same tokens hash and sample count,
 * exact length); undefined when it is missing, foreign or damaged, and the caller starts empty.
 */
export async function loadPresence(
  path: string,
  tokensHash: Uint8Array,
  samples: number,
): Promise<PresenceSet | undefined> {
  const bytes = await readFile(path).catch(() => undefined);
  if (bytes === undefined || bytes.length !== HEADER_BYTES + Math.ceil(samples / 8)) return undefined;
  if (!equalBytes(bytes.subarray(0, MAGIC.length), MAGIC)) return undefined;
  if (!equalBytes(bytes.subarray(MAGIC.length, MAGIC.length + 32), tokensHash)) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getBigUint64(MAGIC.length + 32, true) !== BigInt(samples)) return undefined;
  const set = new PresenceSet(samples, new Uint8Array(bytes.subarray(HEADER_BYTES)));
  // Bits past the last sample must be clear, or the file is not one this code wrote.
  const tail = samples % 8;
  if (tail !== 0 && bytes[bytes.length - 1]! >> tail !== 0) return undefined;
  return set;
}

/** Replace the presence file at `path` atomically (temp file, fsync, rename, directory fsync). */
export async function savePresence(path: string, set: PresenceSet, tokensHash: Uint8Array): Promise<void> {
  await writeFileAtomic(path, set.encode(tokensHash));
}
