/**
 * chain-bridge: the only connection to subtensor. Follows the head (the window clock, published on NATS
 * as `block` and `window` events, with staleness), serves the metagraph, hyperparameters and commitments,
 * re-reads the metagraph every few blocks (a `metagraph` event when it changed; `metagraph-poller.ts`),
 * and signs the operator's writes — bucket commitment and weights (direct or commit-reveal, reveals
 * surviving restarts).
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { encodeBucketCommitment, runSubjects } from '@cohort/core';
import { ConfigError, bucketCommitmentOf, commitBucket, envName, inProcessCall, useNats } from '@cohort/kit';
import type { CommitmentSetter, ServiceDefinition } from '@cohort/kit';
import {
  ChainBridgeService,
  SetCommitmentRequestSchema,
  SetCommitmentResponseSchema,
} from '@cohort/proto/cohort/chain/v1/chain_bridge';
import { MetagraphEventSchema } from '@cohort/proto/cohort/events/v1/events';
import { createBridgeMetrics } from './bridge-metrics.js';
import { ChainConnection } from './chain-connection.js';
import { readMetagraph } from './chain-reads.js';
import { configSpec } from './config.js';
import type { Config } from './config.js';
import { ExtrinsicSubmitter } from './extrinsics.js';
import { HeadFollower } from './head-follower.js';
import { MetagraphPoller } from './metagraph-poller.js';
import { RevealStore } from './reveal-store.js';
import { createBridgeImpl } from './server.js';
import { loadSigner } from './signer.js';
import { timedRead } from './timed-read.js';
import type { ReadDeps } from './timed-read.js';
import { createWeightsReads } from './weights-reads.js';
import { WeightsWriter } from './weights-writer.js';

/** Reject a back-off range that cannot work, and a bucket commitment the chain could not hold. */
function validate(config: Config): void {
  if (config.reconnectMaxMs < config.reconnectMinMs) {
    throw new ConfigError(
      `reconnectMaxMs (env ${envName('reconnectMaxMs')}) must be at least reconnectMinMs (${config.reconnectMinMs})`,
      'CONFIG_CONFLICT',
      'reconnectMaxMs',
      undefined,
    );
  }
  const bucket = bucketCommitmentOf(config);
  if (bucket === undefined) return;
  try {
    encodeBucketCommitment(bucket);
  } catch (error) {
    throw new ConfigError(
      `the bucket to commit (commitEndpoint, commitBucket, commitRegion, commitAccessKeyId, commitSecretAccessKey) is not committable: ${(error as Error).message}`,
      'CONFIG_INVALID_VALUE',
      'commitEndpoint',
      undefined,
    );
  }
}

/** The chain-bridge service definition, run by main.ts. */
export const chainBridgeService: ServiceDefinition<typeof configSpec.fields> = {
  name: 'chain-bridge',
  spec: configSpec,
  validate,
  async start(ctx) {
    const { config, log } = ctx;
    const metrics = createBridgeMetrics(ctx.metrics.registry);
    const signer = await loadSigner(config);
    log.info(
      'chain_bridge_signer',
      signer === undefined ? { mode: 'read-only' } : { hotkey: signer.address, source: signer.source },
    );
    const nats = await useNats(ctx, 'chain-bridge');
    const connection = new ChainConnection({
      urls: config.chainUrl,
      minMs: config.reconnectMinMs,
      maxMs: config.reconnectMaxMs,
      connectTimeoutMs: config.requestTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      log,
    });
    connection.onUp(() => {
      metrics.connected.set(1);
      metrics.reconnects.inc();
    });
    connection.onDown(() => metrics.connected.set(0));
    const follower = new HeadFollower({
      connection,
      blocksPerWindow: config.blocksPerWindow,
      staleAfterMs: config.staleAfterMs,
      runId: config.runId,
      nats,
      metrics,
      log,
    });
    const submitter =
      signer === undefined
        ? undefined
        : new ExtrinsicSubmitter({
            connection,
            signer: signer.pair,
            metrics,
            log,
            timeoutMs: config.extrinsicTimeoutMs,
          });
    const reads: ReadDeps = { connection, metrics, timeoutMs: config.requestTimeoutMs };
    const weights =
      submitter === undefined
        ? undefined
        : new WeightsWriter({
            reads: createWeightsReads(reads),
            submitter,
            store: new RevealStore(config.stateDir),
            metrics,
            log,
          });
    await weights?.init();
    const metagraph = new MetagraphPoller({
      everyBlocks: config.metagraphEveryBlocks,
      read: () => timedRead(reads, 'metagraph_poll', (api) => readMetagraph(api, config.netuid)),
      publish: (m) =>
        nats.nc.publish(
          runSubjects(config.runId).metagraph,
          toBinary(
            MetagraphEventSchema,
            create(MetagraphEventSchema, {
              netuid: config.netuid,
              block: BigInt(m.block),
              neuronCount: m.neurons.length,
            }),
          ),
        ),
      log,
    });
    follower.onBlock((update) => {
      if (!update.newBlock) return;
      void weights?.onBlock(update.head.number);
      void metagraph.onBlock(update.head.number);
    });
    follower.start();
    connection.start();
    const impl = createBridgeImpl({ ...reads, follower, submitter, weights });
    ctx.addGrpcService(ChainBridgeService, impl);
    // Every role's bucket is read by the others (ADR 0024): commit it at start, in the background.
    const bucket = bucketCommitmentOf(config);
    if (bucket !== undefined) {
      if (submitter === undefined) {
        log.warn('bucket_commit_skipped', { why: 'no signing key: a read-only bridge commits nothing' });
      } else {
        // The RPC's own implementation, called in process (the same checks and skip-when-unchanged).
        const setter: CommitmentSetter = {
          setCommitment: async (request, options) =>
            create(
              SetCommitmentResponseSchema,
              await impl.setCommitment(
                create(SetCommitmentRequestSchema, request),
                inProcessCall(
                  '/cohort.chain.v1.ChainBridgeService/SetCommitment',
                  options?.signal ?? ctx.shutdownSignal,
                  ctx.shutdownSignal,
                ),
              ),
            ),
        };
        void commitBucket(setter, config.netuid, bucket, log, ctx.shutdownSignal).catch((error: unknown) =>
          log.error('bucket_commit_stopped', { error: String(error) }),
        );
      }
    }
    ctx.onShutdown('chain', async () => {
      follower.stop();
      await connection.close();
    });
  },
};
