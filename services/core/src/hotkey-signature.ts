/**
 * Hotkey signatures (protocol §4): every update and aggregate object ends with a BLAKE2b-256 digest and an
 * sr25519 signature over that digest by the hotkey named in its header, so anyone may relay a payload but
 * nobody can forge one. sr25519 with the `substrate` signing context, as Bittensor wallets sign; SS58
 * addresses as the chain shows hotkeys. Pure: no I/O, the signing nonce comes from the platform's CSPRNG.
 */
import { base58, hex as hexCodec } from '@scure/base';
import { getPublicKey, secretFromSeed, sign, verify } from '@scure/sr25519';

import { blake2b } from './blake2b.js';
import { InvalidArgumentError, expectedMessage } from './errors.js';

/** An sr25519 key pair: the 32-byte public key (the hotkey) and the 64-byte expanded secret key. */
export interface HotkeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/** Bytes of a hotkey (sr25519 public key), a digest and a signature. */
export const HOTKEY_BYTES = 32;
export const DIGEST_BYTES = 32;
export const SIGNATURE_BYTES = 64;

/** Bittensor's SS58 address prefix (the generic Substrate one). */
export const BITTENSOR_SS58_PREFIX = 42;

function requireBytes(value: unknown, length: number, what: string, reason: string): Uint8Array {
  if (!(value instanceof Uint8Array) || value.length !== length) {
    throw new InvalidArgumentError(expectedMessage(`a ${length}-byte Uint8Array`, what, value), { reason });
  }
  return value;
}

/**
 * The key pair of a 32-byte mini-secret seed (what `btcli` and polkadot-js store as the hotkey's seed).
 * Use it to load a hotkey, and in tests to make deterministic ones.
 */
export function hotkeyFromSeed(seed: Uint8Array): HotkeyPair {
  requireBytes(seed, 32, 'seed', 'BAD_SEED');
  const secretKey = secretFromSeed(seed);
  return { publicKey: getPublicKey(secretKey), secretKey };
}

/** Sign a 32-byte object digest (the trailer's BLAKE2b-256) with `pair`; returns the 64-byte signature. */
export function signDigest(digest: Uint8Array, pair: HotkeyPair): Uint8Array {
  requireBytes(digest, DIGEST_BYTES, 'digest', 'BAD_DIGEST');
  requireBytes(pair.secretKey, 64, 'secretKey', 'BAD_SECRET_KEY');
  return sign(pair.secretKey, digest);
}

/**
 * True when `signature` is `publicKey`'s sr25519 signature over `digest`. Untrusted input never throws:
 * a malformed signature or key is simply not a valid signature.
 */
export function verifyDigest(digest: Uint8Array, signature: Uint8Array, publicKey: Uint8Array): boolean {
  if (
    !(digest instanceof Uint8Array) ||
    !(signature instanceof Uint8Array) ||
    !(publicKey instanceof Uint8Array) ||
    digest.length !== DIGEST_BYTES ||
    signature.length !== SIGNATURE_BYTES ||
    publicKey.length !== HOTKEY_BYTES
  ) {
    return false;
  }
  try {
    return verify(digest, signature, publicKey);
  } catch {
    return false; // a signature whose marker bit or points do not decode: invalid, not an error
  }
}

const SS58_PREFIX = new TextEncoder().encode('SS58PRE');

function ss58Checksum(body: Uint8Array): Uint8Array {
  const input = new Uint8Array(SS58_PREFIX.length + body.length);
  input.set(SS58_PREFIX);
  input.set(body, SS58_PREFIX.length);
  return blake2b(input, 64).subarray(0, 2);
}

function badAddress(address: unknown, why: string): never {
  throw new InvalidArgumentError(
    expectedMessage(`an SS58 address of a 32-byte key (${why})`, 'hotkey', address),
    {
      reason: 'BAD_SS58',
    },
  );
}

/** The SS58 address of a 32-byte public key (prefix 0–16383; Bittensor's is 42). */
export function encodeSs58(publicKey: Uint8Array, prefix = BITTENSOR_SS58_PREFIX): string {
  requireBytes(publicKey, HOTKEY_BYTES, 'publicKey', 'BAD_PUBLIC_KEY');
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > 16383 || prefix === 46 || prefix === 47) {
    throw new InvalidArgumentError(expectedMessage('an SS58 prefix in [0, 16383]', 'prefix', prefix), {
      reason: 'BAD_SS58',
    });
  }
  const head =
    prefix < 64
      ? [prefix]
      : [((prefix & 0b1111_1100) >> 2) | 0b0100_0000, (prefix >> 8) | ((prefix & 0b11) << 6)];
  const body = new Uint8Array(head.length + HOTKEY_BYTES);
  body.set(head);
  body.set(publicKey, head.length);
  const out = new Uint8Array(body.length + 2);
  out.set(body);
  out.set(ss58Checksum(body), body.length);
  return base58.encode(out);
}

/**
 * The 32-byte public key an SS58 address names (any prefix). Throws {@link InvalidArgumentError} with
 * reason `BAD_SS58` for a malformed address, another payload length or a wrong checksum.
 */
export function decodeSs58(address: string): Uint8Array {
  if (typeof address !== 'string' || address.length === 0 || address.length > 64)
    badAddress(address, 'length');
  let raw: Uint8Array;
  try {
    raw = base58.decode(address);
  } catch {
    return badAddress(address, 'not base58');
  }
  const headLength = raw.length > 0 && (raw[0] ?? 0) & 0b0100_0000 ? 2 : 1;
  if ((raw[0] ?? 0) & 0b1000_0000) badAddress(address, 'reserved prefix');
  if (raw.length !== headLength + HOTKEY_BYTES + 2) badAddress(address, `${raw.length} bytes`);
  const body = raw.subarray(0, headLength + HOTKEY_BYTES);
  const checksum = ss58Checksum(body);
  if (checksum[0] !== raw[body.length] || checksum[1] !== raw[body.length + 1])
    badAddress(address, 'checksum');
  return raw.slice(headLength, headLength + HOTKEY_BYTES);
}

/** A hotkey seed as services take it from config: 64 hex digits, optionally `0x`-prefixed. */
export const SEED_HEX_PATTERN = /^(0x)?[0-9a-fA-F]{64}$/;

/**
 * The key pair of a seed written as hex (config's `hotkeySeed`), or null for an empty one. Check the
 * shape with {@link SEED_HEX_PATTERN} first (config validation does): this does not repeat it.
 */
export function hotkeyFromSeedHex(seedHex: string): HotkeyPair | null {
  const hex = seedHex.trim().replace(/^0x/, '');
  return hex === '' ? null : hotkeyFromSeed(hexCodec.decode(hex.toLowerCase()));
}
