/**
 * What the weights writer reads from the chain before and after it writes: the subnet's hyperparameters,
 * size and the hotkey's uid, the uid's last weights block, and the hotkey's pending commits. Every read
 * goes through {@link timedRead}, so a SetWeights call on a chain that stopped answering fails with
 * DEADLINE_EXCEEDED / CHAIN_TIMEOUT (and is counted in `cohort_chain_read_seconds`) instead of hanging.
 * The writer depends on the {@link WeightsReads} interface, not on these reads, so its decisions are
 * tested without a chain.
 */
import { readHyperparameters } from './chain-reads.js';
import type { Hyperparameters } from './chain-reads.js';
import { nextBlockNumber } from './rate-limit.js';
import { storageItem } from './runtime-access.js';
import { timedRead } from './timed-read.js';
import type { ReadDeps } from './timed-read.js';

/** What a weights write checks first. */
export interface WeightsPreflight {
  readonly hyper: Hyperparameters;
  /** `SubnetworkN`: how many uids the subnet has. */
  readonly subnetSize: number;
  /** The hotkey's uid on the subnet; undefined when it is not registered. */
  readonly uid: number | undefined;
}

/** One entry of `WeightCommits(netuid, hotkey)`: hash, commit block, first and last reveal block. */
export interface ChainCommit {
  readonly hash: string;
  readonly commitBlock: number;
  readonly firstRevealBlock: number;
  readonly lastRevealBlock: number;
}

/** The chain reads of the weights writer (see the module comment). */
export interface WeightsReads {
  /** Hyperparameters (SUBNET_NOT_FOUND for a missing subnet), subnet size and the hotkey's uid. */
  preflight(netuid: number, hotkey: string): Promise<WeightsPreflight>;
  /**
   * `LastUpdate(netuid)[uid]` (set by `set_weights` and by `commit_weights` alike; 0: never) and the block
   * an extrinsic submitted now would land in.
   */
  lastUpdate(netuid: number, uid: number): Promise<{ last: number; next: number }>;
  /** `WeightCommits(netuid, hotkey)`, oldest first. */
  commits(netuid: number, hotkey: string): Promise<ChainCommit[]>;
}

/** The weights writer's reads over the live connection, each under the read timeout. */
export function createWeightsReads(deps: ReadDeps): WeightsReads {
  return {
    preflight: (netuid, hotkey) =>
      timedRead(deps, 'weights_preflight', async (api) => {
        const q = (item: string) => storageItem(api, 'subtensorModule', item);
        const hyper = await readHyperparameters(api, netuid);
        const [n, uid] = await Promise.all([q('subnetworkN')(netuid), q('uids')(netuid, hotkey)]);
        const uidJson = uid.toJSON();
        return {
          hyper,
          subnetSize: Number(n.toString()),
          uid: typeof uidJson === 'number' ? uidJson : undefined,
        };
      }),
    lastUpdate: (netuid, uid) =>
      timedRead(deps, 'weights_last_update', async (api) => {
        const [updates, next] = await Promise.all([
          storageItem(api, 'subtensorModule', 'lastUpdate')(netuid),
          nextBlockNumber(api),
        ]);
        return { last: Number((updates.toJSON() as (number | string)[])[uid] ?? 0), next };
      }),
    commits: (netuid, hotkey) =>
      timedRead(deps, 'weight_commits', async (api) => {
        const value = await storageItem(api, 'subtensorModule', 'weightCommits')(netuid, hotkey);
        const list = (value.toJSON() as [string, number, number, number][] | null) ?? [];
        return list.map(([hash, commitBlock, firstRevealBlock, lastRevealBlock]) => ({
          hash,
          commitBlock: Number(commitBlock),
          firstRevealBlock: Number(firstRevealBlock),
          lastRevealBlock: Number(lastRevealBlock),
        }));
      }),
  };
}
