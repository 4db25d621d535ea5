/**
 * Weights on chain (protocol §7): `set_weights` directly, or commit-reveal v2 when the subnet has it on —
 * commit the hash now, reveal the same weights and salt inside the reveal window the chain records for the
 * commit. Pending reveals live in the {@link RevealStore} before anything is submitted, so a restart still
 * reveals. The weights rate limit is checked before submitting; the chain stays the judge, and whatever it
 * says comes back as the outcome.
 */
import { randomBytes } from 'node:crypto';
import type { ApiPromise } from '@polkadot/api';
import { u8aToHex } from '@polkadot/util';
import { decodeAddress } from '@polkadot/util-crypto';
import { checkWeights, CohortError, Code, newSalt, weightsCommitHash } from '@cohort/core';
import type { Logger } from '@cohort/kit';
import type { BridgeMetrics } from './bridge-metrics.js';
import { readHyperparameters } from './chain-reads.js';
import type { ChainConnection } from './chain-connection.js';
import type { ExtrinsicSubmitter, Outcome } from './extrinsics.js';
import type { PendingCommit, RevealStore } from './reveal-store.js';
import { checkBlockRateLimit } from './rate-limit.js';
import { storageItem, txCall } from './runtime-access.js';

/** How the weights went on chain. */
export type WeightsMode = 'direct' | 'commit';

/** Reveal errors after which the commit can never be revealed: forget it. */
const FINAL_REVEAL_ERRORS = new Set([
  'SubtensorModule.ExpiredWeightCommit',
  'SubtensorModule.NoWeightsCommitFound',
  'SubtensorModule.InvalidRevealCommitHashNotMatch',
  'SubtensorModule.CommitRevealDisabled',
]);

/** Options of {@link WeightsWriter}. */
export interface WeightsWriterOptions {
  readonly connection: ChainConnection;
  readonly submitter: ExtrinsicSubmitter;
  readonly store: RevealStore;
  readonly metrics: BridgeMetrics;
  readonly log: Logger;
  /** Randomness for salts (injected for tests). */
  readonly random?: (n: number) => Uint8Array;
}

/** One entry of `WeightCommits(netuid, hotkey)`: (hash, commit block, first and last reveal block). */
interface ChainCommit {
  readonly hash: string;
  readonly commitBlock: number;
  readonly firstRevealBlock: number;
  readonly lastRevealBlock: number;
}

async function chainCommits(api: ApiPromise, netuid: number, hotkey: string): Promise<ChainCommit[]> {
  const value = await storageItem(api, 'subtensorModule', 'weightCommits')(netuid, hotkey);
  const list = (value.toJSON() as [string, number, number, number][] | null) ?? [];
  return list.map(([hash, commitBlock, firstRevealBlock, lastRevealBlock]) => ({
    hash,
    commitBlock: Number(commitBlock),
    firstRevealBlock: Number(firstRevealBlock),
    lastRevealBlock: Number(lastRevealBlock),
  }));
}

/** Sets weights for one hotkey; see the module comment. */
export class WeightsWriter {
  private pending = new Map<string, PendingCommit>();
  /** Commits some task is working on (committing, settling or revealing): one task per commit at a time. */
  private readonly busy = new Set<string>();

  constructor(private readonly options: WeightsWriterOptions) {}

  private get hotkey(): string {
    return this.options.submitter.address;
  }

  /** Load pending commits from disk and settle the ones whose commit outcome was never learned. */
  async init(): Promise<void> {
    const { store, log } = this.options;
    for (const c of await store.list((file, error) =>
      log.warn('reveal_record_unreadable', { file, error }),
    )) {
      this.pending.set(c.commitHash, c);
    }
    this.options.metrics.pendingReveals.set(this.pending.size);
    if (this.pending.size > 0) log.info('reveals_restored', { count: this.pending.size });
  }

  /** Set weights on `netuid` in the mode the subnet asks for. */
  async setWeights(
    netuid: number,
    uids: readonly number[],
    weights: readonly number[],
  ): Promise<{ mode: WeightsMode; outcome: Outcome }> {
    const api = this.options.connection.api();
    const hyper = await readHyperparameters(api, netuid);
    const n = Number((await storageItem(api, 'subtensorModule', 'subnetworkN')(netuid)).toString());
    checkWeights({ uids, weights, maxUids: Math.max(1, n) });
    const uid = (await storageItem(api, 'subtensorModule', 'uids')(netuid, this.hotkey)).toJSON();
    if (typeof uid !== 'number') {
      throw new CohortError(
        Code.FailedPrecondition,
        `hotkey ${this.hotkey} is not registered on subnet ${netuid}`,
        {
          reason: 'HOTKEY_NOT_REGISTERED',
          details: { netuid, hotkey: this.hotkey },
        },
      );
    }
    if (!hyper.commitRevealEnabled) {
      await this.checkRateLimit(api, netuid, uid, hyper.weightsRateLimit);
      const outcome = await this.options.submitter.submit('set_weights', (a) =>
        txCall(a, 'subtensorModule', 'setWeights')(netuid, [...uids], [...weights], hyper.weightsVersionKey),
      );
      return { mode: 'direct', outcome };
    }
    return { mode: 'commit', outcome: await this.commit(netuid, uids, weights, hyper.weightsVersionKey) };
  }

