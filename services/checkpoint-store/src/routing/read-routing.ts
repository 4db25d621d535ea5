/**
 * The store's read routing as configured (ADR 0024): with a `chainBridgeAddress`, a
 * {@link CommitmentDirectory} fed by the bridge's ListCommitments and a {@link ReadRouter} over it; without
 * one, a router that reads everything from this operator's bucket (a devnet, a run sharing one bucket).
 * Also the metrics of the directory: committed hotkeys and the age of the last good read.
 */
import { basename, dirname, resolve } from 'node:path';

import { createServiceClient, createTransport } from '@cohort/kit';
import type { Logger } from '@cohort/kit';
import { ChainBridgeService } from '@cohort/proto/cohort/chain/v1/chain_bridge';
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';

import type { Config } from '../config.js';
import { CommitmentDirectory } from './commitment-directory.js';
import { ReadRouter } from './read-router.js';
import type { BucketIdentity } from './read-router.js';

/** This operator's bucket as a commitment would name it (the filesystem root is `<dir>/<bucket>`). */
export function ownBucketIdentity(config: Config): BucketIdentity {
  if (config.backend === 's3') return { endpoint: config.s3Endpoint, bucket: config.s3Bucket };
  const root = resolve(config.fsRoot);
  return { endpoint: `file://${dirname(root)}`, bucket: basename(root) };
}

/** The router and what must be stopped at shutdown. */
export interface ReadRouting {
  readonly router: ReadRouter;
  readonly stop: () => Promise<void>;
}

/** The directory's metrics; `watch` names the directory the age gauge reads. */
function registerDirectoryMetrics(registry: Registry) {
  let entries = 0;
  let watched: CommitmentDirectory | undefined;
  new Gauge({
    name: 'cohort_store_commitments',
    help: 'Registered hotkeys with a bucket commitment, as of the last good read from the chain-bridge',
    registers: [registry],
    collect() {
      this.set(entries);
    },
  });
  new Gauge({
    name: 'cohort_store_commitments_age_seconds',
    help: 'Seconds since the bucket commitments were last read (+Inf before the first read)',
    registers: [registry],
    collect() {
      this.set((watched?.ageMs ?? Number.POSITIVE_INFINITY) / 1000);
    },
  });
  const failures = new Counter({
    name: 'cohort_store_commitment_read_failures_total',
    help: 'Failed reads of the bucket commitments (the last good directory stays in use)',
    registers: [registry],
  });
  return {
    onRefresh(ok: boolean, n: number): void {
      entries = n;
      if (!ok) failures.inc();
    },
    watch(directory: CommitmentDirectory): void {
      watched = directory;
    },
  };
}

/** Build the configured routing; resolves once the first commitment read was attempted. */
export async function startReadRouting(
  config: Config,
  log: Logger,
  registry: Registry,
): Promise<ReadRouting> {
  const roles = { aggregator: config.aggregatorHotkey, validator: config.trustedValidator };
  if (config.chainBridgeAddress === '') {
    log.info('read_routing', { enabled: false, why: 'no chainBridgeAddress: every read is of this bucket' });
    return { router: new ReadRouter(roles, undefined, undefined), stop: () => Promise.resolve() };
  }
  const transport = createTransport(config.chainBridgeAddress);
  const bridge = createServiceClient(ChainBridgeService, transport);
  const metrics = registerDirectoryMetrics(registry);
  const directory = new CommitmentDirectory({
    fetch: async (signal) =>
      (await bridge.listCommitments({ netuid: config.netuid }, { signal, timeoutMs: 30_000 })).commitments,
    refreshMs: config.commitmentsRefreshMs,
    policy: config.peerEndpoints,
    log,
    onRefresh: (ok, n) => metrics.onRefresh(ok, n),
  });
  metrics.watch(directory);
  await directory.start();
  log.info('read_routing', {
    enabled: true,
    netuid: config.netuid,
    aggregatorHotkey: config.aggregatorHotkey,
    trustedValidator: config.trustedValidator,
    peerEndpoints: config.peerEndpoints,
    commitmentsLoaded: directory.loaded,
  });
  return {
    router: new ReadRouter(roles, directory, ownBucketIdentity(config)),
    stop: async () => {
      await directory.stop();
      transport.close();
    },
  };
}
