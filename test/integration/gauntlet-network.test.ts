/**
 * The Gauntlet on one machine (issue 8, a small variant): the real subtensor runtime under chopsticks, a
 * nats-server and chain-bridge per operator, one filesystem checkpoint-store as the run's bucket, three
 * honest miners (gpu-worker + coordinator), a validator (coordinator with the validator role + a
 * gauntlet-evaluator), and the minimal aggregator following the validator's selection — every service a
 * real process. The adversaries of `test/adversaries/` run in this process, each from its own registered
 * hotkey:
 *
 * - garbage: random bytes in its update slot → INVALID;
 * - copier: waits for an honest miner's update, rewrites the hotkey and data receipt as its own,
 *   re-hashes and re-signs it (a valid, in-sync payload) → scored, then COPIER;
 * - replayer: an honest miner's update of an older window, re-signed as its own → INVALID;
 * - impersonator: an honest miner's bytes, signature and all, under its own key → INVALID;
 * - early: an update for the running window, before its slot opens → EARLY;
 * - late: an update after its slot closed → LATE.
 *
 * Asserted: every adversary is penalised or rejected, with the right reason, in the first window it acts;
 * no honest miner is ever penalised; the aggregate takes only the selected (honest) updates; weights on
 * chain rank every honest miner above every adversary; explanation records from the bucket recheck.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import {
  dataReceipt,
  encodeSs58,
  hotkeyFromSeed,
  pagesFor,
  parseScoreRecord,
  recheckScoreRecord,
  runSubjects,
  scoreKey,
} from '@cohort/core';
import type { HotkeyPair } from '@cohort/core';
import { createSubnet, devUri, registerNeuron, runEpoch, startBlockClock } from '@cohort/devchain';
import { storageItem } from '@cohort/chain-bridge';
import type { BlockClock, LocalChain } from '@cohort/devchain';
import { StoreClient } from '@cohort/kit';
import { openDataset } from '@cohort/native';
import type { Dataset } from '@cohort/native';
import { WindowEventSchema } from '@cohort/proto/cohort/events/v1/events';
import { connect } from '@nats-io/transport-node';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  brownDataset,
  spawnService,
  startDevchainProcess,
  startMinerOperator,
  startOperatorBase,
  until,
} from '../harness/index.js';
import { createAdversaries } from '../adversaries/index.js';
import type { WindowScored } from '../adversaries/index.js';
import type {
  DevchainProcess,
  LogRecord,
  MinerOperator,
  MinerSpec,
  NetworkSpec,
  OperatorBase,
  ServiceProcess,
} from '../harness/index.js';

const RUN = 'gauntlet-net';
const TAO = 1_000_000_000n;
const BLOCK_MS = 1000;
const BLOCKS_PER_WINDOW = 20;
const SLOT_MS = 2000;
const INNER_STEPS = 2;
const BATCH = 2;
const ENV = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };
const seedOf = (b: number): string => b.toString(16).padStart(2, '0').repeat(32);
const pairOf = (seedHex: string): HotkeyPair => hotkeyFromSeed(Uint8Array.from(Buffer.from(seedHex, 'hex')));
const HONEST_SEEDS = [0x31, 0x32, 0x33].map(seedOf);
const VALIDATOR_SEED = seedOf(0x40);
const AGGREGATOR_SEED = seedOf(0x41);
const ADVERSARIES = createAdversaries({
  garbage: seedOf(0x51),
  copier: seedOf(0x52),
  replayer: seedOf(0x53),
  early: seedOf(0x54),
  late: seedOf(0x55),
  impersonator: seedOf(0x56),
});

const ss58 = (seedHex: string): string => encodeSs58(pairOf(seedHex).publicKey);

describe(
  'the Gauntlet: honest miners, a validator with an evaluator, adversaries',
  { timeout: 900_000 },
  () => {
    let devchain: DevchainProcess;
    let chain: LocalChain;
    let clock: BlockClock;
    let storeRoot: string;
    let storeProc: ServiceProcess;
    let store: StoreClient;
    let net: NetworkSpec;
    let validatorOp: OperatorBase;
    let validator: ServiceProcess;
    let evaluator: ServiceProcess;
    let evaluator2: ServiceProcess;
    let aggregatorOp: OperatorBase;
    let aggregator: ServiceProcess;
    let nc: NatsConnection;
    let dataset: Dataset;
    let validatorUid: number;
    const uids = new Map<string, number>();
    const miners: MinerOperator[] = [];
    /** The first window each adversary acted in. */
    const acted = new Map<string, number>();

    const scored = (): LogRecord[] => validator.records.filter((r) => r.event === 'window_scored');
    const diag = (): string =>
      [
        `validator: ${validator.records.map((r) => r.event).join(' ')}`,
        `evaluator: ${evaluator.records.map((r) => r.event).join(' ')}`,
        `aggregator: ${aggregator.records.map((r) => `${r.event}@${JSON.stringify(r.window)}`).join(' ')}`,
        ...scored().map((r) => JSON.stringify(r)),
      ].join('\n');

    before(async () => {
      devchain = await startDevchainProcess('manual');
      chain = devchain.chain;
      const netuid = await createSubnet(chain, { hyperparameters: { tempo: 10, weightsRateLimit: 0 } });
      validatorUid = await registerNeuron(chain, netuid, {
        coldkeyUri: devUri(30),
        hotkeyUri: `0x${VALIDATOR_SEED}`,
        stakeRao: 5_000n * TAO,
      });
      const all = [...HONEST_SEEDS, ...ADVERSARIES.map((a) => a.seedHex)];
      for (const [i, seed] of all.entries()) {
        uids.set(
          ss58(seed),
          await registerNeuron(chain, netuid, {
            coldkeyUri: devUri(31 + i),
            hotkeyUri: `0x${seed}`,
            stakeRao: 0n,
          }),
        );
      }
      await runEpoch(chain, netuid); // validator permits
      clock = startBlockClock(chain, BLOCK_MS);
      storeRoot = mkdtempSync(join(tmpdir(), 'cohort-gauntlet-store-'));
      storeProc = spawnService('checkpoint-store', {
        env: { COHORT_FS_ROOT: storeRoot, COHORT_RUN_ID: RUN },
      });
      const storeAddress = `127.0.0.1:${(await storeProc.ports(60_000)).grpc}`;
      await storeProc.waitForEvent('service_serving', 60_000);
      store = new StoreClient(storeAddress);
      net = {
        runId: RUN,
        chainUrl: chain.url,
        netuid,
        blocksPerWindow: BLOCKS_PER_WINDOW,
        storeAddress,
        env: ENV,
      };
      const { manifestPath } = await brownDataset();
      dataset = await openDataset(manifestPath);

      validatorOp = await startOperatorBase(net, 'validator', VALIDATOR_SEED);
      const common = {
        ...ENV,
        COHORT_RUN_ID: RUN,
        COHORT_NATS_URL: validatorOp.nats.url,
        COHORT_STORE_ADDRESS: storeAddress,
      };
      const evaluatorEnv = {
        ...common,
        COHORT_PRESET: 'devnet',
        COHORT_DEVICE: 'cpu',
        COHORT_THREADS: '1',
        COHORT_DATASET_MANIFEST: manifestPath,
        COHORT_EVAL_SAMPLES: '4',
        COHORT_EVAL_MICRO_BATCH: '4',
        COHORT_NOT_READY_RETRY_MS: '1000',
        COHORT_MAX_DELIVER: '10',
      };
      // Two evaluator replicas share the work queue (each job is scored once).
      evaluator = spawnService('gauntlet-evaluator', { env: evaluatorEnv });
      evaluator2 = spawnService('gauntlet-evaluator', { env: evaluatorEnv });
      await evaluator2.waitForEvent('service_serving', 60_000);
      await evaluator.waitForEvent('service_serving', 60_000);
      validator = spawnService('coordinator', {
        env: {
          ...common,
          COHORT_ROLES: 'validator',
          COHORT_LEADER_ELECTION: 'off',
          COHORT_CHAIN_BRIDGE_ADDRESS: validatorOp.bridgeAddress,
          COHORT_HOTKEY_ADDRESS: ss58(VALIDATOR_SEED),
          COHORT_NETUID: String(netuid),
          COHORT_INNER_STEPS: String(INNER_STEPS),
          COHORT_BATCH_SIZE: String(BATCH),
          COHORT_UPLOAD_SLOT_MS: String(SLOT_MS),
          COHORT_UPLOAD_POLL_MS: '250',
          COHORT_EVALUATION_TIMEOUT_MS: '12000',
          COHORT_WINDOWS_PER_WEIGHTS: '1',
          COHORT_SCORE_STATE_DIR: mkdtempSync(join(tmpdir(), 'cohort-validator-')),
        },
      });
      await validator.waitForEvent('service_serving', 60_000);

      aggregatorOp = await startOperatorBase(net, 'aggregator', AGGREGATOR_SEED);
      aggregator = spawnService('aggregator', {
        env: {
          ...ENV,
          COHORT_RUN_ID: RUN,
          COHORT_NATS_URL: aggregatorOp.nats.url,
          COHORT_STORE_ADDRESS: storeAddress,
          COHORT_PRESET: 'devnet',
          COHORT_DEVICE: 'cpu',
          COHORT_THREADS: '1',
          COHORT_HOTKEY_SEED: AGGREGATOR_SEED,
          COHORT_UPLOAD_SLOT_MS: String(SLOT_MS),
          COHORT_SELECTION_VALIDATOR: ss58(VALIDATOR_SEED),
          COHORT_SELECTION_WAIT_MS: '15000',
          COHORT_CHECKPOINT_EVERY_WINDOWS: '5',
          COHORT_STATE_DIR: mkdtempSync(join(tmpdir(), 'cohort-aggregator-')),
        },
      });
      await aggregator.waitForEvent('service_serving', 60_000);

      const spec: MinerSpec = {
        datasetManifest: manifestPath,
        innerSteps: INNER_STEPS,
        batchSize: BATCH,
        trainer: { lr: 3e-3, warmupSteps: 2, totalSteps: 1000, microBatchSize: 2 },
        topk: 64,
        alpha: 1,
        commit: { endpoint: `file://${storeRoot}`, bucket: 'cohort-run' },
      };
      miners.push(
        ...(await Promise.all(
          HONEST_SEEDS.map((seed, i) => startMinerOperator(net, `honest${i}`, seed, spec)),
        )),
      );

      // The adversaries follow the chain through the validator operator's NATS (any bridge says the same).
      nc = await connect({ servers: validatorOp.nats.url });
      const victim = ss58(HONEST_SEEDS[0]!);
      nc.subscribe(runSubjects(RUN).window, {
        callback: (error, msg) => {
          if (error) return;
          const w = Number(fromBinary(WindowEventSchema, msg.data).window) - 1; // the slot of w is open
          if (w < 0 || scored().length === 0) return; // start once the validator has scored a window
          void act(w, victim).catch(() => undefined);
        },
      });
    });

    const lastActed = new Set<number>();
    /** The slot of window w just opened: every adversary acts (each from its own hotkey). */
    async function act(w: number, victim: string): Promise<void> {
      if (lastActed.has(w)) return;
      lastActed.add(w);
      const receiptOf = (hotkey: string, window: number): Uint8Array => {
        const pages = pagesFor({
          runId: RUN,
          hotkey,
          window,
          poolSize: dataset.sampleCount('train'),
          count: INNER_STEPS * BATCH,
        });
        return dataReceipt([...dataset.sampleIds('train', Uint32Array.from(pages))]);
      };
      const ctx = { store, runId: RUN, window: w, victim, receiptOf, slotMs: SLOT_MS };
      await Promise.all(
        ADVERSARIES.map(async (a) => {
          const judgedIn = await a.act(ctx);
          if (judgedIn !== undefined && !acted.has(a.name)) acted.set(a.name, judgedIn);
        }),
      );
    }

    after(async () => {
      await nc?.close();
      for (const m of miners) await m.stop().catch(() => undefined);
      for (const p of [validator, evaluator, evaluator2, aggregator]) await p?.stop('SIGTERM');
      await validatorOp?.stop();
      await aggregatorOp?.stop();
      store?.close();
      await storeProc?.stop('SIGTERM');
      dataset?.close();
      await clock?.stop();
      await devchain?.stop();
      if (storeRoot !== undefined) rmSync(storeRoot, { recursive: true, force: true });
    });

    test('adversaries are caught with their reasons, honest miners never, and weights rank them so', async (t) => {
      const honest = HONEST_SEEDS.map(ss58);
      const hotkeyOf = (name: string): string => ADVERSARIES.find((a) => a.name === name)!.hotkey;
      const adversary = { copier: hotkeyOf('copier'), garbage: hotkeyOf('garbage') };
      const adversaryKeys = ADVERSARIES.map((a) => a.hotkey);
      const windowOf = (r: LogRecord): number => Number(r.window);
      // Two windows scored after every adversary acted.
      await until(
        'two scored windows with every adversary at work',
        () => {
          const first = Math.max(...ADVERSARIES.map((a) => acted.get(a.name) ?? Infinity));
          return scored().filter((r) => windowOf(r) >= first).length >= 2 ? true : undefined;
        },
        480_000,
        diag,
      );
      const asScored = (r: LogRecord): WindowScored => ({
        window: windowOf(r),
        faults: r.faults as Record<string, string>,
        copiers: r.copiers as Record<string, string>,
      });
      for (const a of ADVERSARIES) {
        const from = acted.get(a.name)!;
        const caught = scored().find(
          (r) =>
            windowOf(r) >= from && windowOf(r) <= from + 2 && a.caught(asScored(r), { victim: honest[0]! }),
        );
        assert.ok(
          caught,
          `${a.name} (from window ${from}) caught as ${a.expected} within 3 windows:\n${diag()}`,
        );
        t.diagnostic(
          `${a.name}: acted from window ${from}, caught (${a.expected}) in window ${windowOf(caught)}`,
        );
      }
      for (const r of scored()) {
        const faults = r.faults as Record<string, string>;
        const copiers = r.copiers as Record<string, string>;
        for (const h of honest) {
          assert.equal(
            faults[h],
            undefined,
            `honest ${h} faulted in window ${windowOf(r)}: ${JSON.stringify(r)}`,
          );
          assert.equal(copiers[h], undefined, `honest ${h} called a copier in window ${windowOf(r)}`);
        }
        for (const a of adversaryKeys)
          assert.ok(!(r.selected as string[]).includes(a), 'no adversary selected');
      }
      // The aggregate of a window with the copier at work took only the selected honest updates.
      const copied = acted.get('copier')!;
      const aggregate = await until(
        `the aggregate of window ${copied + 1}`,
        () =>
          aggregator.records.find((r) => r.event === 'aggregate_published' && Number(r.window) >= copied + 1),
        120_000,
        diag,
      );
      assert.deepEqual([...(aggregate.included as string[])].sort(), [...honest].sort());
      const excluded = new Map(
        (aggregate.excluded as { hotkey: string; reason: string }[]).map((e) => [e.hotkey, e.reason]),
      );
      assert.equal(excluded.get(adversary.copier), 'NOT_SELECTED');

      // Weights on chain: every honest miner above every adversary.
      const weightsSet = await until(
        'weights set after the adversaries were scored',
        () =>
          validator.records.find(
            (r) => r.event === 'weights_set' && Number(r.window) >= copied + 1 && r.status === 1,
          ),
        120_000,
        diag,
      );
      const onChain = new Map(
        (await storageItem(chain.api, 'subtensorModule', 'weights')(net.netuid, validatorUid)).toJSON() as [
          number,
          number,
        ][],
      );
      const w = (h: string): number => onChain.get(uids.get(h)!) ?? 0;
      const minHonest = Math.min(...honest.map(w));
      const maxAdversary = Math.max(...adversaryKeys.map(w));
      assert.ok(
        minHonest > maxAdversary,
        `honest ≥ ${minHonest}, adversaries ≤ ${maxAdversary} (${JSON.stringify([...onChain])})`,
      );
      t.diagnostic(`weights (window ${String(weightsSet.window)}): ${JSON.stringify([...onChain])}`);

      // Explanation records from the bucket recheck, the copier's included.
      const lastScored = windowOf(scored().at(-1)!);
      for (const h of [honest[0]!, adversary.copier, adversary.garbage]) {
        const object = await store.get(scoreKey(RUN, lastScored, h));
        assert.ok(object, `record of ${h} in window ${lastScored}`);
        const check = recheckScoreRecord(parseScoreRecord(object.bytes));
        assert.ok(check.matches, `${h}: ${check.detail}`);
      }
    });
  },
);
