import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  COMMITMENT_ERROR_REASONS,
  CommitmentError,
  MAX_COMMITMENT_BYTES,
  decodeBucketCommitment,
  encodeBucketCommitment,
} from './bucket-commitment.js';
import type { BucketCommitment, CommitmentErrorReason } from './bucket-commitment.js';
import { createCounterPrng } from './counter-prng.js';
import { Code } from './errors.js';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const seen = new Set<CommitmentErrorReason>();
const reason = (expected: CommitmentErrorReason) => (error: unknown) => {
  assert.ok(error instanceof CommitmentError, String(error));
  assert.equal(error.reason, expected);
  assert.equal(error.code, Code.InvalidArgument);
  seen.add(expected);
  return true;
};

// Templar's shape: R2 account id endpoint, a 32-character bucket, 32-hex access key, 64-hex secret.
const TEMPLAR: BucketCommitment = {
  endpoint: 'https://0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com',
  bucket: 'fedcba9876543210fedcba9876543210',
  region: 'auto',
  accessKeyId: 'a'.repeat(32),
  secretAccessKey: '0123456789abcdef'.repeat(4),
  pathStyle: false,
};
const MINIO: BucketCommitment = {
  endpoint: 'https://minio.example.org:9000',
  bucket: 'cohort-run.1',
  region: 'us-east-1',
  accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  pathStyle: true,
};
const HTTP: BucketCommitment = {
  endpoint: 'http://127.0.0.1:9000',
  bucket: 'dev',
  region: '',
  accessKeyId: 'minioadmin',
  secretAccessKey: 'minio-secret',
  pathStyle: true,
};
const FILE: BucketCommitment = {
  endpoint: 'file:///var/lib/cohort/store',
  bucket: 'devnet',
  region: '',
  accessKeyId: 'ro',
  secretAccessKey: 'abc', // odd-length hex: stays text
  pathStyle: false,
};
const EXAMPLES = [TEMPLAR, MINIO, HTTP, FILE];

test('round trips: R2, https with port, http, file, path style', () => {
  for (const commitment of EXAMPLES) {
    const bytes = encodeBucketCommitment(commitment);
    assert.ok(bytes.length <= MAX_COMMITMENT_BYTES);
    assert.equal(bytes[0], 1);
    assert.deepEqual(decodeBucketCommitment(bytes), commitment);
    assert.deepEqual(encodeBucketCommitment(decodeBucketCommitment(bytes)), bytes);
  }
  const ipv6 = { ...HTTP, endpoint: 'http://[::1]:8333', region: 'garage' };
  assert.deepEqual(decodeBucketCommitment(encodeBucketCommitment(ipv6)), ipv6);
  const unicode = { ...FILE, endpoint: 'file:///data/ströme', secretAccessKey: '\ufeffsécret🔑' };
  assert.deepEqual(decodeBucketCommitment(encodeBucketCommitment(unicode)), unicode);
});

test("Templar's R2 commitment fits, in the documented layout", () => {
  const bytes = encodeBucketCommitment(TEMPLAR);
  // version + flags + 16-byte account + (1+32) bucket + (1+16) packed key + (1+32) packed secret.
  assert.equal(bytes.length, 101);
  assert.equal(bytes[1], 0b0110_0011); // R2, virtual-host style, region auto, both credentials packed
  assert.equal(hex(bytes.subarray(2, 18)), '0123456789abcdef0123456789abcdef');
  // The longest bucket name that still fits with R2 credentials: 59 characters.
  assert.equal(encodeBucketCommitment({ ...TEMPLAR, bucket: 'b'.repeat(59) }).length, 128);
  // Region written out costs 1 + its length; empty costs nothing, like auto.
  assert.equal(encodeBucketCommitment({ ...TEMPLAR, region: '' }).length, 101);
  assert.equal(encodeBucketCommitment({ ...TEMPLAR, region: 'wnam' }).length, 106);
  // Uppercase hex is not packed (decoding a packed key gives lowercase).
  const upper = { ...TEMPLAR, accessKeyId: 'A'.repeat(32) };
  assert.equal(encodeBucketCommitment(upper).length, 101 + 16);
  assert.deepEqual(decodeBucketCommitment(encodeBucketCommitment(upper)), upper);
});

