/**
 * The portable page sampler of protocol §2: which samples of the active shard a miner trains on in a
 * window, and which "control" samples a validator scores against. Every step is specified byte for byte
 * in docs/data.md (with golden vectors in sampler.golden.json), so a validator, a miner and
 * `cohort explain` in any language agree on the draw, and nobody can choose their own data.
 */
import { blake2b256 } from './blake2b.js';
import { createCounterPrng, u64le } from './counter-prng.js';
import { InvalidArgumentError, expectedMessage } from './errors.js';

/** Domain string of the pages a miner is assigned. */
export const PAGES_DOMAIN = 'cohort/pages';
/** Domain string of the control (random) pages used for scoring: a key no miner is assigned. */
export const CONTROL_PAGES_DOMAIN = 'cohort/control-pages';

/** One field of a derived key: a string is `u32le(utf8 length) || utf8`, a bigint is `u64le`. */
export type KeyField = string | bigint;

/** Inputs of {@link pagesFor} and {@link controlPagesFor}. */
export interface PageRequest {
  /** The run id, as in the run's config (e.g. `devnet`). */
  readonly runId: string;
  /** The miner's hotkey as its SS58 address text, exactly as the metagraph lists it. */
  readonly hotkey: string;
  /** The window number w (a non-negative safe integer). */
  readonly window: number;
  /** N: the number of samples in the active shard. */
  readonly poolSize: number;
  /** k: how many distinct samples to draw (inner_steps × batch_size), at most `poolSize`. */
  readonly count: number;
}

function invalid(what: string, value: unknown, expected: string): InvalidArgumentError {
  return new InvalidArgumentError(expectedMessage(expected, what, value), {
    reason: 'SAMPLER_INVALID_INPUT',
    details: { field: what },
  });
}

function checkCount(what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw invalid(what, value, 'a non-negative safe integer');
  }
  return value;
}

/**
 * BLAKE2b-256 over the length-prefixed encoding of `fields`: strings as `u32le(byte length) || UTF-8`,
 * bigints as `u64le`. The first field is a domain string, so keys of different purposes never collide.
 */
export function deriveKey(fields: readonly KeyField[]): Uint8Array {
  const encoder = new TextEncoder();
  const parts = fields.map((field) => {
    if (typeof field === 'bigint') return u64le(field);
    const text = encoder.encode(field);
    const out = new Uint8Array(4 + text.length);
    new DataView(out.buffer).setUint32(0, text.length, true);
    out.set(text, 4);
    return out;
  });
  const input = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    input.set(part, offset);
    offset += part.length;
  }
  return blake2b256(input);
}

/**
 * Draw `count` distinct integers from [0, poolSize) with Robert Floyd's algorithm over the counter PRNG
 * of `key`: for j = N−k .. N−1, t = uniform(j + 1); if t was drawn already, take j instead. Returned in
 * the order drawn (not sorted, and not a uniformly random order: late positions favour large values).
 */
export function drawDistinct(key: Uint8Array, poolSize: number, count: number): number[] {
  checkCount('poolSize', poolSize);
  checkCount('count', count);
  if (count > poolSize) {
    throw new InvalidArgumentError(expectedMessage(`at most poolSize (${poolSize})`, 'count', count), {
      reason: 'SAMPLER_COUNT_EXCEEDS_POOL',
    });
  }
  const prng = createCounterPrng(key);
  const seen = new Set<number>();
  const out: number[] = [];
  for (let j = poolSize - count; j < poolSize; j++) {
    let t = Number(prng.uniform(BigInt(j + 1)));
    if (seen.has(t)) t = j;
    seen.add(t);
    out.push(t);
  }
  return out;
}

function draw(domain: string, request: PageRequest): number[] {
  if (typeof request.runId !== 'string') throw invalid('runId', request.runId, 'a string');
  if (typeof request.hotkey !== 'string') throw invalid('hotkey', request.hotkey, 'a string');
  const window = checkCount('window', request.window);
  const key = deriveKey([domain, request.runId, request.hotkey, BigInt(window)]);
  return drawDistinct(key, request.poolSize, request.count);
}

/**
 * The sample indices (into the active shard) that `hotkey` trains on in `window`: key =
 * {@link deriveKey}(["cohort/pages", runId, hotkey, u64 window]), then {@link drawDistinct}.
 */
export function pagesFor(request: PageRequest): number[] {
  return draw(PAGES_DOMAIN, request);
}

/**
 * The control pages a validator scores `hotkey`'s update against in `window`: the same draw under the
 * domain "cohort/control-pages", so no miner is ever assigned them by construction of the key.
 */
export function controlPagesFor(request: PageRequest): number[] {
  return draw(CONTROL_PAGES_DOMAIN, request);
}
