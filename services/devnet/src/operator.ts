/**
 * One operator of a test network, as a real deployment has it: its own nats-server and chain-bridge
 * (signing with the operator's hotkey), plus, for a miner, a gpu-worker and a coordinator with the
 * miner role; every service a child process reading its config from the environment. The run's
 * checkpoint-store is shared (one filesystem bucket for the whole test network, see window-loop test).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSs58, hotkeyFromSeed } from '@cohort/core';
import type { Preset } from '@cohort/native';
import { datasetEnv } from './run-dataset.js';
import type { RunDatasetSource } from './run-dataset.js';
import { spawnService } from './service-process.js';
import type { LogRecord, ServiceProcess } from './service-process.js';
import { startNatsServer } from './nats-server.js';
import type { NatsServer } from './nats-server.js';

/** Where an operator's services find the run. */
export interface NetworkSpec {
  readonly runId: string;
  readonly chainUrl: string;
  readonly netuid: number;
  readonly blocksPerWindow: number;
  readonly storeAddress: string;
  /** Environment every service gets (threads, OpenBLAS). */
  readonly env?: Readonly<Record<string, string>>;
  /** SS58 of the run's aggregator and of the validator whose selections bind it, when the network has them. */
  readonly trust?: { readonly aggregator?: string; readonly validator?: string };
}

/** A miner's training settings. */
export interface MinerSpec {
  /** Where the gpu-worker reads the dataset (a local manifest, or a prefix of the run's store). */
  readonly dataset: RunDatasetSource;
  readonly innerSteps: number;
  readonly batchSize: number;
  readonly trainer: { lr: number; warmupSteps: number; totalSteps: number; microBatchSize: number };
  readonly topk: number;
  readonly alpha: number;
  /** Model preset (default `devnet`). */
  readonly preset?: Preset;
  /** The bucket committed on chain. */
  readonly commit: { endpoint: string; bucket: string };
  /** The gpu-worker runs the engine's fused ops (default false). */
  readonly fusedOps?: boolean;
  /** The run's upload slot (the coordinator's default otherwise): a miner never uploads past it. */
  readonly uploadSlotMs?: number;
}

/** The chain side of an operator: NATS and a chain-bridge with its hotkey. */
export interface OperatorBase {
  readonly name: string;
  readonly seedHex: string;
  readonly hotkey: string;
  readonly nats: NatsServer;
  readonly bridge: ServiceProcess;
  readonly bridgeAddress: string;
  stop(): Promise<void>;
}

/** A miner operator. */
export interface MinerOperator extends OperatorBase {
  worker: ServiceProcess;
  readonly coordinator: ServiceProcess;
  /** Metrics endpoint of the coordinator. */
  readonly coordinatorMetrics: string;
  /** SIGKILL the worker and start it again with the same config and state directory. */
  killWorker(): Promise<void>;
  restartWorker(): Promise<void>;
  /** Coordinator log records with this event. */
  events(event: string): LogRecord[];
}

const seedToHotkey = (seedHex: string): string =>
  encodeSs58(hotkeyFromSeed(Uint8Array.from(Buffer.from(seedHex, 'hex'))).publicKey);

/** Start an operator's NATS and chain-bridge. */
export async function startOperatorBase(
  net: NetworkSpec,
  name: string,
  seedHex: string,
): Promise<OperatorBase> {
  const nats = await startNatsServer();
  const bridge = spawnService('chain-bridge', {
    env: {
      ...net.env,
      COHORT_CHAIN_URL: net.chainUrl,
      COHORT_NETUID: String(net.netuid),
      COHORT_BLOCKS_PER_WINDOW: String(net.blocksPerWindow),
      COHORT_STALE_AFTER_MS: '10000',
      // Chopsticks now and then includes an extrinsic without reporting InBlock to its watcher: give up
      // after 15 s (DROPPED/TIMEOUT) so the caller's retry finds it on chain and is SKIPPED.
      COHORT_EXTRINSIC_TIMEOUT_MS: '15000',
      COHORT_HOTKEY_URI: `0x${seedHex}`,
      COHORT_STATE_DIR: mkdtempSync(join(tmpdir(), `cohort-${name}-bridge-`)),
      COHORT_NATS_URL: nats.url,
      COHORT_RUN_ID: net.runId,
      COHORT_METAGRAPH_EVERY_BLOCKS: '50',
    },
  });
  const ports = await bridge.ports(60_000);
  await bridge.waitForEvent('service_serving', 60_000);
  return {
    name,
    seedHex,
    hotkey: seedToHotkey(seedHex),
    nats,
    bridge,
    bridgeAddress: `127.0.0.1:${ports.grpc}`,
    async stop() {
      await bridge.stop('SIGTERM');
      await nats.dispose();
    },
  };
}

