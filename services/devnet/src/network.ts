/**
 * The Gauntlet on one machine, as `gauntlet-network.test.ts` and `pnpm bench adversaries` run it: the
 * real subtensor runtime under chopsticks, a nats-server and chain-bridge per operator, one filesystem
 * checkpoint-store as the run's bucket, honest miners (gpu-worker + coordinator each), a validator
 * (coordinator with the validator role + gauntlet-evaluator replicas), and the aggregator following the
 * validator's selection — every service a real process. The adversaries of `./adversaries/` run in
 * this process, each from its own registered hotkey, from the first window after the validator scored
 * one with every honest miner in it (so the honest miners are at work and have uploads to copy).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromBinary } from '@bufbuild/protobuf';
import { dataReceipt, encodeSs58, hotkeyFromSeed, pagesFor, runSubjects } from '@cohort/core';
import { storageItem } from '@cohort/chain-bridge';
import { createSubnet, devUri, registerNeuron, runEpoch, startBlockClock } from '@cohort/devchain';
import type { BlockClock, LocalChain } from '@cohort/devchain';
import { StoreClient } from '@cohort/kit';
import { openDataset } from '@cohort/native';
import type { Dataset, Preset } from '@cohort/native';
import { WindowEventSchema } from '@cohort/proto/cohort/events/v1/events';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';

import { RunFollower, createAdversaries } from './adversaries/index.js';
import type { Adversary, AdversaryContext, AdversaryName, WindowScored } from './adversaries/index.js';
import { brownDataset } from './brown-dataset.js';
import { datasetEnv, publishToStore } from './run-dataset.js';
import type { RunDatasetSource } from './run-dataset.js';
import { startDevchainProcess } from './devchain-process.js';
import type { DevchainProcess } from './devchain-process.js';
import { startMinerOperator, startOperatorBase } from './operator.js';
import type { MinerOperator, MinerSpec, NetworkSpec, OperatorBase } from './operator.js';
import { spawnService } from './service-process.js';
import type { LogRecord, ServiceProcess } from './service-process.js';

/** Shape of the network. */
export interface NetworkOptions {
  readonly runId: string;
  /** Hex seeds of the honest miners' hotkeys (the first is the copiers' victim). */
  readonly honestSeeds: readonly string[];
  readonly adversarySeeds: Partial<Readonly<Record<AdversaryName, string>>>;
  readonly validatorSeed: string;
  readonly aggregatorSeed: string;
  readonly evaluators?: number;
  readonly blockMs?: number;
  readonly blocksPerWindow?: number;
  readonly slotMs?: number;
  readonly innerSteps?: number;
  readonly batchSize?: number;
  readonly windowsPerWeights?: number;
  /** Model preset of every replica (default `devnet`). */
  readonly preset?: Preset;
  /** The aggregator checkpoints every this many windows (default 5). */
  readonly checkpointEvery?: number;
  /** Top-k per chunk of the honest miners' codec (default 64). */
  readonly topk?: number;
  /** The run's bucket on S3 instead of the filesystem: the checkpoint-store's s3 backend. */
  readonly s3?: S3Bucket;
  /**
   * Publish Brown to the run's store and have every gpu-worker and evaluator read it from there by range
   * (`datasetPrefix`, pinned by its manifest hash), as on separate machines; default: the local copy.
   */
  readonly datasetFromStore?: boolean;
  /** gpu-workers and evaluators run the engine's fused ops (default: the eager chains). */
  readonly fusedOps?: boolean;
}

