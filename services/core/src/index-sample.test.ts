import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from './errors.js';
import { decodeIndexSample, encodeIndexSample, sampleKeptIndices, sampleOverlap } from './index-sample.js';
import { overlapOf, prepareIndices } from './index-overlap.js';
import { createCounterPrng } from './counter-prng.js';

/** k distinct indices of [0, n) from a seeded generator. */
function draw(seed: number, n: number, k: number): Uint32Array {
  const prng = createCounterPrng(new Uint8Array(32).fill(seed));
  const set = new Set<number>();
  while (set.size < k) set.add(Number(prng.nextU64() % BigInt(n)));
  return Uint32Array.from(set);
}

test('the overlap of consistent samples estimates the overlap of the payloads', () => {
  const n = 1 << 22;
  const a = draw(1, n, 60_000);
  const other = draw(2, n, 60_000);
  // b shares half of a's coordinates.
  const b = Uint32Array.from([...a.subarray(0, 30_000), ...other.subarray(0, 30_000)]);
  const exact = overlapOf(
    prepareIndices([{ name: 't', indices: a }]),
    prepareIndices([{ name: 't', indices: b }]),
  );
  const sa = sampleKeptIndices([{ indices: a }], 16);
  const sb = sampleKeptIndices([{ indices: b }], 16);
  assert.ok(sa.length > 3000 && sa.length < 4500, `sample size ${sa.length}`);
  const estimate = sampleOverlap(sa, sb);
  assert.ok(Math.abs(estimate - exact) < 0.03, `estimate ${estimate} vs exact ${exact}`);
  assert.ok(sampleOverlap(sa, sampleKeptIndices([{ indices: other }], 16)) < 0.05, 'independent payloads');
  assert.equal(sampleOverlap(sa, sa), 1);
});

test('samples round-trip on the wire and hostile ones are refused', () => {
  const s = sampleKeptIndices([{ indices: Uint32Array.of(5, 1, 9) }, { indices: Uint32Array.of(5) }], 1);
  assert.deepEqual([...decodeIndexSample(encodeIndexSample(s))], [1n, 5n, 9n, (1n << 32n) | 5n]);
  const bad = (e: unknown) => e instanceof InvalidArgumentError && e.reason === 'SCORE_BAD_SAMPLE';
  assert.throws(() => decodeIndexSample(new Uint8Array(7)), bad);
  assert.throws(() => decodeIndexSample(encodeIndexSample(BigUint64Array.of(3n, 2n))), bad);
  assert.throws(() => sampleKeptIndices([], 0), InvalidArgumentError);
});