/** Start a miner operator: NATS, chain-bridge, gpu-worker and a miner coordinator. */
export async function startMinerOperator(
  net: NetworkSpec,
  name: string,
  seedHex: string,
  miner: MinerSpec,
): Promise<MinerOperator> {
  const base = await startOperatorBase(net, name, seedHex);
  const efStateDir = mkdtempSync(join(tmpdir(), `cohort-${name}-ef-`));
  const workerEnv = {
    ...net.env,
    COHORT_RUN_ID: net.runId,
    COHORT_PRESET: miner.preset ?? 'devnet',
    COHORT_SEED: '0',
    COHORT_DEVICE: 'cpu',
    COHORT_THREADS: '1',
    COHORT_FUSED_OPS: String(miner.fusedOps === true),
    ...datasetEnv(miner.dataset, `${name}-worker`),
    COHORT_EF_STATE_DIR: efStateDir,
    COHORT_STORE_ADDRESS: net.storeAddress,
    COHORT_INNER_LR: String(miner.trainer.lr),
    COHORT_INNER_WARMUP_STEPS: String(miner.trainer.warmupSteps),
    COHORT_INNER_TOTAL_STEPS: String(miner.trainer.totalSteps),
    COHORT_MICRO_BATCH_SIZE: String(miner.trainer.microBatchSize),
    COHORT_CODEC_TOPK: String(miner.topk),
    COHORT_HOTKEY_SEED: seedHex,
  };
  // A fixed port, so a restarted worker is found where the coordinator looks (as a Service gives in a cluster).
  const startWorker = async (port: string): Promise<{ proc: ServiceProcess; port: number }> => {
    const proc = spawnService('gpu-worker', { env: { ...workerEnv, COHORT_GRPC_PORT: port } });
    const ports = await proc.ports(60_000);
    await proc.waitForEvent('service_serving', 60_000);
    return { proc, port: ports.grpc };
  };
  const first = await startWorker('0');
  const workerPort = first.port;
  const coordinator = spawnService('coordinator', {
    env: {
      ...net.env,
      COHORT_RUN_ID: net.runId,
      COHORT_NATS_URL: base.nats.url,
      COHORT_ROLES: 'miner',
      COHORT_LEADER_ELECTION: 'off',
      COHORT_WORKER_ADDRESS: `127.0.0.1:${workerPort}`,
      COHORT_STORE_ADDRESS: net.storeAddress,
      COHORT_CHAIN_BRIDGE_ADDRESS: base.bridgeAddress,
      COHORT_HOTKEY_ADDRESS: base.hotkey,
      COHORT_NETUID: String(net.netuid),
      COHORT_INNER_STEPS: String(miner.innerSteps),
      ...(miner.uploadSlotMs === undefined ? {} : { COHORT_UPLOAD_SLOT_MS: String(miner.uploadSlotMs) }),
      COHORT_BATCH_SIZE: String(miner.batchSize),
      COHORT_OUTER_LEARNING_RATE: String(miner.alpha),
      COHORT_STALE_AFTER_MS: '10000',
      COHORT_AGGREGATE_POLL_MS: '200',
      COHORT_RESYNC_RETRY_MS: '500',
      COHORT_AGGREGATOR_HOTKEY: net.trust?.aggregator ?? '',
      COHORT_TRUSTED_VALIDATOR: net.trust?.validator ?? '',
      COHORT_COMMIT_ENDPOINT: miner.commit.endpoint,
      COHORT_COMMIT_BUCKET: miner.commit.bucket,
      COHORT_COMMIT_REGION: '',
      COHORT_COMMIT_ACCESS_KEY_ID: 'read-only',
      COHORT_COMMIT_SECRET_ACCESS_KEY: 'read-only',
    },
  });
  const cports = await coordinator.ports(60_000);
  await coordinator.waitForEvent('service_serving', 60_000);
  const op: MinerOperator = {
    ...base,
    worker: first.proc,
    coordinator,
    coordinatorMetrics: `http://127.0.0.1:${cports.metrics}/metrics`,
    async killWorker() {
      await op.worker.stop('SIGKILL');
    },
    async restartWorker() {
      op.worker = (await startWorker(String(workerPort))).proc;
    },
    events: (event) => coordinator.records.filter((r) => r.event === event),
    async stop() {
      await coordinator.stop('SIGTERM');
      await op.worker.stop('SIGTERM');
      await base.stop();
    },
  };
  return op;
}
