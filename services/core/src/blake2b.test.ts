import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { blake2b, blake2b256, createBlake2b, createBlake2b256 } from './blake2b.js';
import { CohortError } from './errors.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);
/** Deterministic test input: byte i is i mod 251. */
const ramp = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i % 251);

test('RFC 7693 Appendix A: BLAKE2b-512("abc")', () => {
  assert.equal(
    hex(blake2b(ascii('abc'))),
    'ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1' +
      '7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923',
  );
});

test('BLAKE2b-256 reference vectors (digest length is a parameter, not a truncation)', () => {
  assert.equal(
    hex(blake2b256(ascii('abc'))),
    'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319',
  );
  // Expected values from Python's hashlib.blake2b(data, digest_size=32) (libb2's reference code),
  // around the 128-byte block boundary where the final-block rule matters.
  const expected: Record<number, string> = {
    0: '0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8',
    1: '03170a2e7597b7b7e3d84c05391d139a62b157e78786d8c082f29dcf4c111314',
    127: 'f2fe67ff342e21b8f45e8f2e0bcd1d9243245d50ee6c78042e9c491388791c72',
    128: 'c3582f71ebb2be66fa5dd750f80baae97554f3b015663c8be377cfcb2488c1d1',
    129: 'f7f3c46ba2564ff4c4c162da1f5b605f9f1c4aa6a20652a9f9a337c1a2f5b9c9',
    255: 'd9ef0fc521b4266d16df662bec231bc2ec3989e7adeaf63169c295dc239dbbea',
    256: '582f782226018ec33076bd8d1c42413530ac7e1126260ffc0f306ba3befc3f24',
    1000: 'b372d0608f720c8c3dd41e9c8eecb10143b41abe520b616607e754bf79c08331',
  };
  for (const [n, digest] of Object.entries(expected)) {
    assert.equal(hex(blake2b256(ramp(Number(n)))), digest, `length ${n}`);
  }
  assert.notEqual(hex(blake2b256(ascii('abc'))), hex(blake2b(ascii('abc'))).slice(0, 64));
  assert.equal(hex(blake2b(ascii('abc'), 20)), '384264f676f39536840523f284921cdc68b6846b');
  assert.equal(hex(blake2b(ascii('abc'), 1)), '6b');
});

test('keyed BLAKE2b-512 matches the official blake2b-kat.txt', () => {
  const key = Uint8Array.from({ length: 64 }, (_, i) => i);
  assert.equal(
    hex(blake2b(new Uint8Array(0), 64, key)),
    '10ebb67700b1868efb4417987acf4690ae9d972fb7a590c2f02871799aaa4786' +
      'b5e996e8f0f4eb981fc214b005f42d2ff4233499391653df7aefcbc13fc51568',
  );
  assert.equal(
    hex(blake2b(key, 64, key)),
    '65676d800617972fbd87e4b9514e1c67402b7a331096d3bfac22f1abb95374ab' +
      'c942f16e9ab0ead33b87c91968a6e509e119ff07787b3ef483e1dcdccf6e3022',
  );
});

test('unkeyed BLAKE2b-512 equals Node crypto blake2b512 for every length 0..600', () => {
  for (let n = 0; n <= 600; n++) {
    const data = ramp(n);
    assert.equal(hex(blake2b(data)), createHash('blake2b512').update(data).digest('hex'), `length ${n}`);
  }
});

test('incremental updates in any split give the one-shot digest', () => {
  const data = ramp(5000);
  const oneShot = hex(blake2b256(data));
  for (const piece of [1, 7, 127, 128, 129, 1000]) {
    const h = createBlake2b({ outputLength: 32 });
    for (let o = 0; o < data.length; o += piece) h.update(data.subarray(o, o + piece));
    assert.equal(hex(h.digest()), oneShot, `pieces of ${piece}`);
  }
  const h = createBlake2b({ outputLength: 32 });
  h.update(new Uint8Array(0)).update(data.subarray(0, 128)).update(new Uint8Array(0));
  h.update(data.subarray(128));
  assert.equal(hex(h.digest()), oneShot);
});

test('bad parameters and reuse are InvalidArgument with a reason', () => {
  const reason = (r: string) => (e: unknown) => e instanceof CohortError && e.reason === r;
  assert.throws(() => createBlake2b({ outputLength: 0 }), reason('BLAKE2B_INVALID_PARAMETER'));
  assert.throws(() => createBlake2b({ outputLength: 65 }), reason('BLAKE2B_INVALID_PARAMETER'));
  assert.throws(() => createBlake2b({ key: new Uint8Array(65) }), reason('BLAKE2B_INVALID_PARAMETER'));
  const h = createBlake2b();
  h.digest();
  assert.throws(() => h.update(new Uint8Array(1)), reason('BLAKE2B_FINISHED'));
  assert.throws(() => h.digest(), reason('BLAKE2B_FINISHED'));
});

test('createBlake2b256 streams to the BLAKE2b-256 reference vectors', () => {
  const expected: Record<number, string> = {
    0: '0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8',
    128: 'c3582f71ebb2be66fa5dd750f80baae97554f3b015663c8be377cfcb2488c1d1',
    129: 'f7f3c46ba2564ff4c4c162da1f5b605f9f1c4aa6a20652a9f9a337c1a2f5b9c9',
    1000: 'b372d0608f720c8c3dd41e9c8eecb10143b41abe520b616607e754bf79c08331',
  };
  for (const [n, digest] of Object.entries(expected)) {
    const data = ramp(Number(n));
    for (const piece of [1, 64, 128, 333]) {
      const h = createBlake2b256();
      for (let o = 0; o < data.length; o += piece) h.update(data.subarray(o, o + piece));
      assert.equal(hex(h.digest()), digest, `length ${n}, pieces of ${piece}`);
    }
  }
  const abc = createBlake2b256();
  abc.update(ascii('a'));
  abc.update(ascii('bc'));
  assert.equal(hex(abc.digest()), 'bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319');
  assert.throws(() => abc.digest(), CohortError);
});
