/**
 * chain-bridge: the only connection to subtensor. Follows the head (the window clock, published on NATS
 * as `block` and `window` events, with staleness), serves the metagraph, hyperparameters and commitments,
 * re-reads the metagraph every few blocks (a `metagraph` event when it changed; `metagraph-poller.ts`),
 * and signs the operator's writes — bucket commitment and weights (direct or commit-reveal, reveals
 * surviving restarts).
 */
import { create, toBinary } from '@bufbuild/protobuf';
import { runSubjects } from '@cohort/core';
import { ConfigError, envName, useNats } from '@cohort/kit';
import type { ServiceDefinition } from '@cohort/kit';
import { ChainBridgeService } from '@cohort/proto/cohort/chain/v1/chain_bridge';
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

/** Reject a back-off range that cannot work. */
function validate(config: Config): void {
  if (config.reconnectMaxMs < config.reconnectMinMs) {
    throw new ConfigError(
      `reconnectMaxMs (env ${envName('reconnectMaxMs')}) must be at least reconnectMinMs (${config.reconnectMinMs})`,
      'CONFIG_CONFLICT',
      'reconnectMaxMs',
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
    ctx.addGrpcService(ChainBridgeService, createBridgeImpl({ ...reads, follower, submitter, weights }));
    ctx.onShutdown('chain', async () => {
      follower.stop();
      await connection.close();
    });
  },
};
