/**
 * The validator role of a coordinator: follow the chain's windows (the same NATS feed as the miner role),
 * and while this replica leads, run the {@link ValidatorLoop} — jobs to the evaluators, scores,
 * explanation records, the selection, weights — from the window in progress (validator-terms.ts). A
 * follower keeps its hands off the store and the chain.
 */
import { randomBytes } from 'node:crypto';
import { decodeSs58 } from '@cohort/core';
import { StoreClient, createServiceClient, createTransport } from '@cohort/kit';
import type { NatsHandle, ServiceContext } from '@cohort/kit';
import { ChainBridgeService } from '@cohort/proto/cohort/chain/v1/chain_bridge';

import type { Config } from '../config.js';
import type { LeaderElector } from '../leader/elector.js';
import { startChainFeed } from '../miner/chain-feed.js';
import { ChainTimeMap } from './chain-time.js';
import { EvaluationClient } from './evaluations.js';
import { ScoreStateFile } from './score-state.js';
import { createValidatorMetrics } from './validator-metrics.js';
import { ValidatorLoop } from './validator-loop.js';
import { createValidatorTerms } from './validator-terms.js';
import { weightsShapeOf } from './weights-plan.js';

/** Start the validator role; its resources close with the service. */
export function startValidatorRole(
  ctx: ServiceContext<Config>,
  nats: NatsHandle,
  elector: LeaderElector,
): void {
  const c = ctx.config;
  decodeSs58(c.hotkeyAddress);
  const store = new StoreClient(c.storeAddress);
  const transport = createTransport(c.chainBridgeAddress);
  const bridge = createServiceClient(ChainBridgeService, transport);
  const evaluations = new EvaluationClient(nats, c.runId, ctx.log);
  const state = new ScoreStateFile(c.scoreStateDir, c.runId, ctx.log);
  const metrics = createValidatorMetrics(ctx.metrics.registry);
  const shape = weightsShapeOf(c);
  // Outlives terms: a new leader times its first slot from the blocks the follower already saw.
  const chainTime = new ChainTimeMap();
  const terms = createValidatorTerms({
    log: ctx.log,
    hotkey: c.hotkeyAddress,
    newLoop: (signal) =>
      new ValidatorLoop({
        runId: c.runId,
        netuid: c.netuid,
        hotkey: c.hotkeyAddress,
        store,
        bridge,
        evaluations,
        state,
        log: ctx.log,
        uploadSlotMs: c.uploadSlotMs,
        uploadSlotGraceMs: c.uploadSlotGraceMs,
        chainTime,
        uploadPollMs: c.uploadPollMs,
        rpcTimeoutMs: c.rpcTimeoutMs,
        setWeightsTimeoutMs: c.setWeightsTimeoutMs,
        evaluationTimeoutMs: c.evaluationTimeoutMs,
        selectionDeadlineMs: c.selectionDeadlineMs,
        clipSampleWaitMs: c.clipSampleWaitMs,
        windowsPerWeights: c.windowsPerWeights,
        selectionCount: c.selectionCount,
        copierThreshold: c.copierThreshold,
        evaluationSalt: randomBytes(32), // this term's job order: unknown to the miners
        innerSteps: c.innerSteps,
        batchSize: c.batchSize,
        weightsShape: shape,
        metrics,
        signal,
      }),
  });
  const feed = startChainFeed({
    nats,
    runId: c.runId,
    staleAfterMs: c.staleAfterMs,
    log: ctx.log,
    listener: {
      window: (w, start) => terms.window(w, start),
      stale: () => undefined,
      block: (b) => chainTime.observe(b),
    },
  });
  const unsubscribe = elector.onChange((isLeader) => terms.lead(isLeader));
  terms.lead(elector.isLeader);
  ctx.onShutdown('validator', () => {
    unsubscribe();
    feed.stop();
    terms.stop();
    store.close();
    transport.close();
    return Promise.resolve();
  });
}
