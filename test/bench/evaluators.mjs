// Gauntlet scoring throughput: honest ScoreJobs per second with 1, 2 and 4 gauntlet-evaluator replicas on
// this machine, and the scaling factor throughput(R) / throughput(1). Everything is real, as in
// test/integration/gauntlet-evaluator.test.ts: a nats-server (JetStream), a checkpoint-store process, the
// devnet genesis checkpoint and LATEST in it, J distinct miners' signed updates of one window (trained in
// this process with the engine on Brown, then encoded and signed as gpu-workers do), and R evaluator
// processes (CPU, devnet preset, one thread each) sharing the run's score-jobs work queue.
// Writes test/bench/results/evaluators.json.
// The bench reports how many cores each part kept busy during each measurement (from /proc), so a round
// disturbed by other work on the machine shows as such.
//   pnpm bench evaluators [--quick]     (--quick: 4 jobs instead of 24, still 1, 2 and 4 replicas; under a minute)
import { Buffer } from 'node:buffer';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  blake2b256,
  checkpointKeys,
  dataReceipt,
  encodeCheckpointManifest,
  encodeLatest,
  encodeSs58,
  hotkeyFromSeed,
  latestKey,
  pagesFor,
  runSubjects,
  scoreJobsStream,
  scoreResultsStream,
  updateKey,
} from '@cohort/core';
import { StoreClient } from '@cohort/kit';
import { createEngine, openDataset, signObject } from '@cohort/native';
import { ScoreJobSchema, ScoreResultSchema } from '@cohort/proto/cohort/gauntlet/v1/gauntlet';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { median, round, load } from './stats.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const quick = process.argv.includes('--quick');
const out = resolve(root, 'test/bench/results/evaluators.json');
const { brownDataset, spawnService, startNatsServer } = await import(
  resolve(root, 'test/dist/harness/index.js')
);

const RUN = 'bench-evaluators';
const WINDOW = 5;
/** A multiple of every replica count, so each replica gets the same share. */
const JOBS = quick ? 4 : 24;
const REPLICAS = [1, 2, 4];
/**
 * The integration test's job size: updates of STEPS inner steps of BATCH samples (STEPS × BATCH assigned
 * pages), losses over 4 samples in one forward pass each. The evaluator's default is 8 samples
 * (services/gauntlet-evaluator/src/config.ts), about twice the measure phase; 4 keeps --quick under a minute.
 */
const STEPS = 2;
const BATCH = 2;
const EVAL_SAMPLES = 4;
const EVAL_MICRO_BATCH = 4;
const TRAINER = { lr: 3e-3, warmupSteps: 2, totalSteps: 100, microBatchSize: 2 };
const hex = (b) => Buffer.from(b).toString('hex');
const ss58 = (pair) => encodeSs58(pair.publicKey);
/** Miner n's hotkey (n ≥ 1); the warm-up job's miner is n = 0xf0. */
const miner = (n) => hotkeyFromSeed(new Uint8Array(32).fill(n));
const WARMUP = miner(0xf0);

/** Jiffies (USER_HZ, 100 on Linux) busy and in all, over every core, since boot: /proc/stat. */
function machineTicks() {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).map(Number);
  const [user, nice, system, idle, iowait, irq, softirq, steal] = fields;
  return {
    busy: user + nice + system + irq + softirq + steal,
    all: user + nice + system + idle + iowait + irq + softirq + steal,
  };
}
/** Every process's CPU jiffies (user + system) so far, its parent and name: /proc/<pid>/stat. */
function processTicks() {
  const out = new Map();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    out.set(Number(entry), { comm, ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
  }
  return out;
}
/** Whether `pid` is this process or one of its descendants in `table`. */
function ours(pid, table) {
  for (let p = pid, hops = 0; p > 1 && hops < 64; p = table.get(p)?.ppid ?? 0, hops++)
    if (p === process.pid) return true;
  return false;
}
const TICK_SECONDS = 0.01;
/** Cores kept busy by processes outside this bench above which a round is marked disturbed. */
const DISTURBED_CORES = 0.1;

/** Each phase's seconds and job count so far on one evaluator (its /metrics, result="ok"). */
async function phases(proc) {
  const { metrics } = await proc.ports();
  const text = await (await globalThis.fetch(`http://127.0.0.1:${metrics}/metrics`)).text();
  const out = {};
  for (const m of text.matchAll(/^cohort_evaluator_phase_seconds_(sum|count)\{([^}]*)\} (\S+)$/gm)) {
    if (!m[2].includes('result="ok"')) continue;
    const phase = /phase="([^"]+)"/.exec(m[2])?.[1];
    if (phase === undefined) continue;
    out[phase] ??= { sum: 0, count: 0 };
    out[phase][m[1]] += Number(m[3]);
  }
  return out;
}

