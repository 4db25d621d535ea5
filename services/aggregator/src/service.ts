/**
 * aggregator (minimal): one canonical, signed aggregate per window and periodic checkpoints (protocol
 * §6, §8, §9). At start it connects NATS and the checkpoint-store, creates its replica (preset, seed,
 * device), listens for window events (queued until the restore is done), and restores its state from the
 * run's checkpoints and the aggregates published since (restore.ts); it is SERVING once restored. Each
 * window event then runs the window pipeline (window-aggregator.ts), one at a time.
 *
 * This minimal aggregator aggregates every valid update of a window, not the validator's selection, and
 * does not verify aggregates (VerifyAggregate): both arrive with the full aggregator. Without a hotkey it
 * cannot sign and stays idle (GetStatus only), so the bare binary still starts for lifecycle checks.
 *
 * Shutdown (hooks run in reverse): the window loop stops (a slot wait or transfer is cut by the shutdown
 * signal, a native call finishes), then the compressor client (if any) is closed, the engine disposed,
 * the store client closed, NATS drained. With `compressorAddress` set the payloads are aggregated by the
 * compressor service (remote-aggregator.ts), else by the engine here (in-process-aggregator.ts).
 */
import { encodeSs58, hotkeyFromSeedHex, runSubjects } from '@cohort/core';
import { StoreClient, useNats } from '@cohort/kit';
import type { ServiceContext, ServiceDefinition } from '@cohort/kit';
import { createEngine, resolveDevice } from '@cohort/native';
import { AggregatorService } from '@cohort/proto/cohort/aggregator/v1/aggregator';

import { createAggregatorMetrics } from './aggregator-metrics.js';
import { systemClock } from './clock.js';
import { configSpec, validateConfig } from './config.js';
import type { Config } from './config.js';
import type { AggregatorDeps } from './deps.js';
import { Published } from './published.js';
import { Replica, aggregateBytesBound } from '@cohort/replica';
import { restoreReplica } from './restore.js';
import { createAggregatorImpl } from './server.js';
import { prepareStateDir } from '@cohort/replica';
import { WindowAggregator } from './window-aggregator.js';
import { createInProcessAggregator } from './in-process-aggregator.js';
import type { PayloadAggregator } from './payload-aggregator.js';
import { createRemoteAggregator } from './remote-aggregator.js';
import type { AggregatorMetrics } from './aggregator-metrics.js';
import { WindowEventQueue } from './window-events.js';

async function openReplica(ctx: ServiceContext<Config>): Promise<Replica> {
  const c = ctx.config;
  const device = resolveDevice(c.device);
  const engine = await createEngine({ preset: c.preset, seed: c.seed, device, threads: c.threads });
  ctx.onShutdown('engine', () => engine.dispose());
  return Replica.create(engine, c.runId, c.outerLearningRate);
}

/** The compressor's client when `compressorAddress` is set (ADR 0014), else the engine in this process. */
function openPayloadAggregator(ctx: ServiceContext<Config>, metrics: AggregatorMetrics): PayloadAggregator {
  const c = ctx.config;
  const aggregator =
    c.compressorAddress === ''
      ? createInProcessAggregator({ maxBytes: c.maxUpdateBytes })
      : createRemoteAggregator({
          address: c.compressorAddress,
          timeoutMs: c.compressorTimeoutMs,
          onCall: (result) => metrics.compressorCall(result),
        });
  ctx.onShutdown('compressor', () => Promise.resolve(aggregator.close()));
  return aggregator;
}

/** The aggregator service definition, run by main.ts. */
export const aggregatorService: ServiceDefinition<typeof configSpec.fields> = {
  name: 'aggregator',
  spec: configSpec,
  validate: validateConfig,
  async start(ctx) {
    const c = ctx.config;
    const metrics = createAggregatorMetrics(ctx.metrics.registry);
    const published = new Published(metrics);
    const nats = await useNats(ctx, 'aggregator');
    const hotkey = hotkeyFromSeedHex(c.hotkeySeed);
    if (hotkey === null) {
      ctx.log.warn('aggregator_idle', {
        reason: 'NO_HOTKEY',
        detail: 'no hotkeySeed: nothing can be signed',
      });
      ctx.addGrpcService(
        AggregatorService,
        createAggregatorImpl({ runId: c.runId, published, store: undefined }),
      );
      return;
    }
    const store = new StoreClient(c.storeAddress);
    ctx.onShutdown('store', () => Promise.resolve(store.close()));
    await prepareStateDir(c.stateDir);
    const replica = await openReplica(ctx);
    const aggregator = openPayloadAggregator(ctx, metrics);
    const deps: AggregatorDeps = {
      runId: c.runId,
      store,
      replica,
      aggregator,
      hotkey,
      published,
      metrics,
      log: ctx.log,
      clock: systemClock,
      signal: ctx.shutdownSignal,
      settings: {
        preset: c.preset,
        uploadSlotMs: c.uploadSlotMs,
        checkpointEveryWindows: c.checkpointEveryWindows,
        maxUpdateBytes: c.maxUpdateBytes,
        maxAggregateBytes: aggregateBytesBound(replica.engine.info().parameterCount),
        maxPeers: c.maxPeers,
        fetchTimeoutMs: c.fetchTimeoutMs,
        stateDir: c.stateDir,
        selectionValidator: c.selectionValidator,
        selectionWaitMs: c.selectionWaitMs,
      },
    };
    const windows = new WindowAggregator(deps);
    const queue = new WindowEventQueue((event) => windows.onWindow(event), systemClock, ctx.log);
    const subject = runSubjects(c.runId).window;
    nats.nc.subscribe(subject, {
      callback: (error, msg) => {
        if (error) ctx.log.warn('window_subscription_error', { error });
        else queue.onMessage(msg.data);
      },
    });
    await nats.nc.flush(); // the server knows the subscription before anyone is told we are up
    ctx.onShutdown('window-loop', () => queue.stop());
    ctx.addGrpcService(
      AggregatorService,
      createAggregatorImpl({
        runId: c.runId,
        published,
        store,
        limits: { maxUpdateBytes: c.maxUpdateBytes, maxAggregateBytes: deps.settings.maxAggregateBytes },
        trust: {
          aggregator: encodeSs58(hotkey.publicKey),
          ...(c.selectionValidator === '' ? {} : { selectionValidator: c.selectionValidator }),
        },
      }),
    );
    ctx.log.info('aggregator_starting', {
      hotkey: encodeSs58(hotkey.publicKey),
      subject,
      store: c.storeAddress,
      aggregation: aggregator.kind,
      ...(c.compressorAddress === '' ? {} : { compressor: c.compressorAddress }),
      preset: c.preset,
      device: replica.engine.info().device,
      stateFingerprint: replica.fingerprint,
    });
    await restoreReplica(deps);
    queue.start();
  },
};
