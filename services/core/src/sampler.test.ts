import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createCounterPrng } from './counter-prng.js';
import { dataReceipt } from './data-receipt.js';
import { CohortError } from './errors.js';
import { controlPagesFor, deriveKey, drawDistinct, pagesFor } from './sampler.js';
import type { PageRequest } from './sampler.js';

interface Golden {
  pages: {
    domain: string;
    runId: string;
    hotkey: string;
    window: number;
    poolSize: number;
    count: number;
    key: string;
    firstWords: string[];
    indices: number[];
  }[];
  uniform: { key: string; n: string; values: string[] }[];
  receipts: { ids: string[]; receipt: string }[];
}

// The JSON stays in src/ (tsc does not copy it); tests run from dist/.
const golden = JSON.parse(
  readFileSync(resolve(fileURLToPath(import.meta.url), '../../src/sampler.golden.json'), 'utf8'),
) as Golden;
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ALICE = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const BOB = '5FHneW46xGXgs5mUiveU4sbTyGBzmstUspZC92UhjJM694ty';
const base: PageRequest = { runId: 'devnet', hotkey: ALICE, window: 5, poolSize: 1000, count: 16 };
const reason = (r: string) => (e: unknown) => e instanceof CohortError && e.reason === r;

describe('golden vectors (sampler.golden.json)', () => {
  test('keys, PRNG words and page indices', () => {
    assert.ok(golden.pages.length >= 10);
    for (const c of golden.pages) {
      const key = deriveKey([c.domain, c.runId, c.hotkey, BigInt(c.window)]);
      assert.equal(hex(key), c.key, `key of ${JSON.stringify(c)}`);
      const prng = createCounterPrng(key);
      assert.deepEqual(
        c.firstWords.map(() => prng.nextU64().toString()),
        c.firstWords,
      );
      const draw = c.domain === 'cohort/pages' ? pagesFor : controlPagesFor;
      assert.deepEqual(draw(c), c.indices, `indices of ${c.domain} ${c.runId} w${c.window}`);
    }
  });

  test('uniform draws, including the rejection path', () => {
    for (const u of golden.uniform) {
      const prng = createCounterPrng(Buffer.from(u.key, 'hex'));
      assert.deepEqual(
        u.values.map(() => prng.uniform(BigInt(u.n)).toString()),
        u.values,
        `n = ${u.n}`,
      );
    }
  });

  test('data receipts', () => {
    for (const r of golden.receipts) {
      assert.equal(hex(dataReceipt(r.ids.map((id) => BigInt(id)))), r.receipt);
    }
  });
});

describe('sampler properties', () => {
  test('indices are distinct, in range, and deterministic', () => {
    for (const [poolSize, count] of [
      [1, 1],
      [50, 50],
      [1000, 16],
      [65536, 512],
      [2 ** 40, 64],
    ] as const) {
      const request = { ...base, poolSize, count };
      const pages = pagesFor(request);
      assert.equal(pages.length, count);
      assert.equal(new Set(pages).size, count);
      assert.ok(pages.every((i) => Number.isInteger(i) && i >= 0 && i < poolSize));
      assert.deepEqual(pagesFor(request), pages);
    }
  });

  test('different hotkeys, windows, runs and domains give different draws', () => {
    const a = pagesFor(base);
    assert.notDeepEqual(pagesFor({ ...base, hotkey: BOB }), a);
    assert.notDeepEqual(pagesFor({ ...base, window: 6 }), a);
    assert.notDeepEqual(pagesFor({ ...base, runId: 'devnet2' }), a);
    assert.notDeepEqual(controlPagesFor(base), a);
  });

  test('the length prefix keeps field boundaries apart', () => {
    assert.notEqual(hex(deriveKey(['ab', 'c'])), hex(deriveKey(['a', 'bc'])));
    // UTF-8 byte length, not UTF-16 length: "ü" is 2 bytes.
    assert.notEqual(hex(deriveKey(['ü', ''])), hex(deriveKey(['ü'])));
  });

  test('every index is drawn about equally often (chi-square, fixed inputs)', () => {
    const poolSize = 20;
    const count = 5;
    const windows = 2000;
    const hits = new Array<number>(poolSize).fill(0);
    for (let window = 0; window < windows; window++) {
      for (const i of pagesFor({ ...base, window, poolSize, count })) hits[i] = (hits[i] ?? 0) + 1;
    }
    const expected = (windows * count) / poolSize;
    const chi2 = hits.reduce((sum, h) => sum + (h - expected) ** 2 / expected, 0);
    // 19 degrees of freedom: P(chi2 > 50) < 1e-4.
    assert.ok(chi2 < 50, `chi-square ${chi2.toFixed(1)} over ${JSON.stringify(hits)}`);
  });

  test('uniform(n) is unbiased for a bound with heavy rejection (n = 2^63 + 1)', () => {
    const prng = createCounterPrng(deriveKey(['cohort/test-uniform-bias']));
    const n = (1n << 63n) + 1n;
    let low = 0;
    const draws = 4000;
    for (let i = 0; i < draws; i++) if (prng.uniform(n) < n / 2n) low += 1;
    // Plain `x mod n` would put about 3/4 of the draws in the lower half.
    assert.ok(Math.abs(low / draws - 0.5) < 0.04, `lower half ${low}/${draws}`);
  });
});

describe('sampler errors', () => {
  test('count above the pool is SAMPLER_COUNT_EXCEEDS_POOL', () => {
    assert.throws(() => pagesFor({ ...base, poolSize: 3, count: 4 }), reason('SAMPLER_COUNT_EXCEEDS_POOL'));
  });

  test('negative, fractional and unsafe inputs are SAMPLER_INVALID_INPUT', () => {
    for (const bad of [
      { window: -1 },
      { window: 1.5 },
      { poolSize: -1 },
      { poolSize: 2 ** 53 },
      { count: 0.5 },
      { count: Number.NaN },
    ]) {
      assert.throws(
        () => pagesFor({ ...base, ...bad }),
        reason('SAMPLER_INVALID_INPUT'),
        JSON.stringify(bad),
      );
    }
    assert.throws(() => drawDistinct(new Uint8Array(32), -2, 0), reason('SAMPLER_INVALID_INPUT'));
    assert.throws(() => createCounterPrng(new Uint8Array(32)).uniform(0n), reason('SAMPLER_INVALID_INPUT'));
  });

  test('receipt ids outside u64 are U64_OUT_OF_RANGE', () => {
    assert.throws(() => dataReceipt([-1n]), reason('U64_OUT_OF_RANGE'));
    assert.throws(() => dataReceipt([1n << 64n]), reason('U64_OUT_OF_RANGE'));
  });

  test('the receipt ignores order and keeps duplicates', () => {
    assert.equal(hex(dataReceipt([3n, 1n, 2n])), hex(dataReceipt([1n, 2n, 3n])));
    assert.notEqual(hex(dataReceipt([1n, 1n])), hex(dataReceipt([1n])));
  });
});
