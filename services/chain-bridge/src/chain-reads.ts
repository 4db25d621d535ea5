/**
 * What the bridge reads from subtensor (spec 218 storage layout): the metagraph of a subnet, its
 * hyperparameters and its bucket commitments. Each read is taken at one block hash so its parts agree.
 * Runtimes with typed metagraph runtime APIs can answer the same shape through `metagraph-runtime-api.ts`.
 */
import type { ApiPromise } from '@polkadot/api';
import { hexToU8a } from '@polkadot/util';
import { Code, CohortError, decodeBucketCommitment } from '@cohort/core';
import type { BucketCommitment } from '@cohort/core';
import { storageItem } from './runtime-access.js';

/** One neuron of a subnet. */
export interface NeuronRecord {
  readonly uid: number;
  readonly hotkey: string;
  readonly coldkey: string;
  readonly stakeRao: bigint;
  readonly validatorPermit: boolean;
  readonly active: boolean;
  readonly lastUpdateBlock: number;
}

/** The metagraph at one block. */
export interface Metagraph {
  readonly block: number;
  readonly neurons: readonly NeuronRecord[];
}

/** Subnet hyperparameters the protocol depends on. */
export interface Hyperparameters {
  readonly tempo: number;
  readonly weightsRateLimit: number;
  readonly commitRevealEnabled: boolean;
  /** Reveal period in epochs. */
  readonly revealPeriodEpochs: number;
  readonly weightsVersionKey: bigint;
  readonly maxAllowedUids: number;
}

/** One on-chain commitment, decoded when it is a cohort bucket commitment. */
export interface CommitmentRecord {
  readonly uid: number | undefined;
  readonly hotkey: string;
  readonly block: number;
  readonly raw: Uint8Array;
  readonly bucket: BucketCommitment | undefined;
  /** Stable reason the raw bytes did not decode; empty when they did. */
  readonly decodeError: string;
}

const num = (v: { toString(): string }): number => Number(v.toString());

async function atHead(api: ApiPromise): Promise<{ at: ApiPromise; block: number }> {
  const header = await api.rpc.chain.getHeader();
  const at = (await api.at(header.hash)) as unknown as ApiPromise;
  return { at, block: header.number.toNumber() };
}

/**
 * Throw NOT_FOUND / SUBNET_NOT_FOUND unless `NetworksAdded(netuid)` holds: the one test of whether a subnet
 * exists, shared by every read that names one (a missing subnet otherwise reads as an empty one).
 */
function requireSubnet(added: { toString(): string }, netuid: number): void {
  if (added.toString() !== 'true') {
    throw new CohortError(Code.NotFound, `subnet ${netuid} does not exist`, {
      reason: 'SUBNET_NOT_FOUND',
      details: { netuid },
    });
  }
}

/** Read the metagraph of `netuid` at the current head. A netuid that does not exist is SUBNET_NOT_FOUND. */
export async function readMetagraph(api: ApiPromise, netuid: number): Promise<Metagraph> {
  const { at, block } = await atHead(api);
  const q = (item: string) => storageItem(at, 'subtensorModule', item);
  const [added, keys, permits, active, lastUpdate] = await Promise.all([
    q('networksAdded')(netuid),
    q('keys').entries(netuid),
    q('validatorPermit')(netuid),
    q('active')(netuid),
    q('lastUpdate')(netuid),
  ]);
  requireSubnet(added, netuid);
  const byUid = keys
    .map(([key, value]) => ({ uid: num(key.args[1]!), hotkey: value.toString() }))
    .sort((a, b) => a.uid - b.uid);
  const hotkeys = byUid.map((n) => n.hotkey);
  // One state query per item for all neurons, not one per neuron.
  const [owners, stakes] = await Promise.all([
    q('owner').multi(hotkeys),
    q('totalHotkeyAlpha').multi(hotkeys.map((h) => [h, netuid])),
  ]);
  const permitList = permits.toJSON() as boolean[];
  const activeList = active.toJSON() as boolean[];
  const updates = (lastUpdate.toJSON() as (number | string)[]).map(Number);
  return {
    block,
    neurons: byUid.map((n, i) => ({
      uid: n.uid,
      hotkey: n.hotkey,
      coldkey: owners[i]!.toString(),
      stakeRao: BigInt(stakes[i]!.toString()),
      validatorPermit: permitList[n.uid] ?? false,
      active: activeList[n.uid] ?? false,
      lastUpdateBlock: updates[n.uid] ?? 0,
    })),
  };
}