  private async checkRateLimit(api: ApiPromise, netuid: number, uid: number, limit: number): Promise<void> {
    const updates = (await storageItem(api, 'subtensorModule', 'lastUpdate')(netuid)).toJSON() as number[];
    await checkBlockRateLimit(
      api,
      Number(updates[uid] ?? 0),
      limit,
      'WEIGHTS_RATE_LIMITED',
      'weights were set',
    );
  }

  private async commit(
    netuid: number,
    uids: readonly number[],
    weights: readonly number[],
    versionKey: bigint,
  ): Promise<Outcome> {
    const salt = newSalt(this.options.random ?? ((k) => new Uint8Array(randomBytes(k))));
    const hash = weightsCommitHash({
      account: decodeAddress(this.hotkey),
      netuid,
      uids,
      values: weights,
      salt,
      versionKey,
    });
    const record: PendingCommit = {
      netuid,
      hotkey: this.hotkey,
      uids: [...uids],
      weights: [...weights],
      salt,
      versionKey: versionKey.toString(),
      commitHash: u8aToHex(hash),
      createdUnixMs: Date.now(),
      state: 'committing',
    };
    await this.options.store.put(record);
    this.busy.add(record.commitHash);
    this.remember(record);
    try {
      return await this.submitCommit(record, netuid, hash);
    } finally {
      this.busy.delete(record.commitHash);
    }
  }

  private async submitCommit(record: PendingCommit, netuid: number, hash: Uint8Array): Promise<Outcome> {
    const outcome = await this.options.submitter.submit('commit_weights', (a) =>
      txCall(a, 'subtensorModule', 'commitWeights')(netuid, hash),
    );
    if (outcome.status === 'included') {
      await this.settle(record);
    } else if (outcome.status === 'dispatch_error') {
      await this.forget(record, `commit failed: ${outcome.errorName ?? ''}`);
    }
    // Dropped: it may still land; the next block's reconciliation finds out.
    return outcome;
  }

  /** Match a `committing` record with the chain's commit list; record its reveal window. */
  private async settle(record: PendingCommit): Promise<PendingCommit | undefined> {
    const api = this.options.connection.api();
    const onChain = (await chainCommits(api, record.netuid, record.hotkey)).find(
      (c) => c.hash === record.commitHash,
    );
    if (onChain === undefined) return undefined;
    const settled: PendingCommit = {
      ...record,
      state: 'committed',
      ...onChain,
      commitBlock: onChain.commitBlock,
    };
    delete (settled as { hash?: string }).hash;
    await this.options.store.put(settled);
    this.remember(settled);
    this.options.log.info('weights_committed', {
      netuid: record.netuid,
      commitBlock: onChain.commitBlock,
      firstRevealBlock: onChain.firstRevealBlock,
      lastRevealBlock: onChain.lastRevealBlock,
    });
    return settled;
  }

  private remember(record: PendingCommit): void {
    this.pending.set(record.commitHash, record);
    this.options.metrics.pendingReveals.set(this.pending.size);
  }

  private async forget(record: PendingCommit, why: string): Promise<void> {
    this.pending.delete(record.commitHash);
    this.options.metrics.pendingReveals.set(this.pending.size);
    await this.options.store.delete(record);
    this.options.log.info('weights_commit_closed', {
      netuid: record.netuid,
      commitHash: record.commitHash,
      why,
    });
  }

  /** Submit the reveal of `record` now, whatever the window says (the scheduler calls it when due). */
  async reveal(record: PendingCommit): Promise<Outcome> {
    const outcome = await this.options.submitter.submit('reveal_weights', (a) =>
      txCall(a, 'subtensorModule', 'revealWeights')(
        record.netuid,
        [...record.uids],
        [...record.weights],
        [...record.salt],
        BigInt(record.versionKey),
      ),
    );
    if (outcome.status === 'included') await this.forget(record, 'revealed');
    else if (outcome.status === 'dispatch_error' && FINAL_REVEAL_ERRORS.has(outcome.errorName ?? '')) {
      await this.forget(record, outcome.errorName ?? 'reveal failed');
    }
    return outcome;
  }

  /** On each new block: settle unknown commits, reveal the due ones, drop the expired ones. */
  async onBlock(block: number): Promise<void> {
    for (const record of [...this.pending.values()]) {
      if (this.busy.has(record.commitHash)) continue;
      this.busy.add(record.commitHash);
      try {
        let current: PendingCommit | undefined = record;
        if (record.state === 'committing') {
          current = await this.settle(record);
          // Not on chain an hour after it was written: the commit never landed.
          if (current === undefined && Date.now() - record.createdUnixMs > 3_600_000) {
            await this.forget(record, 'commit never landed');
          }
        }
        if (current?.firstRevealBlock === undefined || current.lastRevealBlock === undefined) continue;
        if (block > current.lastRevealBlock) {
          await this.forget(current, 'reveal window passed');
        } else if (block >= current.firstRevealBlock) {
          await this.reveal(current);
        }
      } catch (err) {
        this.options.log.warn('reveal_attempt_failed', { commitHash: record.commitHash, error: String(err) });
      } finally {
        this.busy.delete(record.commitHash);
      }
    }
  }
}
