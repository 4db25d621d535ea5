/**
 * A newcomer joining a running network (issue 9, protocol §9), measured: the real chain under
 * chopsticks, one checkpoint-store, the aggregator checkpointing every `checkpointEvery` windows, miners
 * training from genesis; once the run is `joinAfterWindows` windows old a new miner operator starts
 * (NATS, chain-bridge, gpu-worker, coordinator) and must resync — newest checkpoint, then the
 * aggregates since — and contribute in its first window. Used by test/integration/newcomer.test.ts
 * (asserts) and `pnpm bench newcomer` (records).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointKeys, encodeSs58, hotkeyFromSeed } from '@cohort/core';
import { StoreClient } from '@cohort/kit';
import { createSubnet, devUri, registerNeuron, startBlockClock } from '@cohort/devchain';

import {
  brownDataset,
  spawnService,
  startDevchainProcess,
  startMinerOperator,
  startOperatorBase,
} from '@cohort/devnet';
import type { LogRecord, MinerOperator, MinerSpec, NetworkSpec } from '@cohort/devnet';
import { until } from './until.js';

/** The scenario's knobs. */
export interface NewcomerOptions {
  readonly runId: string;
  /** The run's age (windows since genesis) when the newcomer starts. */
  readonly joinAfterWindows: number;
  readonly checkpointEvery: number;
  /** Miners training from the start (the newcomer comes on top). */
  readonly miners: number;
  readonly blocksPerWindow?: number;
  readonly blockMs?: number;
  readonly progress?: (line: string) => void;
}

/** What the newcomer's join measured. */
export interface NewcomerResult {
  readonly genesisWindow: number;
  /** The chain window when the newcomer synced, and the run's age then. */
  readonly joinedChainWindow: number;
  readonly runAgeAtJoin: number;
  readonly checkpointLoaded: number;
  readonly aggregatesReplayed: number;
  /** Bytes the resync downloaded: the checkpoint (model + config) and the aggregates replayed. */
  readonly catchUpBytes: number;
  /** The checkpoint's model file, for scale. */
  readonly checkpointModelBytes: number;
  /** Mean size of the aggregates published so far. */
  readonly meanAggregateBytes: number;
  /** From starting the operator's processes to resync done, and the resync alone (its log events). */
  readonly catchUpMs: number;
  readonly resyncMs: number;
  readonly firstUploadWindow: number;
  /** The first aggregate that included the newcomer's update (a valid update), and its window. */
  readonly firstIncludedWindow: number;
  /** Did it contribute (a valid, aggregated update) in its first window after syncing? */
  readonly contributedInFirstWindow: boolean;
  /** θ fingerprints agree: the newcomer's after applying A_first and the aggregator's. */
  readonly fingerprintsAgree: boolean;
}

const ENV = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
const num = (r: LogRecord, key: string): number => Number(r[key]);
const brief = (r: LogRecord): string =>
  `${r.event}${r.window === undefined ? '' : `@${JSON.stringify(r.window)}`}${r.reason ? `(${JSON.stringify(r.reason)})` : ''}`;
const seedOf = (b: number): string => b.toString(16).padStart(2, '0').repeat(32);
const ss58 = (seedHex: string): string =>
  encodeSs58(hotkeyFromSeed(Uint8Array.from(Buffer.from(seedHex, 'hex'))).publicKey);

