/**
 * The window loop end to end on one machine (issue 7): the real subtensor runtime under chopsticks (a
 * block every BLOCK_MS), a real nats-server and chain-bridge per operator, one checkpoint-store on the
 * filesystem shared as the run's bucket (peers' buckets are the S3 path, tested in the store's own
 * tests), the minimal aggregator, and miners made of a gpu-worker (devnet preset, CPU, Brown) and a
 * coordinator with the miner role — every service a real process.
 *
 * Three miners train five windows; a fourth starts two windows later and contributes in its first full
 * window; one worker is SIGKILLed mid-window and comes back (as a kubelet would restart it); at the end
 * every replica holds the same state fingerprint as the aggregator, the loss fell, the buckets are
 * committed on chain and the coordinators export the loop's metrics.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  checkpointKeys,
  encodeCheckpointManifest,
  encodeLatest,
  latestKey,
  encodeSs58,
  hotkeyFromSeed,
  parseCheckpointManifest,
} from '@cohort/core';
import { StoreClient, createServiceClient, createTransport } from '@cohort/kit';
import { listCheckpointWindows } from '@cohort/replica';
import { createSubnet, devUri, registerNeuron, startBlockClock } from '@cohort/devchain';
import type { BlockClock } from '@cohort/devchain';
import { ChainBridgeService } from '@cohort/proto/cohort/chain/v1/chain_bridge';
import {
  brownDataset,
  spawnService,
  startDevchainProcess,
  startMinerOperator,
  startOperatorBase,
  until,
} from '../harness/index.js';
import type {
  DevchainProcess,
  LogRecord,
  MinerOperator,
  MinerSpec,
  NetworkSpec,
  OperatorBase,
  ServiceProcess,
} from '../harness/index.js';

const RUN = 'window-loop';
const BLOCK_MS = 1000;
// 12 s windows: a devnet window trains in 5–7 s here while four miners and the aggregator share two
// cores, and a killed worker must restart (about 5 s), resync (a checkpoint and up to three aggregates,
// about 5 s, partly while A_{w-1} is awaited anyway) and train within the next window; with 10 s windows
// the restarted worker finished its resync 3 s into that window and sometimes could not train it in time.
const BLOCKS_PER_WINDOW = 12;
const MINER_SEEDS = ['21', '22', '23', '24'].map((b) => b.repeat(32));
const AGGREGATOR_SEED = 'ee'.repeat(32);
const ENV = { OPENBLAS_NUM_THREADS: '1', OMP_NUM_THREADS: '1' };

const num = (r: LogRecord, key: string): number => Number(r[key]);
/** `event@window(reason)` for the diagnostics of a timeout. */
const brief = (r: LogRecord): string =>
  `${r.event}${r.window === undefined ? '' : `@${JSON.stringify(r.window)}`}${r.reason ? `(${JSON.stringify(r.reason)})` : ''}`;

