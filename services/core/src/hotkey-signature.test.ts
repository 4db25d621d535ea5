import assert from 'node:assert/strict';
import { test } from 'node:test';

import { blake2b256 } from './blake2b.js';
import { InvalidArgumentError } from './errors.js';
import { decodeSs58, encodeSs58, hotkeyFromSeed, signDigest, verifyDigest } from './hotkey-signature.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const seed = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);

// Substrate's well-known development account //Alice.
const ALICE_SS58 = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
const ALICE_KEY = 'd43593c715fdd31c61141abd04a99fd6822c8558854ccde39a5684e7a56da27d';

test('a signature over a digest verifies with the signer key only, and not over another digest', () => {
  const alice = hotkeyFromSeed(seed(1));
  const bob = hotkeyFromSeed(seed(2));
  assert.equal(alice.publicKey.length, 32);
  assert.deepEqual(hotkeyFromSeed(seed(1)).publicKey, alice.publicKey);
  const digest = blake2b256(new TextEncoder().encode('an update object'));
  const signature = signDigest(digest, alice);
  assert.equal(signature.length, 64);
  assert.equal(verifyDigest(digest, signature, alice.publicKey), true);
  assert.equal(verifyDigest(digest, signature, bob.publicKey), false);
  const other = digest.slice();
  other[0] = (other[0] ?? 0) ^ 1;
  assert.equal(verifyDigest(other, signature, alice.publicKey), false);
});

test('verifyDigest answers false, never throws, for malformed signatures and keys', () => {
  const pair = hotkeyFromSeed(seed(3));
  const digest = new Uint8Array(32);
  const signature = signDigest(digest, pair);
  const unmarked = signature.slice();
  unmarked[63] = (unmarked[63] ?? 0) & 0x7f; // schnorrkel's marker bit cleared
  assert.equal(verifyDigest(digest, unmarked, pair.publicKey), false);
  assert.equal(verifyDigest(digest, new Uint8Array(64).fill(0xff), pair.publicKey), false);
  assert.equal(verifyDigest(digest, signature.subarray(0, 63), pair.publicKey), false);
  assert.equal(verifyDigest(digest, signature, new Uint8Array(32).fill(0xff)), false);
  assert.equal(verifyDigest(new Uint8Array(31), signature, pair.publicKey), false);
});

test('SS58 round trip and the //Alice reference address', () => {
  assert.equal(hex(decodeSs58(ALICE_SS58)), ALICE_KEY);
  assert.equal(encodeSs58(Buffer.from(ALICE_KEY, 'hex')), ALICE_SS58);
  const key = hotkeyFromSeed(seed(4)).publicKey;
  for (const prefix of [0, 42, 63, 64, 255, 16383]) {
    assert.deepEqual(decodeSs58(encodeSs58(key, prefix)), key, `prefix ${prefix}`);
  }
});

test('decodeSs58 rejects bad checksums, lengths and alphabets with BAD_SS58', () => {
  const flipped = ALICE_SS58.slice(0, -1) + (ALICE_SS58.endsWith('Y') ? 'Z' : 'Y');
  for (const bad of [flipped, '', '0OIl', ALICE_SS58.slice(0, 20), `${ALICE_SS58}1`]) {
    assert.throws(
      () => decodeSs58(bad),
      (error) => error instanceof InvalidArgumentError && error.reason === 'BAD_SS58',
      bad,
    );
  }
});