test('encode refuses bad fields and oversize results', () => {
  const cases: [Partial<Record<keyof BucketCommitment, unknown>>, CommitmentErrorReason][] = [
    [{ bucket: 'b'.repeat(63) }, 'COMMITMENT_TOO_LARGE'],
    [{ endpoint: 'ftp://host' }, 'COMMITMENT_BAD_ENDPOINT'],
    [{ endpoint: 'https://' }, 'COMMITMENT_BAD_ENDPOINT'],
    [{ endpoint: 'https://host/' }, 'COMMITMENT_BAD_ENDPOINT'],
    [{ endpoint: 'https://host/path' }, 'COMMITMENT_BAD_ENDPOINT'],
    [{ endpoint: 'https://host?x=1' }, 'COMMITMENT_BAD_ENDPOINT'],
    [{ endpoint: 'https://user:pw@host' }, 'COMMITMENT_BAD_ENDPOINT'],
    [{ endpoint: 'https://Host.example' }, 'COMMITMENT_BAD_ENDPOINT'],
    [{ endpoint: 'https://-host.example' }, 'COMMITMENT_BAD_ENDPOINT'],
    [{ endpoint: 'https://host..example' }, 'COMMITMENT_BAD_ENDPOINT'],
    [{ endpoint: 'https://host:0' }, 'COMMITMENT_BAD_ENDPOINT'],
    [{ endpoint: 'https://host:65536' }, 'COMMITMENT_BAD_ENDPOINT'],
    [{ endpoint: 'https://host:080' }, 'COMMITMENT_BAD_ENDPOINT'],
    [{ endpoint: 'https://[127.0.0.1]' }, 'COMMITMENT_BAD_ENDPOINT'],
    [{ endpoint: 'file://relative/path' }, 'COMMITMENT_BAD_ENDPOINT'],
    [{ endpoint: 'file:///a\nb' }, 'COMMITMENT_BAD_ENDPOINT'],
    [{ endpoint: 'file:///a?b' }, 'COMMITMENT_BAD_ENDPOINT'],
    [{ endpoint: 'file:///a\ud800' }, 'COMMITMENT_BAD_UTF8'],
    [{ endpoint: 42 }, 'COMMITMENT_BAD_ENDPOINT'],
    [{ pathStyle: 'yes' }, 'COMMITMENT_BAD_ENDPOINT'],
    [{ bucket: 'ab' }, 'COMMITMENT_BAD_BUCKET'],
    [{ bucket: 'Bucket' }, 'COMMITMENT_BAD_BUCKET'],
    [{ bucket: '-bucket' }, 'COMMITMENT_BAD_BUCKET'],
    [{ bucket: 'bucket.' }, 'COMMITMENT_BAD_BUCKET'],
    [{ bucket: 'a..b' }, 'COMMITMENT_BAD_BUCKET'],
    [{ bucket: 'under_score' }, 'COMMITMENT_BAD_BUCKET'],
    [{ region: 'us east' }, 'COMMITMENT_BAD_REGION'],
    [{ region: 'r'.repeat(64) }, 'COMMITMENT_BAD_REGION'],
    [{ region: undefined }, 'COMMITMENT_BAD_REGION'],
    [{ accessKeyId: '' }, 'COMMITMENT_BAD_CREDENTIAL'],
    [{ accessKeyId: 'a\tb' }, 'COMMITMENT_BAD_CREDENTIAL'],
    [{ secretAccessKey: 'x'.repeat(129) }, 'COMMITMENT_BAD_CREDENTIAL'],
    [{ secretAccessKey: 'ab'.repeat(65) }, 'COMMITMENT_BAD_CREDENTIAL'],
    [{ secretAccessKey: null }, 'COMMITMENT_BAD_CREDENTIAL'],
    [{ secretAccessKey: 'key\udc00' }, 'COMMITMENT_BAD_UTF8'],
  ];
  for (const [change, expected] of cases) {
    const commitment = { ...TEMPLAR, ...change } as BucketCommitment;
    assert.throws(() => encodeBucketCommitment(commitment), reason(expected), JSON.stringify(change));
  }
  // A refused endpoint's userinfo (a password) never reaches the message.
  assert.throws(
    () => encodeBucketCommitment({ ...TEMPLAR, endpoint: 'https://user:hunter2@host' }),
    (error: unknown) => error instanceof CommitmentError && !error.message.includes('hunter2'),
  );
  assert.throws(
    () => encodeBucketCommitment({ ...TEMPLAR, bucket: 'b'.repeat(63) }),
    (error: unknown) =>
      error instanceof CommitmentError &&
      error.details['over'] === 4 &&
      error.details['bytes'] === 132 &&
      /4 more than the 128/.test(error.message),
  );
  // The credential limit counts characters (code points); the field limit counts bytes.
  const secret = (s: string) => () => encodeBucketCommitment({ ...HTTP, secretAccessKey: s });
  assert.throws(secret('é'.repeat(129)), reason('COMMITMENT_BAD_CREDENTIAL'));
  assert.throws(secret('é'.repeat(128)), reason('COMMITMENT_TOO_LARGE'));
  assert.throws(secret('🔑'.repeat(129)), reason('COMMITMENT_BAD_CREDENTIAL'));
  assert.throws(secret('🔑'.repeat(128)), reason('COMMITMENT_TOO_LARGE'));
});