/** Read the hyperparameters of `netuid`. A netuid that does not exist is NOT_FOUND / SUBNET_NOT_FOUND. */
export async function readHyperparameters(api: ApiPromise, netuid: number): Promise<Hyperparameters> {
  const { at } = await atHead(api);
  const q = (item: string) => storageItem(at, 'subtensorModule', item);
  requireSubnet(await q('networksAdded')(netuid), netuid);
  const [tempo, rate, cr, period, version, maxUids] = await Promise.all([
    q('tempo')(netuid),
    q('weightsSetRateLimit')(netuid),
    q('commitRevealWeightsEnabled')(netuid),
    q('revealPeriodEpochs')(netuid),
    q('weightsVersionKey')(netuid),
    q('maxAllowedUids')(netuid),
  ]);
  return {
    tempo: num(tempo),
    weightsRateLimit: num(rate),
    commitRevealEnabled: cr.toString() === 'true',
    revealPeriodEpochs: num(period),
    weightsVersionKey: BigInt(version.toString()),
    maxAllowedUids: num(maxUids),
  };
}

/** The bytes of a commitment's first field when it is `Data::Raw*`, else undefined. */
export function rawField(info: unknown): Uint8Array | undefined {
  const fields = (info as { fields?: unknown[] } | undefined)?.fields;
  const first = fields?.[0];
  if (first === undefined || first === null || typeof first !== 'object') return undefined;
  const [variant, value] = Object.entries(first as Record<string, unknown>)[0] ?? [];
  if (variant === undefined || !/^raw\d+$/i.test(variant) || typeof value !== 'string') return undefined;
  return hexToU8a(value);
}

/** Decode one commitment's raw bytes (never throws: the error's reason goes into the record). */
export function decodeCommitment(
  raw: Uint8Array | undefined,
): Pick<CommitmentRecord, 'raw' | 'bucket' | 'decodeError'> {
  if (raw === undefined)
    return { raw: new Uint8Array(), bucket: undefined, decodeError: 'COMMITMENT_NOT_RAW' };
  try {
    return { raw, bucket: decodeBucketCommitment(raw), decodeError: '' };
  } catch (err) {
    return { raw, bucket: undefined, decodeError: CohortError.from(err).reason ?? 'COMMITMENT_INVALID' };
  }
}

/** Read every commitment of `netuid`, with uids for registered hotkeys. */
export async function readCommitments(
  api: ApiPromise,
  netuid: number,
): Promise<{ block: number; commitments: CommitmentRecord[] }> {
  const { at, block } = await atHead(api);
  const entries = await storageItem(at, 'commitments', 'commitmentOf').entries(netuid);
  const hotkeys = entries.map(([key]) => key.args[1]!.toString());
  const uids = await storageItem(at, 'subtensorModule', 'uids').multi(hotkeys.map((h) => [netuid, h]));
  const records: CommitmentRecord[] = entries.map(([, value], i) => {
    const hotkey = hotkeys[i]!;
    const json = value.toJSON() as { block?: number; info?: unknown } | null;
    const uid = uids[i]!.toJSON();
    return {
      uid: typeof uid === 'number' ? uid : undefined,
      hotkey,
      block: Number(json?.block ?? 0),
      ...decodeCommitment(rawField(json?.info)),
    };
  });
  records.sort((a, b) => (a.uid ?? 1e9) - (b.uid ?? 1e9) || a.hotkey.localeCompare(b.hotkey));
  return { block, commitments: records };
}

/** The raw commitment `hotkey` has on `netuid` now, if any (to skip re-committing the same bytes). */
export async function readOwnCommitment(
  api: ApiPromise,
  netuid: number,
  hotkey: string,
): Promise<Uint8Array | undefined> {
  const value = await storageItem(api, 'commitments', 'commitmentOf')(netuid, hotkey);
  const json = value.toJSON() as { info?: unknown } | null;
  return json === null ? undefined : rawField(json.info);
}