/** Run the scenario; every process is stopped before it returns or throws. */
export async function runNewcomer(o: NewcomerOptions): Promise<NewcomerResult> {
  const blocksPerWindow = o.blocksPerWindow ?? 8;
  const blockMs = o.blockMs ?? 1000;
  const windowMs = blocksPerWindow * blockMs;
  const say = o.progress ?? (() => undefined);
  const seeds = Array.from({ length: o.miners + 1 }, (_, i) => seedOf(0x61 + i));
  const aggregatorSeed = seedOf(0x6f);
  const cleanups: (() => Promise<unknown>)[] = [];
  const miners: MinerOperator[] = [];
  const storeRoot = mkdtempSync(join(tmpdir(), 'cohort-newcomer-store-'));
  try {
    const devchain = await startDevchainProcess('manual');
    cleanups.push(() => devchain.stop());
    const netuid = await createSubnet(devchain.chain, {
      hyperparameters: { tempo: 100, weightsRateLimit: 0 },
    });
    for (const [i, seed] of seeds.entries()) {
      await registerNeuron(devchain.chain, netuid, {
        coldkeyUri: devUri(40 + i),
        hotkeyUri: `0x${seed}`,
        stakeRao: 0n,
      });
    }
    const clock = startBlockClock(devchain.chain, blockMs);
    cleanups.push(() => clock.stop());
    const store = spawnService('checkpoint-store', {
      env: { COHORT_FS_ROOT: storeRoot, COHORT_RUN_ID: o.runId },
    });
    cleanups.push(() => store.stop('SIGTERM'));
    const storePorts = await store.ports(60_000);
    await store.waitForEvent('service_serving', 60_000);
    const net: NetworkSpec = {
      runId: o.runId,
      chainUrl: devchain.chain.url,
      netuid,
      blocksPerWindow,
      storeAddress: `127.0.0.1:${storePorts.grpc}`,
      env: ENV,
      trust: { aggregator: ss58(aggregatorSeed) },
    };
    const { manifestPath } = await brownDataset();
    const spec: MinerSpec = {
      dataset: { kind: 'local', manifestPath },
      innerSteps: 2,
      batchSize: 2,
      trainer: { lr: 3e-3, warmupSteps: 2, totalSteps: 1000, microBatchSize: 2 },
      topk: 256,
      alpha: 1,
      commit: { endpoint: `file://${storeRoot}`, bucket: 'cohort-run' },
    };
    const aggregatorOp = await startOperatorBase(net, 'aggregator', aggregatorSeed);
    cleanups.push(() => aggregatorOp.stop());
    const aggregator = spawnService('aggregator', {
      env: {
        ...ENV,
        COHORT_RUN_ID: o.runId,
        COHORT_NATS_URL: aggregatorOp.nats.url,
        COHORT_STORE_ADDRESS: net.storeAddress,
        COHORT_PRESET: 'devnet',
        COHORT_SEED: '0',
        COHORT_DEVICE: 'cpu',
        COHORT_THREADS: '1',
        COHORT_HOTKEY_SEED: aggregatorSeed,
        COHORT_OUTER_LEARNING_RATE: String(spec.alpha),
        COHORT_UPLOAD_SLOT_MS: '1500',
        COHORT_CHECKPOINT_EVERY_WINDOWS: String(o.checkpointEvery),
        COHORT_STATE_DIR: mkdtempSync(join(tmpdir(), 'cohort-newcomer-aggregator-')),
      },
    });
    cleanups.push(() => aggregator.stop('SIGTERM'));
    await aggregator.waitForEvent('service_serving', 60_000);
    const diag = (): string =>
      [
        `aggregator: ${aggregator.records.map(brief).slice(-40).join(' ')}`,
        ...miners.map((m) => `${m.name}: ${m.coordinator.records.map(brief).slice(-40).join(' ')}`),
      ].join('\n');
    for (const [i, seed] of seeds.slice(0, o.miners).entries()) {
      const m = await startMinerOperator(net, `miner${i}`, seed, spec);
      miners.push(m);
      cleanups.push(() => m.stop());
    }
    const genesis = await until(
      'the genesis checkpoint',
      () => aggregator.records.find((r) => r.event === 'aggregator_restored'),
      120_000,
      diag,
    );
    const genesisWindow = num(genesis, 'window');
    say(
      `genesis at chain window ${genesisWindow}; waiting until the run is ${o.joinAfterWindows} windows old`,
    );
    const published = (): LogRecord[] => aggregator.records.filter((r) => r.event === 'aggregate_published');
    await until(
      `run window ${o.joinAfterWindows}`,
      () => published().find((r) => num(r, 'window') >= genesisWindow + o.joinAfterWindows - 1),
      (o.joinAfterWindows + 6) * windowMs * 2,
      diag,
    );
    say('starting the newcomer');
    const t0 = Date.now();
    const newcomer = await startMinerOperator(net, 'newcomer', seeds[o.miners]!, spec);
    miners.push(newcomer);
    cleanups.push(() => newcomer.stop());
    const synced = await until(
      'the newcomer resyncs',
      () => newcomer.events('resync_done')[0],
      180_000,
      diag,
    );
    const catchUpMs = Date.now() - t0;
    const started = newcomer.events('resync_started')[0];
    const resyncMs =
      started === undefined ? catchUpMs : Date.parse(String(synced.ts)) - Date.parse(String(started.ts));
    const joinedChainWindow = num(synced, 'chainWindow');
    say(
      `synced at chain window ${joinedChainWindow} from checkpoint ${num(synced, 'checkpoint')} in ${catchUpMs} ms`,
    );
    const included = await until(
      "an aggregate with the newcomer's update",
      () => published().find((r) => ((r.included as string[] | undefined) ?? []).includes(newcomer.hotkey)),
      6 * windowMs * 2,
      diag,
    );
    const firstUploadWindow = num(newcomer.events('update_uploaded')[0]!, 'window');
    const firstIncludedWindow = num(included, 'window');
    const applied = await until(
      `the newcomer applies A_${firstIncludedWindow}`,
      () => newcomer.events('aggregate_applied').find((r) => num(r, 'window') === firstIncludedWindow),
      4 * windowMs * 2,
      diag,
    );
    const client = new StoreClient(net.storeAddress);
    let checkpointModelBytes = 0;
    try {
      const info = await client.head(checkpointKeys(o.runId, num(synced, 'checkpoint')).model);
      checkpointModelBytes = Number(info?.sizeBytes ?? 0);
    } finally {
      client.close();
    }
    const sizes = published().map((r) => num(r, 'bytes'));
    return {
      genesisWindow,
      joinedChainWindow,
      runAgeAtJoin: joinedChainWindow - genesisWindow,
      checkpointLoaded: num(synced, 'checkpoint'),
      aggregatesReplayed: num(synced, 'replayed'),
      catchUpBytes: num(synced, 'downloadedBytes'),
      checkpointModelBytes,
      meanAggregateBytes: Math.round(sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length)),
      catchUpMs,
      resyncMs,
      firstUploadWindow,
      firstIncludedWindow,
      // Synced during chain window j, it trains j (when there was time) or j + 1 at the latest.
      contributedInFirstWindow:
        firstUploadWindow <= joinedChainWindow + 1 && firstIncludedWindow === firstUploadWindow,
      fingerprintsAgree: applied.stateFingerprint === included.stateFingerprintAfter,
    };
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
    rmSync(storeRoot, { recursive: true, force: true });
  }
}