/** Bytes built by hand: version 1, then `rest`. */
const raw = (...rest: number[]) => Uint8Array.of(1, ...rest);
const text = (s: string) => {
  const bytes = new TextEncoder().encode(s);
  return [bytes.length, ...bytes];
};

test('decode refuses malformed and non-canonical bytes with the matching reason', () => {
  const templar = encodeBucketCommitment(TEMPLAR);
  const http = encodeBucketCommitment(HTTP); // flags 0b0000_1101: http, path style, region empty
  assert.equal(http[1], 0b0000_1101);
  const cases: [Uint8Array, CommitmentErrorReason][] = [
    [new Uint8Array(0), 'COMMITMENT_EMPTY'],
    [new Uint8Array(129).fill(1), 'COMMITMENT_TOO_LARGE'],
    [Uint8Array.of(2, ...templar.subarray(1)), 'COMMITMENT_BAD_VERSION'],
    [Uint8Array.of(0), 'COMMITMENT_BAD_VERSION'],
    [raw(), 'COMMITMENT_TRUNCATED'],
    [templar.subarray(0, 100), 'COMMITMENT_TRUNCATED'],
    [templar.subarray(0, 10), 'COMMITMENT_TRUNCATED'],
    [Uint8Array.of(...templar, 0), 'COMMITMENT_TRAILING_BYTES'],
    [raw(0b1000_0011, ...templar.subarray(2)), 'COMMITMENT_NON_CANONICAL'], // reserved bit
    [raw(0b0111_1011, ...templar.subarray(2)), 'COMMITMENT_NON_CANONICAL'], // region mode 3
    // 'auto' written out instead of the region flag.
    [
      raw(0b0111_0011, ...templar.subarray(2, 51), ...text('auto'), ...templar.subarray(51)),
      'COMMITMENT_NON_CANONICAL',
    ],
    // A packable key stored as text.
    [
      raw(0b0000_1101, ...text('127.0.0.1:9000'), ...text('dev'), ...text('ab'), ...text('cd')),
      'COMMITMENT_NON_CANONICAL',
    ],
    // An R2 endpoint written out as a generic https one.
    [
      raw(
        0b0000_1000,
        ...text('0123456789abcdef0123456789abcdef.r2.cloudflarestorage.com'),
        ...text('dev'),
        ...text('k'),
        ...text('s'),
      ),
      'COMMITMENT_NON_CANONICAL',
    ],
    [
      raw(0b0000_1101, ...text('host'), 3, 0x64, 0xff, 0x76, ...text('k'), ...text('s')),
      'COMMITMENT_BAD_UTF8',
    ],
    [raw(0b0000_1101, ...text('host'), ...text('dev'), 2, 0xc0, 0x80, ...text('s')), 'COMMITMENT_BAD_UTF8'], // overlong NUL
    [
      raw(0b0000_1101, ...text('host/x'), ...text('dev'), ...text('k'), ...text('s')),
      'COMMITMENT_BAD_ENDPOINT',
    ],
    [
      raw(0b0000_1110, ...text('rel/path'), ...text('dev'), ...text('k'), ...text('s')),
      'COMMITMENT_BAD_ENDPOINT',
    ],
    [raw(0b0000_1101, ...text('host'), ...text('DEV'), ...text('k'), ...text('s')), 'COMMITMENT_BAD_BUCKET'],
    [
      raw(0b0001_0101, ...text('host'), ...text('dev'), ...text('a b'), ...text('k'), ...text('s')),
      'COMMITMENT_BAD_REGION',
    ],
    [raw(0b0010_1101, ...text('host'), ...text('dev'), 0, ...text('s')), 'COMMITMENT_BAD_CREDENTIAL'], // packed, empty
    [
      raw(0b0000_1101, ...text('host'), ...text('dev'), ...text('k\u0000'), ...text('s')),
      'COMMITMENT_BAD_CREDENTIAL',
    ],
  ];
  for (const [bytes, expected] of cases) {
    assert.throws(() => decodeBucketCommitment(bytes), reason(expected), `${expected} ${hex(bytes)}`);
  }
  assert.throws(() => decodeBucketCommitment('01' as unknown as Uint8Array), reason('COMMITMENT_EMPTY'));
  // The hand-built canonical form of HTTP decodes.
  const built = raw(
    0b0000_1101,
    ...text('127.0.0.1:9000'),
    ...text('dev'),
    ...text('minioadmin'),
    ...text('minio-secret'),
  );
  assert.deepEqual(decodeBucketCommitment(built), HTTP);
});

