import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgumentError } from './errors.js';
import { MAX_SCALE_COMPACT, ScaleWriter } from './scale.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const outOfRange = (error: unknown) =>
  error instanceof InvalidArgumentError && error.reason === 'SCALE_OUT_OF_RANGE';

test('compact integers match the SCALE reference vectors in every mode', () => {
  // The vectors of the SCALE spec; the last ones were checked against @polkadot/util's compactToU8a.
  const vectors: [bigint | number, string][] = [
    [0, '00'],
    [1, '04'],
    [63, 'fc'],
    [64, '0101'],
    [16383, 'fdff'],
    [16384, '02000100'],
    [1073741823, 'feffffff'],
    [1073741824, '0300000040'],
    [2 ** 32, '070000000001'],
    [(1n << 64n) - 1n, '13ffffffffffffffff'],
    [MAX_SCALE_COMPACT, 'ff'.repeat(68)],
  ];
  for (const [value, expected] of vectors) {
    assert.equal(hex(new ScaleWriter().compact(value).finish()), expected, String(value));
  }
  // A number and a bigint encode the same.
  assert.equal(hex(new ScaleWriter().compact(16384n).finish()), '02000100');
  assert.throws(() => new ScaleWriter().compact(MAX_SCALE_COMPACT + 1n), outOfRange);
  assert.throws(() => new ScaleWriter().compact(-1), outOfRange);
  assert.throws(() => new ScaleWriter().compact(2 ** 53), outOfRange); // not a safe integer: pass a bigint
});

test('fixed-width integers are little-endian and range-checked', () => {
  const w = new ScaleWriter().u8(0xab).u16(0x1234).u32(0xdeadbeef).u64(0x0102030405060708n).u64(7);
  assert.equal(hex(w.finish()), 'ab' + '3412' + 'efbeadde' + '0807060504030201' + '0700000000000000');
  for (const bad of [
    () => new ScaleWriter().u8(256),
    () => new ScaleWriter().u16(65536),
    () => new ScaleWriter().u16(1.5),
    () => new ScaleWriter().u32(-1),
    () => new ScaleWriter().u64(1n << 64n),
    () => new ScaleWriter().u64(-1n),
    () => new ScaleWriter().u16('1' as unknown as number),
  ]) {
    assert.throws(bad, outOfRange);
  }
});

test('bytes, raw and vecU16; the buffer grows and finish returns a copy', () => {
  assert.equal(hex(new ScaleWriter().bytes(Uint8Array.of(1, 2, 3)).finish()), '0c010203');
  assert.equal(hex(new ScaleWriter().raw(Uint8Array.of(1, 2, 3)).finish()), '010203');
  assert.equal(hex(new ScaleWriter().vecU16([]).finish()), '00');
  assert.equal(hex(new ScaleWriter().vecU16([1, 65535]).finish()), '080100ffff');
  // A bad item leaves nothing half-written.
  const w = new ScaleWriter().u8(1);
  assert.throws(() => w.vecU16([1, 70000]), outOfRange);
  assert.equal(hex(w.finish()), '01');

  const big = new ScaleWriter().bytes(new Uint8Array(1000).fill(9));
  const out = big.finish();
  assert.equal(out.length, 2 + 1000);
  assert.equal(hex(out.subarray(0, 2)), 'a10f'); // compact(1000) = 1000 << 2 | 1
  out[5] = 0;
  assert.equal(big.finish()[5], 9);
  big.u8(2);
  assert.equal(big.finish().length, 1003);
  // Growth in small steps keeps every byte.
  const small = new ScaleWriter();
  for (let i = 0; i < 300; i++) small.u8(i & 0xff).compact(2 ** 32);
  const bytes = small.finish();
  assert.equal(bytes.length, 300 * 7);
  for (let i = 0; i < 300; i++)
    assert.equal(hex(bytes.subarray(7 * i, 7 * i + 7)), hex(Uint8Array.of(i & 0xff, 0x07, 0, 0, 0, 0, 1)));
});
