/**
 * checkpoint-store: object storage for updates, aggregates and checkpoints in this operator's bucket
 * (filesystem by default, or S3-compatible), and reads of peers' buckets through a bounded pool
 * (protocol §8, docs/storage.md). An s3 backend without endpoint or bucket is refused as a config error.
 */
import { decodeSs58 } from '@cohort/core';
import { CheckpointStoreService } from '@cohort/proto/cohort/store/v1/checkpoint_store';
import { ConfigError, envName } from '@cohort/kit';
import type { ServiceDefinition } from '@cohort/kit';
import { createOwnBackend, createPeerBackend } from './backend-factory.js';
import { configSpec } from './config.js';
import type { Config } from './config.js';
import { FirstSeenRegistry } from './peers/first-seen.js';
import { PeerPool } from './peers/peer-pool.js';
import { BucketUsage } from './bucket-usage.js';
import { runRetention } from './retention.js';
import { startReadRouting } from './routing/read-routing.js';
import { createStoreImpl } from './server.js';
import { createRetentionMetrics, createStoreMetrics, registerBucketGauges } from './store-metrics.js';

/** Cross-key rules the per-key parsers cannot express. */
export function checkBackend(config: Config): void {
  for (const key of ['aggregatorHotkey', 'trustedValidator'] as const) {
    if (config[key] === '') continue;
    try {
      decodeSs58(config[key]);
    } catch {
      throw new ConfigError(
        `${key} (env ${envName(key)}) must be an SS58 address (bad checksum)`,
        'CONFIG_INVALID_VALUE',
        key,
        undefined,
      );
    }
  }
  if (config.storeReplicas > 1) {
    for (const key of ['maxBucketBytes', 'retentionWindows'] as const) {
      if (config[key] > 0) {
        throw new ConfigError(
          `${key} (env ${envName(key)}) is kept per process and needs one writer; storeReplicas (env ${envName('storeReplicas')}) is ${config.storeReplicas}`,
          'CONFIG_CONFLICT',
          key,
          undefined,
        );
      }
    }
  }
  if (config.backend !== 's3') return;
  for (const key of ['s3Endpoint', 's3Bucket'] as const) {
    if (config[key] === '') {
      throw new ConfigError(
        `backend "s3" needs ${key} (env ${envName(key)})`,
        'CONFIG_MISSING_VALUE',
        key,
        undefined,
      );
    }
  }
}

/** The checkpoint-store service definition, run by main.ts. */
export const checkpointStoreService: ServiceDefinition<typeof configSpec.fields> = {
  name: 'checkpoint-store',
  spec: configSpec,
  validate: checkBackend,
  async start(ctx) {
    const { config, log } = ctx;
    const own = await createOwnBackend(
      config,
      (key, why) => log.warn('store_repaired', { key, why }),
      (key, sizeBytes) => log.warn('object_foreign', { key, sizeBytes }),
    );
    ctx.onShutdown('own-backend', () => own.close());
    const usage = await BucketUsage.measure(own, config.maxBucketBytes);
    registerBucketGauges(ctx.metrics.registry, usage, config.maxBucketBytes);
    const peers = new PeerPool({
      createBackend: (peer) => createPeerBackend(config, peer),
      concurrencyPerPeer: config.peerConcurrency,
      retry: {
        attempts: config.peerAttempts,
        baseDelayMs: config.peerRetryBaseMs,
        maxDelayMs: config.peerRetryMaxMs,
      },
      maxPeers: config.maxPeers,
      idleMs: config.peerIdleMs,
    });
    ctx.onShutdown('peer-pool', () => peers.close());
    const sweeper = setInterval(() => void peers.sweep(), Math.min(60_000, config.peerIdleMs));
    sweeper.unref();
    ctx.onShutdown('peer-sweeper', () => {
      clearInterval(sweeper);
      return Promise.resolve();
    });
    const routing = await startReadRouting(config, log, ctx.metrics.registry);
    ctx.onShutdown('read-routing', () => routing.stop());
    ctx.addGrpcService(
      CheckpointStoreService,
      createStoreImpl({
        own,
        usage,
        peers,
        router: routing.router,
        firstSeen: new FirstSeenRegistry(config.firstSeenEntries),
        maxObjectBytes: config.maxObjectBytes,
        chunkBytes: config.responseChunkBytes,
        maxPageSize: config.maxListPage,
        minPollIntervalMs: config.watchMinPollMs,
        maxWatchMs: config.watchMaxMs,
        now: Date.now,
        log,
        metrics: createStoreMetrics(ctx.metrics.registry),
      }),
    );
    // Registered whether or not retention runs: alerts and dashboards reference it (0 without retention).
    const retentionFailures = createRetentionMetrics(ctx.metrics.registry);
    if (config.retentionWindows > 0) {
      const settings = { keepWindows: config.retentionWindows, keepCheckpoints: config.retentionCheckpoints };
      let pass: Promise<unknown> | undefined;
      const gc = setInterval(() => {
        if (pass !== undefined) return; // the previous pass is still running
        pass = runRetention(own, settings, log, (bytes) => usage.deleted(bytes))
          .catch((error: unknown) => {
            retentionFailures.inc();
            log.warn('retention_failed', { error: error instanceof Error ? error.message : String(error) });
          })
          .finally(() => {
            pass = undefined;
          });
      }, config.retentionIntervalMs);
      gc.unref();
      ctx.onShutdown('retention', async () => {
        clearInterval(gc);
        await pass;
      });
    }
    log.info('store_backend', {
      backend: config.backend,
      fsRoot: config.fsRoot,
      s3Endpoint: config.s3Endpoint,
      s3Bucket: config.s3Bucket,
      maxBucketBytes: config.maxBucketBytes,
      usedBytes: usage.used,
    });
  },
};