test('seeded mutants only ever raise CommitmentError, and accepted ones are canonical', () => {
  const prng = createCounterPrng(new TextEncoder().encode('bucket-commitment mutants'));
  const draw = (n: number) => Number(prng.uniform(BigInt(n)));
  const seeds = EXAMPLES.map(encodeBucketCommitment);
  let accepted = 0;
  for (let i = 0; i < 20_000; i++) {
    const bytes = Array.from(seeds[i % seeds.length]!);
    for (let edits = 1 + draw(3); edits > 0; edits--) {
      const at = draw(bytes.length + 1);
      const kind = draw(5);
      if (kind === 0 && at < bytes.length) bytes[at] = draw(256);
      else if (kind === 1 && at < bytes.length) bytes[at] = bytes[at]! ^ (1 << draw(8));
      else if (kind === 2) bytes.splice(at, 0, draw(256));
      else if (kind === 3) bytes.splice(at, 1);
      else bytes.length = at;
    }
    const mutant = Uint8Array.from(bytes);
    let decoded: BucketCommitment;
    try {
      decoded = decodeBucketCommitment(mutant);
    } catch (error) {
      assert.ok(error instanceof CommitmentError, `${String(error)} for ${hex(mutant)}`);
      continue;
    }
    accepted++;
    assert.deepEqual(encodeBucketCommitment(decoded), mutant, hex(mutant));
  }
  // Many mutants (a changed bucket letter, a flipped path-style bit) are valid commitments.
  assert.ok(accepted > 500, `only ${accepted} mutants were accepted`);
});

test('every reason code was reached by the tests above', () => {
  assert.deepEqual([...seen].sort(), [...COMMITMENT_ERROR_REASONS].sort());
});
