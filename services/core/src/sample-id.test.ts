import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blake2b256 } from './blake2b.js';
import { sampleId, sampleIdBytes } from './sample-id.js';

const tokenBytes = (...tokens: number[]): Uint8Array => new Uint8Array(Uint32Array.from(tokens).buffer);

test('a sample id is the first 8 bytes of BLAKE2b-256 over the token bytes, little-endian', () => {
  const bytes = tokenBytes(464, 11519, 50256, 0);
  assert.deepEqual(sampleIdBytes(bytes), blake2b256(bytes).subarray(0, 8));
  // Expected values from Python: hashlib.blake2b(struct.pack('<4I', ...), digest_size=32).digest()[:8].
  assert.equal(Buffer.from(sampleIdBytes(bytes)).toString('hex'), 'a000e9b031ab91c9');
  assert.equal(sampleId(bytes), 14524578503156367520n);
  assert.equal(sampleId(tokenBytes(0, 1, 2, 3)), 16747732162448933762n);
});
