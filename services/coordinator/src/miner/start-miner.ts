/**
 * The miner role of a coordinator: connect the gpu-worker, the run's store and (optionally) the
 * chain-bridge, commit the operator's bucket, and run the {@link MinerLoop} on the chain events while
 * this replica leads (a follower keeps its hands off the worker). Stopping the loop on losing the lead
 * cancels a training in flight.
 */
import { randomBytes } from 'node:crypto';
import { decodeSs58 } from '@cohort/core';
import type { BucketCommitment } from '@cohort/core';
import { StoreClient, aggregateTrustOf, createServiceClient, createTransport } from '@cohort/kit';
import type { NatsHandle, ServiceContext } from '@cohort/kit';
import { ChainBridgeService } from '@cohort/proto/cohort/chain/v1/chain_bridge';

import type { Config } from '../config.js';
import type { LeaderElector } from '../leader/elector.js';
import { AuditedAggregates } from './audited-aggregate.js';
import { commitBucket } from './bucket-commit.js';
import { startChainFeed } from './chain-feed.js';
import { createMinerMetrics } from './miner-metrics.js';
import { MinerLoop } from './miner-loop.js';
import { WorkerLink } from './worker-link.js';

/** What GetStatus reads of the miner role. */
export interface MinerRole {
  loop(): MinerLoop | undefined;
  chainWindow(): number;
  stale(): boolean;
}

function bucketOf(c: Config): BucketCommitment | undefined {
  if (c.commitEndpoint === '') return undefined;
  return {
    endpoint: c.commitEndpoint,
    bucket: c.commitBucket,
    region: c.commitRegion,
    accessKeyId: c.commitAccessKeyId,
    secretAccessKey: c.commitSecretAccessKey,
    pathStyle: c.commitPathStyle,
  };
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
  const worker = new WorkerLink(c.workerAddress);
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
  let stale = false;
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
      if (chainWindow >= 0) loop.window(chainWindow);
    } else if (!isLeader && loop !== undefined) {
      loop.stop();
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
        loop?.window(w);
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
  const bucket = bucketOf(c);
  if (bucket !== undefined && bridge !== undefined) {
    void commitBucket(bridge, c.netuid, bucket, ctx.log, ctx.shutdownSignal).catch((error: unknown) =>
      ctx.log.error('bucket_commit_invalid', { error: String(error) }),
    );
  } else if (bucket !== undefined) {
    ctx.log.warn('bucket_commit_skipped', { detail: 'commitEndpoint is set but no chainBridgeAddress' });
  }
  ctx.onShutdown('miner', () => {
    unsubscribe();
    feed.stop();
    loop?.stop();
    worker.close();
    store.close();
    bridgeTransport?.close();
    return Promise.resolve();
  });
  return { loop: () => loop, chainWindow: () => chainWindow, stale: () => stale };
}