/** An S3 bucket for the run (MinIO, R2, AWS or a local RADOS Gateway). */
export interface S3Bucket {
  readonly endpoint: string;
  readonly bucket: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** A running Gauntlet network. */
export interface Network {
  readonly chain: LocalChain;
  readonly netuid: number;
  readonly validatorUid: number;
  /** uid of every miner hotkey (SS58). */
  readonly uids: ReadonlyMap<string, number>;
  readonly store: StoreClient;
  readonly storeRoot: string;
  readonly dataset: Dataset;
  readonly honest: readonly string[];
  readonly adversaries: readonly Adversary[];
  readonly validator: ServiceProcess;
  readonly evaluators: readonly ServiceProcess[];
  readonly aggregator: ServiceProcess;
  readonly miners: readonly MinerOperator[];
  /** The first window each adversary acted in (its offence judged in that window). */
  readonly acted: ReadonlyMap<string, number>;
  /** The validator's `window_scored` records, as the adversaries read them. */
  scored(): WindowScored[];
  /** Its `window_scored` log records themselves. */
  scoredRecords(): LogRecord[];
  /** Everything a failed wait should print. */
  readonly diag: () => string;
  /** The weights the validator has on chain, by uid. */
  weightsOnChain(): Promise<Map<number, number>>;
  /** The run's window as the chain last announced it (undefined before the first), and when it began. */
  currentWindow(): { readonly window: number; readonly startedMs: number } | undefined;
  /** Length of a window in ms (blocks per window × block time). */
  readonly windowMs: number;
  /** The checkpoint-store's gRPC address (`host:port`). */
  readonly storeAddress: string;
  /** Every service's metrics endpoint (`http://127.0.0.1:<port>/metrics`), named by operator and service. */
  metricsEndpoints(): Promise<{ readonly name: string; readonly url: string }[]>;
  /** PIDs of every child process of the network (services, chain, nats-servers). */
  pids(): number[];
  /** Parameters of the run's model (from this process's replica). */
  parameterCount(): Promise<number>;
  /** Write θ_window as the engine's Hugging Face checkpoint (model.safetensors + config.json) into `dir`. */
  saveModel(window: number, dir: string, timeoutMs: number): Promise<void>;
  /** Mean held-out loss of θ_window (a replica in this process syncs to it), or undefined. */
  heldoutLoss(window: number, samples: number, timeoutMs: number): Promise<number | undefined>;
  stop(): Promise<void>;
}

const TAO = 1_000_000_000n;
const pairOf = (seedHex: string) => hotkeyFromSeed(Uint8Array.from(Buffer.from(seedHex, 'hex')));
const ss58 = (seedHex: string): string => encodeSs58(pairOf(seedHex).publicKey);

/** Parse a `window_scored` record. */
export function asWindowScored(r: LogRecord): WindowScored {
  return {
    window: Number(r.window),
    faults: (r.faults ?? {}) as Record<string, string>,
    copiers: (r.copiers ?? {}) as Record<string, string>,
    penalties: (r.penalties ?? {}) as Record<string, string[]>,
    inactive: (r.inactive ?? []) as string[],
  };
}

/** Start the whole network (see the module comment); stop it with {@link Network.stop}. */
export async function startNetwork(o: NetworkOptions): Promise<Network> {
  const blockMs = o.blockMs ?? 1000;
  const blocksPerWindow = o.blocksPerWindow ?? 20;
  const slotMs = o.slotMs ?? 2000;
  const innerSteps = o.innerSteps ?? 2;
  const batchSize = o.batchSize ?? 2;
  const env = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
  const trainer = { lr: 3e-3, warmupSteps: 2, totalSteps: 1000, microBatchSize: 2 };
  const alpha = 1;
  const preset = o.preset ?? 'devnet';
  const adversaries = createAdversaries(o.adversarySeeds);
  const cleanups: (() => unknown)[] = [];
  const stop = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
  };
  try {
    const devchain: DevchainProcess = await startDevchainProcess('manual');
    cleanups.push(() => devchain.stop());
    const chain = devchain.chain;
    const netuid = await createSubnet(chain, { hyperparameters: { tempo: 10, weightsRateLimit: 0 } });
    const validatorUid = await registerNeuron(chain, netuid, {
      coldkeyUri: devUri(30),
      hotkeyUri: `0x${o.validatorSeed}`,
      stakeRao: 5_000n * TAO,
    });
    const uids = new Map<string, number>();
    for (const [i, seed] of [...o.honestSeeds, ...adversaries.map((a) => a.seedHex)].entries()) {
      const uid = await registerNeuron(chain, netuid, {
        coldkeyUri: devUri(31 + i),
        hotkeyUri: `0x${seed}`,
        stakeRao: 0n,
      });
      uids.set(ss58(seed), uid);
    }
    await runEpoch(chain, netuid); // validator permits
    const clock: BlockClock = startBlockClock(chain, blockMs);
    cleanups.push(() => clock.stop());
    const storeRoot = mkdtempSync(join(tmpdir(), 'cohort-gauntlet-store-'));
    cleanups.push(() => rmSync(storeRoot, { recursive: true, force: true }));
    const backendEnv: Record<string, string> =
      o.s3 === undefined
        ? { COHORT_FS_ROOT: storeRoot }
        : {
            COHORT_BACKEND: 's3',
            COHORT_S3_ENDPOINT: o.s3.endpoint,
            COHORT_S3_BUCKET: o.s3.bucket,
            COHORT_S3_REGION: o.s3.region,
            COHORT_S3_ACCESS_KEY_ID: o.s3.accessKeyId,
            COHORT_S3_SECRET_ACCESS_KEY: o.s3.secretAccessKey,
          };
    const storeProc = spawnService('checkpoint-store', {
      // A bucket limit, as an operator sets one: the store then counts the bucket (its usage gauges).
      env: { ...backendEnv, COHORT_RUN_ID: o.runId, COHORT_MAX_BUCKET_BYTES: String(64 * 1024 ** 3) },
    });
    cleanups.push(() => storeProc.stop('SIGTERM'));
    const storeAddress = `127.0.0.1:${(await storeProc.ports(60_000)).grpc}`;
    await storeProc.waitForEvent('service_serving', 60_000);
    const store = new StoreClient(storeAddress);
    cleanups.push(() => store.close());
    const net: NetworkSpec = {
      runId: o.runId,
      chainUrl: chain.url,
      netuid,
      blocksPerWindow,
      storeAddress,
      env,
      trust: { aggregator: ss58(o.aggregatorSeed), validator: ss58(o.validatorSeed) },
    };
    const { manifestPath } = await brownDataset();
    const dataset = await openDataset(manifestPath);
    cleanups.push(() => dataset.close());
    const datasetSource: RunDatasetSource =
      o.datasetFromStore === true
        ? await publishToStore(store, manifestPath)
        : { kind: 'local', manifestPath };

    const validatorOp: OperatorBase = await startOperatorBase(net, 'validator', o.validatorSeed);
    cleanups.push(() => validatorOp.stop());
    const common = {
      ...env,
      COHORT_RUN_ID: o.runId,
      COHORT_NATS_URL: validatorOp.nats.url,
      COHORT_STORE_ADDRESS: storeAddress,
    };
    const evaluatorEnv = {
      ...common,
      COHORT_PRESET: preset,
      COHORT_DEVICE: 'cpu',
      COHORT_THREADS: '1',
      COHORT_FUSED_OPS: String(o.fusedOps === true),
      COHORT_EVAL_SAMPLES: String(innerSteps * batchSize),
      COHORT_EVAL_MICRO_BATCH: String(innerSteps * batchSize),
      COHORT_NOT_READY_RETRY_MS: '1000',
      COHORT_MAX_DELIVER: '10',
      COHORT_AGGREGATOR_HOTKEY: ss58(o.aggregatorSeed),
      COHORT_TRUSTED_VALIDATOR: ss58(o.validatorSeed),
    };
    // Evaluator replicas share the work queue (each job is scored once).
    const evaluators = Array.from({ length: o.evaluators ?? 2 }, (_, i) =>
      spawnService('gauntlet-evaluator', {
        env: { ...evaluatorEnv, ...datasetEnv(datasetSource, `evaluator${i}`) },
      }),
    );
    for (const e of evaluators) cleanups.push(() => e.stop('SIGTERM'));
    for (const e of evaluators) await e.waitForEvent('service_serving', 60_000);
    const validator = spawnService('coordinator', {
      env: {
        ...common,
        COHORT_ROLES: 'validator',
        COHORT_LEADER_ELECTION: 'off',
        COHORT_CHAIN_BRIDGE_ADDRESS: validatorOp.bridgeAddress,
        COHORT_HOTKEY_ADDRESS: ss58(o.validatorSeed),
        COHORT_NETUID: String(netuid),
        COHORT_INNER_STEPS: String(innerSteps),
        COHORT_BATCH_SIZE: String(batchSize),
        COHORT_UPLOAD_SLOT_MS: String(slotMs),
        // One machine, one clock: a small grace (the 2 s default is the length of a devnet slot).
        COHORT_UPLOAD_SLOT_GRACE_MS: String(Math.min(500, Math.round(slotMs / 8))),
        COHORT_UPLOAD_POLL_MS: '250',
        COHORT_EVALUATION_TIMEOUT_MS: String(Math.round(blocksPerWindow * blockMs * 0.75)),
        // Below the aggregator's COHORT_SELECTION_WAIT_MS (0.9 of a window): the selection must reach it.
        COHORT_SELECTION_DEADLINE_MS: String(Math.round(blocksPerWindow * blockMs * 0.8)),
        COHORT_WINDOWS_PER_WEIGHTS: String(o.windowsPerWeights ?? 1),
        COHORT_SCORE_STATE_DIR: mkdtempSync(join(tmpdir(), 'cohort-validator-')),
      },
    });
    cleanups.push(() => validator.stop('SIGTERM'));
    await validator.waitForEvent('service_serving', 60_000);

    const aggregatorOp = await startOperatorBase(net, 'aggregator', o.aggregatorSeed);
    cleanups.push(() => aggregatorOp.stop());
    // The aggregator operator's compressor parses the selected (untrusted) payloads and aggregates them (ADR 0014).
    const compressor = spawnService('compressor', { env: { ...env, COHORT_RUN_ID: o.runId } });
    cleanups.push(() => compressor.stop('SIGTERM'));
    const compressorAddress = `127.0.0.1:${(await compressor.ports(60_000)).grpc}`;
    await compressor.waitForEvent('service_serving', 60_000);
    const aggregator = spawnService('aggregator', {
      env: {
        ...env,
        COHORT_COMPRESSOR_ADDRESS: compressorAddress,
        COHORT_RUN_ID: o.runId,
        COHORT_NATS_URL: aggregatorOp.nats.url,
        COHORT_STORE_ADDRESS: storeAddress,
        COHORT_PRESET: preset,
        COHORT_DEVICE: 'cpu',
        COHORT_THREADS: '1',
        COHORT_HOTKEY_SEED: o.aggregatorSeed,
        COHORT_UPLOAD_SLOT_MS: String(slotMs),
        COHORT_SELECTION_VALIDATOR: ss58(o.validatorSeed),
        COHORT_SELECTION_WAIT_MS: String(Math.round(blocksPerWindow * blockMs * 0.9)),
        COHORT_CHECKPOINT_EVERY_WINDOWS: String(o.checkpointEvery ?? 5),
        COHORT_STATE_DIR: mkdtempSync(join(tmpdir(), 'cohort-aggregator-')),
      },
    });
    cleanups.push(() => aggregator.stop('SIGTERM'));
    await aggregator.waitForEvent('service_serving', 60_000);

    const spec: MinerSpec = {
      dataset: datasetSource,
      uploadSlotMs: slotMs,
      innerSteps,
      batchSize,
      trainer,
      topk: o.topk ?? 64,
      alpha,
      preset,
      commit:
        o.s3 === undefined
          ? { endpoint: `file://${storeRoot}`, bucket: 'cohort-run' }
          : { endpoint: o.s3.endpoint, bucket: o.s3.bucket },
      fusedOps: o.fusedOps === true,
    };
    const miners = await Promise.all(
      o.honestSeeds.map((seed, i) => startMinerOperator(net, `honest${i}`, seed, spec)),
    );
    for (const m of miners) cleanups.push(() => m.stop());
    const honest = o.honestSeeds.map(ss58);

    const scoredRecords = (): LogRecord[] => validator.records.filter((r) => r.event === 'window_scored');
    const acted = new Map<string, number>();
    const failures = new Map<string, string>();
    const follow = { store, runId: o.runId, alpha, trainer, preset };
    const poolSize = dataset.sampleCount('train');
    const pagesOf = (hotkey: string, window: number): Uint32Array =>
      Uint32Array.from(pagesFor({ runId: o.runId, hotkey, window, poolSize, count: innerSteps * batchSize }));
    const ctxOf = (window: number): AdversaryContext => ({
      store,
      runId: o.runId,
      window,
      victim: honest[0]!,
      pagesOf,
      receiptOf: (hotkey, w) => dataReceipt([...dataset.sampleIds('train', pagesOf(hotkey, w))]),
      dataset,
      innerSteps,
      slotMs,
      windowMs: blocksPerWindow * blockMs,
      follow,
    });
    for (const a of adversaries) if (a.close) cleanups.push(() => a.close!());

    // The adversaries follow the chain through the validator operator's NATS (any bridge says the same).
    const nc: NatsConnection = await connect({ servers: validatorOp.nats.url });
    cleanups.push(() => nc.close());
    const began = new Set<number>();
    let current: { window: number; startedMs: number } | undefined;
    // The adversaries start once the validator has scored a window with every honest miner in it.
    const honestAtWork = (): boolean =>
      scoredRecords().some((r) => honest.every((h) => (r.scored as string[]).includes(h)));
    nc.subscribe(runSubjects(o.runId).window, {
      callback: (error, msg) => {
        if (error) return;
        const event = fromBinary(WindowEventSchema, msg.data);
        const w = Number(event.window); // w began; w − 1's slot is open
        if (current === undefined || w > current.window) {
          current = { window: w, startedMs: Date.now() }; // chopsticks block times are simulated: when it arrived
        }
        if (began.has(w) || !honestAtWork()) return;
        began.add(w);
        for (const a of adversaries) a.prepare?.(ctxOf(w));
        if (w < 1) return;
        for (const a of adversaries) {
          void a
            .act(ctxOf(w - 1))
            .then((judgedIn) => {
              if (judgedIn !== undefined && !acted.has(a.name)) acted.set(a.name, judgedIn);
            })
            .catch((error: unknown) => failures.set(a.name, `window ${w - 1}: ${String(error)}`));
        }
      },
    });

    /** Every service process of the network by operator/service name (a restarted worker included). */
    const services = (): [string, ServiceProcess][] => [
      ['checkpoint-store', storeProc],
      ['validator/chain-bridge', validatorOp.bridge],
      ['validator/coordinator', validator],
      ...evaluators.map((e, i): [string, ServiceProcess] => [`validator/evaluator${i + 1}`, e]),
      ['aggregator/chain-bridge', aggregatorOp.bridge],
      ['aggregator/aggregator', aggregator],
      ['aggregator/compressor', compressor],
      ...miners.flatMap((m): [string, ServiceProcess][] => [
        [`${m.name}/chain-bridge`, m.bridge],
        [`${m.name}/gpu-worker`, m.worker],
        [`${m.name}/coordinator`, m.coordinator],
      ]),
    ];
    let observer: Promise<RunFollower> | undefined;
    cleanups.push(async () => {
      if (observer !== undefined) await (await observer).close();
    });
    return {
      chain,
      netuid,
      validatorUid,
      uids,
      store,
      storeRoot,
      dataset,
      honest,
      adversaries,
      validator,
      evaluators,
      aggregator,
      miners,
      acted,
      currentWindow: () => current,
      windowMs: blocksPerWindow * blockMs,
      storeAddress,
      async metricsEndpoints() {
        return Promise.all(
          services().map(async ([name, p]) => ({
            name,
            url: `http://127.0.0.1:${(await p.ports(5_000)).metrics}/metrics`,
          })),
        );
      },
      pids: () =>
        [
          devchain.pid,
          ...[validatorOp, aggregatorOp, ...miners].map((op) => op.nats.pid),
          ...services().map(([, p]) => p.child.pid),
        ].filter((p): p is number => p !== undefined),
      scored: () => scoredRecords().map(asWindowScored),
      scoredRecords,
      diag: () =>
        [
          `validator: ${validator.records.map((r) => r.event).join(' ')}`,
          `evaluator: ${evaluators[0]!.records.map((r) => r.event).join(' ')}`,
          `aggregator: ${aggregator.records.map((r) => `${r.event}@${JSON.stringify(r.window)}`).join(' ')}`,
          `acted: ${JSON.stringify([...acted])}`,
          ...miners.map(
            (m) =>
              `${m.name}: ${m.coordinator.records
                .slice(-30)
                .map(
                  (r) =>
                    `${r.event}@${JSON.stringify(r.window)}${r.reason ? `(${JSON.stringify(r.reason)})` : ''}`,
                )
                .join(' ')}`,
          ),
          ...adversaries.flatMap((a) => {
            const e = a.lastError?.() ?? failures.get(a.name);
            return e === undefined ? [] : [`${a.name} failed: ${e}`];
          }),
          ...scoredRecords().map((r) => JSON.stringify(r)),
        ].join('\n'),
      async weightsOnChain() {
        const raw = await storageItem(chain.api, 'subtensorModule', 'weights')(netuid, validatorUid);
        return new Map(raw.toJSON() as [number, number][]);
      },
      async parameterCount() {
        observer ??= RunFollower.create(follow);
        return (await observer).engine.info().parameterCount;
      },
      async saveModel(window, dir, timeoutMs) {
        observer ??= RunFollower.create(follow);
        const f = await observer;
        if (!(await f.syncTo(window, timeoutMs)))
          throw new Error(`θ_${window} is not reachable from the store`);
        await f.engine.saveCheckpoint(dir);
      },
      async heldoutLoss(window, samples, timeoutMs) {
        observer ??= RunFollower.create(follow);
        const f = await observer;
        if (!(await f.syncTo(window, timeoutMs))) return undefined;
        return f.heldoutLoss(dataset, samples);
      },
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