async function until(what, probe, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(20);
  }
}

const started = performance.now();
const loadStart = load();
const fsRoot = mkdtempSync(join(tmpdir(), 'cohort-bench-eval-store-'));
const live = [];
let nats;
let nc;
let storeProc;
let store;
const rounds = [];
let setupSeconds;
try {
  // --- Setup, once: NATS, the store, genesis checkpoint + LATEST, the miners' updates. ---
  nats = await startNatsServer();
  nc = await connect({ servers: nats.url });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  storeProc = spawnService('checkpoint-store', { env: { COHORT_FS_ROOT: fsRoot } });
  live.push(storeProc);
  const storeAddress = `127.0.0.1:${(await storeProc.ports()).grpc}`;
  await storeProc.waitForEvent('service_serving');
  store = new StoreClient(storeAddress);
  const manifestPath = (await brownDataset()).manifestPath;
  const dataset = await openDataset(manifestPath);
  const trainSamples = dataset.sampleCount('train');
  const engine = await createEngine({ preset: 'devnet', seed: 0, threads: cpus().length, trainer: TRAINER });
  try {
    const fingerprint = await engine.stateFingerprint();
    const dir = mkdtempSync(join(tmpdir(), 'cohort-bench-eval-ckpt-'));
    try {
      await engine.saveCheckpoint(dir);
      const keys = checkpointKeys(RUN, WINDOW);
      const model = readFileSync(join(dir, 'model.safetensors'));
      const config = readFileSync(join(dir, 'config.json'));
      await store.put(keys.model, model);
      await store.put(keys.config, config);
      const entry = (b) => ({ sizeBytes: b.length, blake2b256: hex(blake2b256(b)) });
      await store.put(
        keys.manifest,
        encodeCheckpointManifest(
          {
            runId: RUN,
            window: WINDOW,
            preset: 'devnet',
            stateFingerprint: fingerprint,
            model: entry(model),
            config: entry(config),
            createdUnixMs: Date.now(),
          },
          WARMUP,
        ),
      );
      await store.put(latestKey(RUN), encodeLatest(WINDOW));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // Every update trained from θ_5 on its miner's own pages (encodeUpdate puts θ back).
    for (const pair of [WARMUP, ...Array.from({ length: JOBS }, (_, i) => miner(i + 1))]) {
      const pages = pagesFor({
        runId: RUN,
        hotkey: ss58(pair),
        window: WINDOW,
        poolSize: trainSamples,
        count: STEPS * BATCH,
      });
      const ids = Uint32Array.from(pages);
      await engine.snapshot();
      await engine.trainInner(dataset, 'train', ids, STEPS);
      const update = await engine.encodeUpdate({
        runId: RUN,
        window: WINDOW,
        hotkey: pair.publicKey,
        dataReceipt: dataReceipt([...dataset.sampleIds('train', ids)]),
      });
      signObject(update.bytes, pair);
      await store.put(updateKey(RUN, WINDOW, ss58(pair)), update.bytes);
    }
    if ((await engine.stateFingerprint()) !== fingerprint) throw new Error('θ_5 not restored after encoding');
  } finally {
    await engine.dispose();
    dataset.close();
  }
  setupSeconds = (performance.now() - started) / 1000;
  console.log(`setup: genesis checkpoint and ${JOBS + 1} signed updates in ${setupSeconds.toFixed(1)} s`);

  const publishJob = async (pair, uid) => {
    const job = create(ScoreJobSchema, {
      runId: RUN,
      window: BigInt(WINDOW),
      uid,
      hotkey: ss58(pair),
      payloadKey: updateKey(RUN, WINDOW, ss58(pair)),
      firstSeenUnixMs: BigInt(Date.now()),
      innerSteps: STEPS,
      batchSize: BATCH,
    });
    await js.publish(runSubjects(RUN).scoreJobs, toBinary(ScoreJobSchema, job));
  };

  // Every ScoreResult as it is published (a core subscription sees each publish, duplicates included).
  const arrivals = [];
  const sub = nc.subscribe(runSubjects(RUN).scoreResults, {
    callback: (error, msg) => {
      if (error) console.error(`results subscription: ${error.message}`);
      else arrivals.push({ at: performance.now(), result: fromBinary(ScoreResultSchema, msg.data) });
    },
  });

  const measured = new Set(Array.from({ length: JOBS }, (_, i) => ss58(miner(i + 1))));
  for (const replicas of REPLICAS) {
    const roundLoad = load();
    // A clean slate: no jobs stream, no results stream (and so no results deduplication) from an earlier
    // round; the evaluators declare both again as they start.
    for (const stream of [scoreJobsStream(RUN), scoreResultsStream(RUN)])
      await jsm.streams.delete(stream).catch(() => undefined);
    const t0 = performance.now();
    const evaluators = Array.from({ length: replicas }, (_, i) => {
      const proc = spawnService('gauntlet-evaluator', {
        env: {
          COHORT_RUN_ID: RUN,
          COHORT_NATS_URL: nats.url,
          COHORT_STORE_ADDRESS: storeAddress,
          COHORT_PRESET: 'devnet',
          COHORT_DEVICE: 'cpu',
          COHORT_THREADS: '1',
          OPENBLAS_NUM_THREADS: '1',
          OMP_NUM_THREADS: '1',
          COHORT_DATASET_MANIFEST: manifestPath,
          COHORT_EVAL_SAMPLES: String(EVAL_SAMPLES),
          COHORT_EVAL_MICRO_BATCH: String(EVAL_MICRO_BATCH),
          COHORT_EVALUATOR_ID: `eval-${replicas}-${i}`,
        },
      });
      live.push(proc);
      return proc;
    });
    await Promise.all(evaluators.map((p) => p.waitForEvent('evaluator_ready', 60_000)));
    const readySeconds = (performance.now() - t0) / 1000;

    // Warm-up: each replica scores the warm-up job once (its first job loads checkpoint 5 into the
    // replica); the same job is published once per replica still cold until all are warm. Results after
    // the first are JetStream duplicates, which is fine here.
    const t1 = performance.now();
    const warmupScored = (p) =>
      p.records.filter((r) => r.event === 'job_scored' && r.hotkey === ss58(WARMUP)).length;
    let published = 0;
    for (let attempt = 0; evaluators.some((p) => warmupScored(p) === 0); attempt++) {
      if (attempt > 10) throw new Error('warm-up: a replica never got the warm-up job');
      const cold = evaluators.filter((p) => warmupScored(p) === 0).length;
      for (let i = 0; i < cold; i++) await publishJob(WARMUP, 0);
      published += cold;
      await until(
        'the warm-up jobs',
        () => (evaluators.reduce((n, p) => n + warmupScored(p), 0) >= published ? true : undefined),
        120_000,
      );
    }
    const warmupSeconds = (performance.now() - t1) / 1000;

    // The measurement: all J jobs queued at once, from the first publish to the last distinct result.
    const phasesBefore = await Promise.all(evaluators.map(phases));
    const ticksBefore = processTicks();
    const machineBefore = machineTicks();
    const from = arrivals.length;
    const start = performance.now();
    for (let i = 0; i < JOBS; i++) await publishJob(miner(i + 1), i + 1);
    const got = await until(
      `${JOBS} results with ${replicas} replicas`,
      () => {
        const seen = new Map();
        for (const a of arrivals.slice(from))
          if (measured.has(a.result.hotkey) && !seen.has(a.result.hotkey)) seen.set(a.result.hotkey, a);
        return seen.size === JOBS ? [...seen.values()] : undefined;
      },
      600_000,
    );
    const seconds = (Math.max(...got.map((a) => a.at)) - start) / 1000;
    const wall = (performance.now() - start) / 1000;
    const machineAfter = machineTicks();
    const ticksAfter = processTicks();
    // Cores used during the measurement: the evaluators, the rest of this bench (this process, nats-server,
    // the checkpoint-store), and everything else on the machine (a disturbance when large).
    const evaluatorPids = new Set(evaluators.map((p) => p.child.pid));
    const used = { evaluators: 0, bench: 0, other: 0 };
    const others = new Map();
    for (const [pid, { comm, ticks }] of ticksAfter) {
      const delta = ticks - (ticksBefore.get(pid)?.ticks ?? 0);
      if (delta <= 0) continue;
      const who = evaluatorPids.has(pid) ? 'evaluators' : ours(pid, ticksAfter) ? 'bench' : 'other';
      used[who] += delta;
      if (who === 'other') others.set(comm, (others.get(comm) ?? 0) + delta);
    }
    const cores = (ticks) => round((ticks * TICK_SECONDS) / wall, 2);
    const machineShare =
      (machineAfter.busy - machineBefore.busy) / Math.max(1, machineAfter.all - machineBefore.all);
    const phasesAfter = await Promise.all(evaluators.map(phases));
    const phaseSeconds = {};
    for (const [i, after] of phasesAfter.entries())
      for (const [phase, { sum }] of Object.entries(after))
        phaseSeconds[phase] = (phaseSeconds[phase] ?? 0) + sum - (phasesBefore[i][phase]?.sum ?? 0);
    for (const phase of Object.keys(phaseSeconds)) phaseSeconds[phase] = round(phaseSeconds[phase] / JOBS);
    const faults = got.filter((a) => a.result.fault !== '');
    if (faults.length > 0)
      throw new Error(
        `${faults.length} jobs not scored: ${faults.map((a) => `${a.result.fault} ${a.result.detail}`).join('; ')}`,
      );
    // Per-job service time on its replica: job_started to job_scored in the evaluator's own log.
    const serviceSeconds = evaluators.flatMap((p) => {
      const startedAt = new Map();
      const times = [];
      for (const r of p.records) {
        if (typeof r.hotkey !== 'string' || !measured.has(r.hotkey)) continue;
        if (r.event === 'job_started') startedAt.set(r.hotkey, Date.parse(String(r.ts)));
        if (r.event === 'job_scored' && startedAt.has(r.hotkey))
          times.push((Date.parse(String(r.ts)) - startedAt.get(r.hotkey)) / 1000);
      }
      return times;
    });
    const perReplica = evaluators.map(
      (_, i) => got.filter((a) => a.result.evaluatorId === `eval-${replicas}-${i}`).length,
    );
    for (const p of evaluators) {
      const code = await p.stop('SIGTERM');
      if (code !== 0) throw new Error(`${p.name} exited ${code}: ${p.stderr()}`);
    }
    const row = {
      replicas,
      jobs: JOBS,
      seconds: round(seconds),
      jobsPerSecond: round(JOBS / seconds),
      medianJobSeconds: round(median(serviceSeconds)),
      meanPhaseSecondsPerJob: phaseSeconds,
      jobsPerReplica: perReplica,
      busyCores: {
        machine: round(machineShare * cpus().length, 2),
        evaluators: cores(used.evaluators),
        restOfBench: cores(used.bench),
        otherProcesses: cores(used.other),
        busiestOther: [...others.entries()]
          .filter(([, ticks]) => cores(ticks) > 0)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 3)
          .map(([comm, ticks]) => `${comm} ${cores(ticks)}`),
      },
      startToReadySeconds: round(readySeconds, 2),
      warmupSeconds: round(warmupSeconds, 2),
      warmupJobsPublished: published,
      loadavgAtStart: roundLoad,
    };
    console.log(
      `${replicas} replica${replicas === 1 ? ' ' : 's'}: ${JOBS} jobs in ${row.seconds.toFixed(2)} s = ` +
        `${row.jobsPerSecond.toFixed(2)} jobs/s, median job ${row.medianJobSeconds.toFixed(2)} s on its replica, ` +
        `per replica [${perReplica.join(', ')}] (ready in ${row.startToReadySeconds} s, warm-up ${row.warmupSeconds} s); ` +
        `cores busy: ${row.busyCores.machine} of ${cpus().length} (evaluators ${row.busyCores.evaluators}, ` +
        `rest of bench ${row.busyCores.restOfBench}, other ${row.busyCores.otherProcesses}); ` +
        `per job: ${Object.entries(phaseSeconds)
          .map(([k, v]) => `${k} ${v} s`)
          .join(', ')}`,
    );
    row.disturbed = row.busyCores.otherProcesses > DISTURBED_CORES;
    if (row.disturbed)
      console.warn(
        `  disturbed: other processes kept ${row.busyCores.otherProcesses} cores busy (${row.busyCores.busiestOther.join(', ')}); rerun on a quiet machine`,
      );
    rounds.push(row);
  }
  sub.unsubscribe();
} finally {
  store?.close();
  for (const p of live) if (p.child.exitCode === null && p.child.signalCode === null) await p.stop('SIGKILL');
  await nc?.close();
  await nats?.dispose();
  rmSync(fsRoot, { recursive: true, force: true });
}

