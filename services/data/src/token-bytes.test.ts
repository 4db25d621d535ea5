import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bytesAsTokens, tokensAsBytes } from './token-bytes.js';

test('tokens are uint32 little-endian on disk, aligned or not', () => {
  const tokens = Uint32Array.of(1, 50256, 0xdeadbeef);
  const bytes = tokensAsBytes(tokens);
  assert.equal(Buffer.from(bytes).toString('hex'), '0100000050c40000efbeadde');
  assert.deepEqual(bytesAsTokens(bytes), tokens);
  // A range read may hand back a view at an odd offset (a pooled Buffer): tokens are copied out.
  const unaligned = new Uint8Array(bytes.length + 1).subarray(1);
  unaligned.set(bytes);
  assert.deepEqual(bytesAsTokens(unaligned), tokens);
});
