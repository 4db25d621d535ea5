/**
 * The miner role of a coordinator: connect the gpu-worker, the run's store and (optionally) the
 * chain-bridge, commit the operator's bucket, and run the {@link MinerLoop} on the chain events while
 * this replica leads (a follower keeps its hands off the worker). Stopping the loop on losing the lead
 * or on shutdown cancels a training in flight at once, but lets an upload under way finish within
 * `shutdownGraceMs` and its upload slot (loop-retirement.ts): its update has already left the worker's
 * error feedback. The store is closed only once that upload settled.
 */
import { randomBytes } from 'node:crypto';
import { decodeSs58 } from '@cohort/core';
import {
  StoreClient,
  aggregateTrustOf,
  bucketCommitmentOf,
  commitBucket,
  createServiceClient,
  createTransport,
} from '@cohort/kit';
import type { NatsHandle, ServiceContext } from '@cohort/kit';
import { ChainBridgeService } from '@cohort/proto/cohort/chain/v1/chain_bridge';

import type { Config } from '../config.js';
import type { LeaderElector } from '../leader/elector.js';
import { AuditedAggregates } from './audited-aggregate.js';
import { startChainFeed } from './chain-feed.js';
import { createLoopRetirement } from './loop-retirement.js';
import { createMinerMetrics } from './miner-metrics.js';
import { MinerLoop } from './miner-loop.js';
import { WorkerLink } from './worker-link.js';

/** What GetStatus reads of the miner role. */
export interface MinerRole {
  loop(): MinerLoop | undefined;
  chainWindow(): number;
  stale(): boolean;
}

/** Start the miner role; everything it opens is closed by the context's shutdown hooks. */
export function startMinerRole(
  ctx: ServiceContext<Config>,
  nats: NatsHandle,
  elector: LeaderElector,
): MinerRole {
  const c = ctx.config;
  decodeSs58(c.hotkeyAddress); // a malformed address fails the start, not the first window
  const trust = aggregateTrustOf(c);
  if (trust.aggregator === undefined) {
    ctx.log.warn('aggregator_untrusted_any', {
      detail: 'aggregatorHotkey is empty: aggregates signed by any key are applied',
    });
  }
  const worker = new WorkerLink(c.workerAddress, {
    infoTimeoutMs: c.rpcTimeoutMs,
    callTimeoutMs: c.workerCallTimeoutMs,
    loadTimeoutMs: c.checkpointLoadTimeoutMs,
  });
  const store = new StoreClient(c.storeAddress);
  const bridgeTransport = c.chainBridgeAddress === '' ? undefined : createTransport(c.chainBridgeAddress);
  const bridge = bridgeTransport && createServiceClient(ChainBridgeService, bridgeTransport);
  const metrics = createMinerMetrics(ctx.metrics.registry);
  const aggregates = new AuditedAggregates({
    runId: c.runId,
    hotkey: c.hotkeyAddress,
    trust,
    rate: c.auditRate,
    salt: randomBytes(32), // this process's audit schedule: unknown to the aggregator
    timeoutMs: c.auditTimeoutMs,
    store,
    worker,
    log: ctx.log,
    metrics,
  });
  let loop: MinerLoop | undefined;
  let chainWindow = -1;
  /** When `chainWindow` was first seen (local clock): its predecessor's upload slot is timed from it. */
  let chainWindowSince = Date.now();
  let stale = false;
  const retirement = createLoopRetirement({ graceMs: c.shutdownGraceMs, shutdownSignal: ctx.shutdownSignal });
  const newLoop = (): MinerLoop =>
    new MinerLoop({
      runId: c.runId,
      hotkey: c.hotkeyAddress,
      innerSteps: c.innerSteps,
      batchSize: c.batchSize,
      alpha: c.outerLearningRate,
      aggregator: trust.aggregator,
      aggregatePollMs: c.aggregatePollMs,
      resyncRetryMs: c.resyncRetryMs,
      maxLagWindows: c.maxLagWindows,
      uploadSlotMs: c.uploadSlotMs,
      aggregates,
      worker,
      store,
      log: ctx.log,
      metrics,
    });
  const lead = (isLeader: boolean): void => {
    if (isLeader && loop === undefined) {
      loop = newLoop();
      ctx.log.info('miner_loop_started', { hotkey: c.hotkeyAddress, chainWindow });
      if (stale) loop.stale(true);
      if (chainWindow >= 0) loop.window(chainWindow, chainWindowSince);
    } else if (!isLeader && loop !== undefined) {
      retirement.retire(loop);
      loop = undefined;
      ctx.log.info('miner_loop_stopped', {});
    }
  };
  const feed = startChainFeed({
    nats,
    runId: c.runId,
    staleAfterMs: c.staleAfterMs,
    log: ctx.log,
    listener: {
      window(w) {
        chainWindow = w;
        chainWindowSince = Date.now();
        loop?.window(w, chainWindowSince);
      },
      stale(s) {
        stale = s;
        loop?.stale(s);
      },
    },
    ...(bridge && {
      initialHead: async () => {
        const { head } = await bridge.getHead({});
        return head && { window: Number(head.window), stale: head.stale };
      },
    }),
  });
  const unsubscribe = elector.onChange(lead);
  lead(elector.isLeader);
  const bucket = bucketCommitmentOf(c);
  if (bucket !== undefined && bridge !== undefined) {
    void commitBucket(bridge, c.netuid, bucket, ctx.log, ctx.shutdownSignal).catch((error: unknown) =>
      ctx.log.error('bucket_commit_invalid', { error: String(error) }),
    );
  } else if (bucket !== undefined) {
    ctx.log.warn('bucket_commit_skipped', { detail: 'commitEndpoint is set but no chainBridgeAddress' });
  }
  ctx.onShutdown('miner', async () => {
    unsubscribe();
    feed.stop();
    if (loop !== undefined) retirement.retire(loop);
    loop = undefined;
    await retirement.settle(); // an upload under way finishes, or is abandoned at the grace deadline
    worker.close();
    store.close();
    bridgeTransport?.close();
  });
  return { loop: () => loop, chainWindow: () => chainWindow, stale: () => stale };
}