const base = rounds[0].jobsPerSecond;
const scaling = Object.fromEntries(
  rounds.slice(1).map((r) => [String(r.replicas), round(r.jobsPerSecond / base)]),
);
console.log(
  `scaling: ${Object.entries(scaling)
    .map(([r, x]) => `${r} replicas ${x.toFixed(2)}×`)
    .join(', ')}`,
);
const totalSeconds = (performance.now() - started) / 1000;
const result = {
  bench: 'evaluators',
  date: new Date().toISOString(),
  quick,
  machine: {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadavg_start: loadStart,
    loadavg_end: load(),
  },
  preset: 'devnet',
  device: 'cpu',
  evalSamples: EVAL_SAMPLES,
  evalMicroBatch: EVAL_MICRO_BATCH,
  updateSamples: STEPS * BATCH,
  jobs: JOBS,
  replicaCounts: REPLICAS,
  method:
    'Real processes as in test/integration/gauntlet-evaluator.test.ts: nats-server (JetStream), a checkpoint-store on the local filesystem, ' +
    `the devnet genesis checkpoint ${WINDOW} + LATEST, and ${JOBS} distinct miners' honest signed updates of window ${WINDOW} (each trained from θ_${WINDOW} on its own pages). ` +
    'For each replica count R, R gauntlet-evaluator processes start (CPU, devnet, COHORT_THREADS=1, OPENBLAS_NUM_THREADS=1, OMP_NUM_THREADS=1, ' +
    `evalSamples ${EVAL_SAMPLES}, evalMicroBatch ${EVAL_MICRO_BATCH}: the integration test's sizes, the default of 8 samples costs about twice the measure phase) on fresh score-jobs and score-results streams (the previous round's are deleted, so results deduplication starts empty). ` +
    'Once all are ready, each scores a warm-up job first (its first job loads the checkpoint into the replica), so the measurement is steady state. ' +
    `Then the ${JOBS} ScoreJobs are published at once; seconds = first publish to the last distinct ScoreResult seen on the results subject; jobs/s = jobs / seconds; ` +
    "every result must be scored (no fault). medianJobSeconds = job_started to job_scored in the evaluators' own logs (millisecond timestamps); " +
    "meanPhaseSecondsPerJob = the evaluators' cohort_evaluator_phase_seconds (result ok) over the measurement / jobs; " +
    'busyCores = CPU time over the measurement / its wall time, from /proc/stat (machine) and /proc/<pid>/stat (the evaluators; the rest of this bench: ' +
    `this process and its other children; every other process), a round is disturbed when other processes kept more than ${DISTURBED_CORES} cores busy. ` +
    'scaling[R] = jobs/s with R replicas / jobs/s with 1.',
  rounds,
  scaling,
  disturbed: rounds.some((r) => r.disturbed),
  note:
    `This machine has ${cpus().length} cores. Each evaluator is one process whose scoring is single-threaded native work ` +
    '(four forward passes, the update decoded and applied at α_eval, θ restored), so throughput can grow at most with the cores left to ' +
    'the evaluators: at most about 2x here, and more replicas than cores only time-share them (busyCores.evaluators shows how many they got). ' +
    'nats-server, the checkpoint-store and this process are light during scoring (busyCores.restOfBench). ' +
    'The replicas are independent consumers of one work queue; how far that goes on a machine with more cores is not measured here.' +
    (quick
      ? ` Quick run: ${JOBS} jobs, so with 4 replicas each scores one job, all at once; the full run (24 jobs) is the better figure.`
      : ''),
  setupSeconds: round(setupSeconds, 1),
  totalSeconds: round(totalSeconds, 1),
};
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${out}`);
process.exit(0);
