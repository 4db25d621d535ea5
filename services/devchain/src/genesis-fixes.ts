/**
 * Genesis edits that make raonet.json's runtime usable offline and deterministic (each one observed on this
 * runtime; ../shared/chain/README.md lists them):
 * - `Timestamp.Now` pinned, or about one start in 30 fails its first block ("Timestamp slot must match
 *   CurrentSlot") and every transaction is rejected afterwards;
 * - `Sudo.Key` set to Alice, so the harness can set subnet hyperparameters through AdminUtils;
 * - dev accounts funded through `System.Account`;
 * - `SubtensorModule.NetworkRateLimit` zero (as SCALE zeros: a falsy value would delete the key), or
 *   `registerNetwork` fails with `NetworkTxRateLimitExceeded`.
 */
import { u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, cryptoWaitReady, decodeAddress } from '@polkadot/util-crypto';
import { plainStorageKey } from '@cohort/chain-bridge';
import type { RawChainSpec } from './chain-spec.js';
import { devPair, fundedDevUris } from './dev-accounts.js';

/** `Timestamp.Now`'s storage key. */
export const TIMESTAMP_NOW_KEY = u8aToHex(plainStorageKey('Timestamp', 'Now'));

/** The default pinned genesis time (2023-11-14T22:13:21Z), in ms. */
export const DEFAULT_GENESIS_TIME_MS = 1_700_000_001_000;

/** Free balance of every dev account, in rao (1,000,000 TAO). */
export const DEV_BALANCE_RAO = 1_000_000n * 1_000_000_000n;

/** Options of {@link applyGenesisFixes}. */
export interface GenesisFixOptions {
  /** Pinned `Timestamp.Now`, ms since the epoch. */
  readonly genesisTimeMs?: number;
  /** Dev URIs to fund (default: every named and numbered dev account). */
  readonly fundUris?: readonly string[];
}

/** Little-endian bytes of an unsigned integer. */
function le(value: bigint, bytes: number): Uint8Array {
  const out = new Uint8Array(bytes);
  let v = value;
  for (let i = 0; i < bytes; i++) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

/** SCALE of `AccountInfo { nonce: 0, consumers: 0, providers: 1, sufficients: 0, data: { free, 0, 0, flags: 0 } }`. */
function accountInfo(free: bigint): Uint8Array {
  return u8aConcat(
    le(0n, 4),
    le(0n, 4),
    le(1n, 4),
    le(0n, 4),
    le(free, 16),
    le(0n, 16),
    le(0n, 16),
    le(0n, 16),
  );
}

/** Return a copy of `spec` with the fixes applied (the input is not modified). */
export async function applyGenesisFixes(
  spec: RawChainSpec,
  options: GenesisFixOptions = {},
): Promise<RawChainSpec> {
  await cryptoWaitReady();
  const top = { ...spec.genesis.raw.top };
  top[TIMESTAMP_NOW_KEY] = u8aToHex(le(BigInt(options.genesisTimeMs ?? DEFAULT_GENESIS_TIME_MS), 8));
  const alice = await devPair('//Alice');
  top[u8aToHex(plainStorageKey('Sudo', 'Key'))] = u8aToHex(alice.publicKey);
  top[u8aToHex(plainStorageKey('SubtensorModule', 'NetworkRateLimit'))] = '0x0000000000000000';
  const accountPrefix = plainStorageKey('System', 'Account');
  for (const uri of options.fundUris ?? fundedDevUris()) {
    const id = decodeAddress((await devPair(uri)).address);
    top[u8aToHex(u8aConcat(accountPrefix, blake2AsU8a(id, 128), id))] = u8aToHex(
      accountInfo(DEV_BALANCE_RAO),
    );
  }
  return { ...spec, genesis: { ...spec.genesis, raw: { ...spec.genesis.raw, top } } };
}