describe(
  'the window loop: 3 miners, a late joiner, a killed worker, one aggregator',
  { timeout: 900_000 },
  () => {
    let devchain: DevchainProcess;
    let clock: BlockClock;
    let storeRoot: string;
    let store: ServiceProcess;
    let aggregatorOp: OperatorBase;
    let aggregator: ServiceProcess;
    const miners: MinerOperator[] = [];
    let net: NetworkSpec;
    let minerSpec: MinerSpec;

    const published = (): LogRecord[] => aggregator.records.filter((r) => r.event === 'aggregate_published');
    const includedIn = (r: LogRecord): string[] => (r.included as string[] | undefined) ?? [];
    const diag = (): string =>
      [
        `aggregator: ${aggregator.records.map(brief).join(' ')}`,
        ...miners.map((m) => `${m.name}: ${m.coordinator.records.map(brief).join(' ')}`),
      ].join('\n');

    before(async () => {
      devchain = await startDevchainProcess('manual');
      const chain = devchain.chain;
      const netuid = await createSubnet(chain, { hyperparameters: { tempo: 100, weightsRateLimit: 0 } });
      for (const [i, seed] of MINER_SEEDS.entries()) {
        await registerNeuron(chain, netuid, {
          coldkeyUri: devUri(20 + i),
          hotkeyUri: `0x${seed}`,
          stakeRao: 0n,
        });
      }
      clock = startBlockClock(chain, BLOCK_MS);
      storeRoot = mkdtempSync(join(tmpdir(), 'cohort-window-store-'));
      store = spawnService('checkpoint-store', { env: { COHORT_FS_ROOT: storeRoot, COHORT_RUN_ID: RUN } });
      const storePorts = await store.ports(60_000);
      await store.waitForEvent('service_serving', 60_000);
      net = {
        runId: RUN,
        chainUrl: chain.url,
        netuid,
        blocksPerWindow: BLOCKS_PER_WINDOW,
        storeAddress: `127.0.0.1:${storePorts.grpc}`,
        env: ENV,
        // Miners apply only aggregates this aggregator signed (ADR 0013).
        trust: {
          aggregator: encodeSs58(
            hotkeyFromSeed(Uint8Array.from(Buffer.from(AGGREGATOR_SEED, 'hex'))).publicKey,
          ),
        },
      };
      const { manifestPath } = await brownDataset();
      minerSpec = {
        dataset: { kind: 'local', manifestPath },
        innerSteps: 3,
        batchSize: 2,
        trainer: { lr: 3e-3, warmupSteps: 2, totalSteps: 1000, microBatchSize: 2 },
        topk: 256,
        alpha: 1,
        commit: { endpoint: `file://${storeRoot}`, bucket: 'cohort-run' },
      };
      aggregatorOp = await startOperatorBase(net, 'aggregator', AGGREGATOR_SEED);
      aggregator = spawnService('aggregator', {
        env: {
          ...ENV,
          COHORT_RUN_ID: RUN,
          COHORT_NATS_URL: aggregatorOp.nats.url,
          COHORT_STORE_ADDRESS: net.storeAddress,
          COHORT_PRESET: 'devnet',
          COHORT_SEED: '0',
          COHORT_DEVICE: 'cpu',
          COHORT_THREADS: '1',
          COHORT_HOTKEY_SEED: AGGREGATOR_SEED,
          COHORT_OUTER_LEARNING_RATE: String(minerSpec.alpha),
          COHORT_UPLOAD_SLOT_MS: '1500',
          COHORT_CHECKPOINT_EVERY_WINDOWS: '3',
          COHORT_STATE_DIR: mkdtempSync(join(tmpdir(), 'cohort-aggregator-')),
        },
      });
      await aggregator.waitForEvent('service_serving', 60_000);
      const started = await Promise.all(
        MINER_SEEDS.slice(0, 3).map((seed, i) => startMinerOperator(net, `miner${i}`, seed, minerSpec)),
      );
      miners.push(...started);
    });

    after(async () => {
      for (const m of miners) await m.stop().catch(() => undefined);
      await aggregator?.stop('SIGTERM');
      await aggregatorOp?.stop();
      await store?.stop('SIGTERM');
      await clock?.stop();
      await devchain?.stop();
      if (storeRoot !== undefined) rmSync(storeRoot, { recursive: true, force: true });
    });

    test('miners train, publish and apply five windows; a late joiner and a killed worker catch up', async (t) => {
      const three = miners.map((m) => m.hotkey);
      const fullWindows = (): LogRecord[] =>
        published().filter((r) => three.every((h) => includedIn(r).includes(h)));
      // 1. Two full windows of the three miners, then a fourth miner starts: the run's third window.
      await until(
        'two aggregates of all three miners',
        () => (fullWindows().length >= 2 ? true : undefined),
        300_000,
        diag,
      );
      const firstFull = num(fullWindows()[0]!, 'window');
      // The newest checkpoint's model bytes rot on disk (its store record still names the old hash): the
      // joiner's worker must refuse it and the joiner fall back to the previous checkpoint.
      const checkpoints = await until(
        'two checkpoints',
        () => {
          const c = aggregator.records.filter((r) => r.event === 'checkpoint_published');
          return c.length >= 2 ? c.map((r) => num(r, 'window')) : undefined;
        },
        120_000,
        diag,
      );
      const rotten = Math.max(...checkpoints);
      const modelPath = join(storeRoot, 'objects', checkpointKeys(RUN, rotten).model);
      const model = readFileSync(modelPath);
      model.writeUInt8(model.readUInt8(model.length - 17) ^ 0x40, model.length - 17);
      writeFileSync(modelPath, model);
      // Whoever can write the bucket adds a checkpoint of its own, validly signed by another key, at a
      // window without one, and points LATEST at it: the joiner's coordinator refuses that manifest
      // before its worker downloads anything, then goes on down the list.
      const client = new StoreClient(net.storeAddress);
      let forged: number;
      try {
        const listed = new Set(await listCheckpointWindows({ store: client, runId: RUN }));
        forged = rotten - 1;
        while (listed.has(forged)) forged -= 1;
        assert.ok(forged >= 0, `a window below ${rotten} without a checkpoint (${[...listed].join(', ')})`);
        const stored = await client.get(checkpointKeys(RUN, rotten).manifest);
        assert.ok(stored);
        const real = { ...parseCheckpointManifest(stored.bytes) };
        delete real.lineage; // the real one's aggregates reach past the forged window
        const forger = hotkeyFromSeed(new Uint8Array(32).fill(0x66));
        await client.put(
          checkpointKeys(RUN, forged).manifest,
          encodeCheckpointManifest({ ...real, window: forged }, forger),
        );
        await client.put(latestKey(RUN), encodeLatest(forged));
      } finally {
        client.close();
      }
      const joiner = await startMinerOperator(net, 'miner3', MINER_SEEDS[3]!, minerSpec);
      miners.push(joiner);
      const joined = await until(
        'the late joiner resyncs',
        () => joiner.events('resync_done')[0],
        120_000,
        diag,
      );
      const joinedAt = num(joined, 'chainWindow');
      // It tried LATEST (the forged one, unless the aggregator has moved LATEST on since), then the rotten
      // checkpoint (refused), then the previous one; or a newer one.
      const rejected = joiner.events('checkpoint_rejected').map((r) => [num(r, 'window'), r.reason]);
      assert.notEqual(num(joined, 'checkpoint'), rotten, 'the rotten checkpoint was not used');
      assert.notEqual(num(joined, 'checkpoint'), forged, 'the forged checkpoint was not used');
      if (num(joined, 'checkpoint') < rotten) {
        assert.deepEqual(
          rejected,
          [
            [forged, 'MANIFEST_UNTRUSTED'],
            [rotten, 'CHECKPOINT_CORRUPT'],
          ],
          'each refused with its reason',
        );
      }
      assert.ok(
        joinedAt <= firstFull + 4,
        `the joiner came in at window ${joinedAt}, the run's first full was ${firstFull}`,
      );
      assert.ok(num(joined, 'checkpoint') <= joinedAt, 'it loaded a checkpoint of this run');
      const joinerFirst = await until(
        "an aggregate with the joiner's update",
        () => published().find((r) => includedIn(r).includes(joiner.hotkey)),
        120_000,
        diag,
      );
      const firstJoinerUpload = num(joiner.events('update_uploaded')[0]!, 'window');
      assert.ok(
        firstJoinerUpload <= joinedAt + 1,
        `the joiner (synced in window ${joinedAt}) contributed in window ${firstJoinerUpload}`,
      );
      assert.equal(num(joinerFirst, 'window'), firstJoinerUpload, 'and that update was aggregated');
      // 2. Five windows whose aggregate includes all three original miners.
      await until(
        'five aggregates of all three miners',
        () => (fullWindows().length >= 5 ? true : undefined),
        300_000,
        diag,
      );

      // 3. SIGKILL one worker in the middle of a window, then restart it like a kubelet would.
      const victim = miners[1]!;
      const beforeKill = victim.events('window_trained').length;
      await until(
        'the victim trains again',
        () => (victim.events('window_trained').length > beforeKill ? true : undefined),
        60_000,
      );
      const trainedAt = victim.events('window_trained').at(-1)!;
      const killWindow = num(trainedAt, 'window');
      await victim.killWorker();
      await new Promise((r) => setTimeout(r, 1000));
      await victim.restartWorker();
      const back = await until(
        'the victim contributes again',
        () => victim.events('update_uploaded').find((r) => num(r, 'window') > killWindow),
        180_000,
        diag,
      );
      // The window it was killed in may be lost (its update was being encoded); the next one must not be.
      const lost = num(back, 'window') - killWindow - 1;
      const timeline = (): string =>
        [...victim.coordinator.records, ...victim.worker.records, ...published()]
          .filter((r) => String(r.ts) >= String(trainedAt.ts))
          .sort((a, b) => String(a.ts).localeCompare(String(b.ts)))
          .map((r) => `${String(r.ts).slice(14, 23)} ${brief(r)}`)
          .join('\n');
      assert.equal(
        lost,
        0,
        `after the kill in window ${killWindow} the miner next contributed in ${num(back, 'window')}:\n${timeline()}`,
      );
      t.diagnostic(
        `worker killed after training window ${killWindow}; next upload window ${num(back, 'window')}`,
      );
      // 4. Every replica at the same state: the last window all four applied.
      const target = await until(
        'a window every miner applied after the rejoin',
        () => {
          const windows = miners.map(
            (m) => new Set(m.events('aggregate_applied').map((r) => num(r, 'window'))),
          );
          const candidates = [...windows[0]!].filter(
            (w) => w > num(back, 'window') && windows.every((s) => s.has(w)),
          );
          return candidates.length > 0 ? Math.max(...candidates) : undefined;
        },
        180_000,
        diag,
      );
      const fingerprints = miners.map(
        (m) => m.events('aggregate_applied').find((r) => num(r, 'window') === target)!.stateFingerprint,
      );
      const aggregatorAfter = published().find((r) => num(r, 'window') === target)!.stateFingerprintAfter;
      assert.equal(new Set([...fingerprints, aggregatorAfter]).size, 1, `fingerprints after A_${target}`);
      t.diagnostic(`4 miners + aggregator agree after A_${target}: ${String(aggregatorAfter).slice(0, 16)}…`);
      t.diagnostic(
        `joiner synced in window ${joinedAt} from checkpoint ${num(joined, 'checkpoint')}, first update ${firstJoinerUpload}`,
      );

      // 5. The loss fell: the first inner step of the last full window vs. the first window, per original miner.
      for (const m of miners.slice(0, 3)) {
        const trained = m.events('window_trained').filter((r) => num(r, 'window') >= firstFull);
        const first = (trained[0]!.losses as number[])[0]!;
        const last = (trained.at(-1)!.losses as number[])[0]!;
        assert.ok(last < first - 0.05, `${m.name}: loss at θ_w ${first.toFixed(3)} → ${last.toFixed(3)}`);
        t.diagnostic(
          `${m.name}: first-step loss window ${num(trained[0]!, 'window')} ${first.toFixed(3)} → window ${num(trained.at(-1)!, 'window')} ${last.toFixed(3)}`,
        );
      }
    });

    test('each miner committed its bucket on chain', async () => {
      const transport = createTransport(miners[0]!.bridgeAddress);
      try {
        const bridge = createServiceClient(ChainBridgeService, transport);
        const { commitments } = await bridge.listCommitments({ netuid: net.netuid });
        for (const m of miners) {
          const c = commitments.find((x) => x.hotkey === m.hotkey);
          assert.equal(c?.bucket?.endpoint, minerSpec.commit.endpoint, `${m.name}'s commitment`);
          assert.equal(c?.bucket?.bucket, minerSpec.commit.bucket);
          // The coordinator logs it once the bridge reports the extrinsic's outcome.
          const logged = (): LogRecord[] => m.events('bucket_committed');
          await until(
            `${m.name}'s bucket_committed`,
            () => (logged().length > 0 ? true : undefined),
            90_000,
            () =>
              JSON.stringify([
                ...m.coordinator.records.filter((r) => r.event.includes('commit')),
                ...m.bridge.records.filter(
                  (r) => r.event.includes('extrinsic') || r.event.includes('commit'),
                ),
              ]),
          );
          assert.equal(logged().length, 1);
        }
      } finally {
        transport.close();
      }
    });

    test('the coordinators export phase durations, traffic, throughput and compute utilisation', async (t) => {
      const text = await (await fetch(miners[0]!.coordinatorMetrics)).text();
      /** The sum of every sample of `name` whose labels include `labels`. */
      const sample = (name: string, labels: Record<string, string> = {}): number => {
        let sum = 0;
        let found = false;
        for (const line of text.split('\n')) {
          const m = /^([a-z_]+)(\{([^}]*)\})? (\S+)$/.exec(line);
          if (m?.[1] !== name) continue;
          const have = new Map([...(m[3] ?? '').matchAll(/([a-z_]+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
          if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) {
            sum += Number(m[4]);
            found = true;
          }
        }
        assert.ok(
          found,
          `${name}${JSON.stringify(labels)} exported:\n${text
            .split('\n')
            .filter((l) => l.startsWith('cohort_miner'))
            .join('\n')}`,
        );
        return sum;
      };
      for (const phase of ['train', 'encode', 'upload', 'wait', 'apply']) {
        assert.ok(
          sample('cohort_miner_phase_seconds_count', { phase, result: 'ok' }) > 0,
          `phase ${phase} timed`,
        );
      }
      assert.ok(sample('cohort_miner_bytes_total', { direction: 'up' }) > 0, 'bytes up');
      assert.ok(sample('cohort_miner_bytes_total', { direction: 'down' }) > 0, 'bytes down');
      assert.ok(sample('cohort_miner_tokens_per_second') > 0, 'tokens/s');
      const utilisation = sample('cohort_miner_compute_utilisation');
      assert.ok(utilisation > 0 && utilisation < 1, `utilisation ${utilisation}`);
      t.diagnostic(
        `miner0: compute utilisation ${utilisation.toFixed(3)}, tokens/s ${sample('cohort_miner_tokens_per_second').toFixed(0)}`,
      );
      assert.ok(
        sample('cohort_miner_windows_total', { outcome: 'contributed' }) >= 5,
        'contributions counted',
      );
    });
  },
);
