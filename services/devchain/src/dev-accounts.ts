/**
 * The devnet's well-known accounts. Everything here is public test material (Substrate dev URIs): never
 * use these keys on a real network. Alice is the chain's sudo key once the genesis fixes are applied.
 */
import { Keyring } from '@polkadot/keyring';
import type { KeyringPair } from '@polkadot/keyring/types';
import { cryptoWaitReady } from '@polkadot/util-crypto';

/** Bittensor's SS58 prefix. */
export const SS58_PREFIX = 42;

/** Substrate's named dev accounts, funded in genesis. */
export const NAMED_DEV_URIS = ['//Alice', '//Bob', '//Charlie', '//Dave', '//Eve', '//Ferdie'] as const;

/** How many numbered dev accounts (`//cohort//<i>`) genesis funds, for miners, validators and their hotkeys. */
export const NUMBERED_DEV_ACCOUNTS = 64;

/** The dev URI of numbered account `i` (0-based). */
export function devUri(i: number): string {
  if (!Number.isInteger(i) || i < 0 || i >= NUMBERED_DEV_ACCOUNTS) {
    throw new RangeError(`dev account index ${i} outside [0, ${NUMBERED_DEV_ACCOUNTS})`);
  }
  return `//cohort//${i}`;
}

/** Every dev URI that genesis funds. */
export function fundedDevUris(): string[] {
  return [...NAMED_DEV_URIS, ...Array.from({ length: NUMBERED_DEV_ACCOUNTS }, (_, i) => devUri(i))];
}

/** An sr25519 keypair from a dev URI (waits for the wasm crypto once). */
export async function devPair(uri: string): Promise<KeyringPair> {
  await cryptoWaitReady();
  return new Keyring({ type: 'sr25519', ss58Format: SS58_PREFIX }).addFromUri(uri);
}
