/**
 * The validator loop against in-memory doubles of its store, chain-bridge, evaluators and state file:
 * what it publishes in which order, when it stops waiting, and what a deposed leader leaves alone.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import {
  DEFAULT_WEIGHTS_SHAPE,
  encodeSs58,
  evaluationSeed,
  initialPeerState,
  parseScoreRecord,
  parseSelection,
  scoreKey,
  selectionKey,
  updateKey,
} from '@cohort/core';
import type { PeerScoreState } from '@cohort/core';
import { createLogger } from '@cohort/kit';
import { ExtrinsicOutcome_Status, SetWeightsResponse_Mode } from '@cohort/proto/cohort/chain/v1/chain_bridge';
import { ScoreResultSchema } from '@cohort/proto/cohort/gauntlet/v1/gauntlet';
import { Registry } from 'prom-client';

import { evaluationOf } from './evaluations.js';
import type { Evaluation, EvaluationTiming, JobSpec, WindowEvaluations } from './evaluations.js';
import { selectionMarginMs } from './selection-deadline.js';
import { createValidatorMetrics } from './validator-metrics.js';
import { ValidatorLoop } from './validator-loop.js';
import type { ValidatorLoopOptions } from './validator-loop.js';

const RUN = 'loop-test';
const W = 10;
const address = (i: number): string => encodeSs58(new Uint8Array(32).fill(i));
const VALIDATOR = address(200);
const [A, B, C, IDLE, GONE] = [1, 2, 3, 4, 5].map(address) as [string, string, string, string, string];

const measured = (gain: number): Evaluation => ({
  outcome: {
    kind: 'measured',
    losses: { assignedBefore: 3, assignedAfter: 3 - 2 * gain, randomBefore: 3, randomAfter: 3 - gain },
  },
  objectHash: 'ab'.repeat(32),
  payloadDigest: 'cd'.repeat(32),
  indexSample: new BigUint64Array(),
  tensorNorms: [],
  detail: '',
});
const invalid: Evaluation = { ...measured(0), outcome: { kind: 'fault', fault: 'INVALID' } };

/** The doubles and what they saw. */
function harness(o: {
  readonly answers: (jobs: readonly JobSpec[]) => Map<string, Evaluation>;
  readonly registered?: readonly string[];
  readonly peers?: ReadonlyMap<string, PeerScoreState>;
  readonly setWeights?: { mode: SetWeightsResponse_Mode; status: ExtrinsicOutcome_Status };
  readonly options?: Partial<ValidatorLoopOptions>;
  /** Runs inside the evaluators' wait (a leadership change, say). */
  readonly whileEvaluating?: () => void;
  /** How long the metagraph read takes. */
  readonly metagraphMs?: number;
}) {
  const objects = new Map<string, Uint8Array>();
  const puts: string[] = [];
  const timings: EvaluationTiming[] = [];
  const seeds: Uint8Array[] = [];
  const saved: { lastWindow: number; peers: ReadonlyMap<string, PeerScoreState> }[] = [];
  const weights: { uids: number[]; weights: number[] }[] = [];
  /** The call options each bridge call was made with. */
  const bridgeCalls: { method: string; options: unknown }[] = [];
  const logs: Record<string, unknown>[] = [];
  const registry = new Registry();
  const stop = new AbortController();
  const registered = o.registered ?? [A, B, C];
  const loop = new ValidatorLoop({
    runId: RUN,
    netuid: 3,
    hotkey: VALIDATOR,
    store: {
      list: (prefix: string) =>
        Promise.resolve(
          [...objects.keys()]
            .filter((k) => k.startsWith(prefix))
            .map((key) => ({ key }) as Awaited<ReturnType<ValidatorLoopOptions['store']['list']>>[number]),
        ),
      put: (key: string, bytes: Uint8Array) => {
        puts.push(key);
        objects.set(key, bytes);
        return Promise.resolve({ info: undefined, created: true });
      },
    },
    bridge: {
      getMetagraph: async (_r: unknown, options?: unknown) => {
        bridgeCalls.push({ method: 'getMetagraph', options });
        await new Promise((resolve) => setTimeout(resolve, o.metagraphMs ?? 0));
        return {
          neurons: [VALIDATOR, ...registered].map((hotkey, uid) => ({ hotkey, uid })),
        } as Awaited<ReturnType<ValidatorLoopOptions['bridge']['getMetagraph']>>;
      },
      setWeights: (r: { uids?: number[]; weights?: number[] }, options?: unknown) => {
        bridgeCalls.push({ method: 'setWeights', options });
        weights.push({ uids: r.uids ?? [], weights: r.weights ?? [] });
        const answer = o.setWeights ?? {
          mode: SetWeightsResponse_Mode.DIRECT,
          status: ExtrinsicOutcome_Status.INCLUDED,
        };
        return Promise.resolve({
          mode: answer.mode,
          outcome: { status: answer.status, errorName: '' },
        }) as ReturnType<ValidatorLoopOptions['bridge']['setWeights']>;
      },
    },
    evaluations: {
      evaluate: (
        _w: number,
        jobs: readonly JobSpec[],
        job: { readonly evaluationSeed: Uint8Array },
        timing: EvaluationTiming,
      ) => {
        timings.push(timing);
        seeds.push(job.evaluationSeed);
        o.whileEvaluating?.();
        const result: WindowEvaluations = {
          evaluations: o.answers(jobs),
          samples: new Map(),
          clipReferences: [],
        };
        return Promise.resolve(result);
      },
    },
    state: {
      load: () => Promise.resolve({ lastWindow: -1, peers: o.peers ?? new Map() }),
      save: (s) => {
        saved.push(s);
        return Promise.resolve();
      },
    },
    log: createLogger({
      service: 'test',
      level: 'debug',
      write: (line) => void logs.push(JSON.parse(line) as Record<string, unknown>),
    }),
    uploadSlotMs: 40,
    uploadSlotGraceMs: 0,
    uploadPollMs: 5,
    rpcTimeoutMs: 30_000,
    setWeightsTimeoutMs: 180_000,
    evaluationTimeoutMs: 60_000,
    selectionDeadlineMs: 45_000,
    clipSampleWaitMs: 0,
    windowsPerWeights: 1,
    selectionCount: 20,
    copierThreshold: 0.4,
    evaluationSalt: new Uint8Array(32),
    innerSteps: 2,
    batchSize: 2,
    metrics: createValidatorMetrics(registry),
    signal: stop.signal,
    ...o.options,
  });
  /** Watch W, open its slot, upload `uploaders`' updates in it, and wait until W is processed. */
  const runWindow = async (uploaders: readonly string[]): Promise<{ closeFrom: number; closeTo: number }> => {
    loop.window(W);
    await new Promise((resolve) => setTimeout(resolve, 10));
    const before = Date.now();
    loop.window(W + 1);
    const after = Date.now();
    for (const h of uploaders) objects.set(updateKey(RUN, W, h), new Uint8Array([1]));
    await loop.settled();
    loop.stop();
    const slot = o.options?.uploadSlotMs ?? 40;
    return { closeFrom: before + slot, closeTo: after + slot };
  };
  const events = (event: string) => logs.filter((r) => r.event === event);
  const metric = async (name: string, labels: Record<string, string> = {}) =>
    (await registry.getMetricsAsJSON())
      .find((m) => m.name === name)
      ?.values.filter((v) =>
        Object.entries(labels).every(
          ([k, want]) => String((v.labels as Record<string, unknown>)[k]) === want,
        ),
      ) ?? [];
  return {
    loop,
    objects,
    puts,
    timings,
    seeds,
    saved,
    weights,
    bridgeCalls,
    logs,
    events,
    metric,
    stop,
    runWindow,
  };
}

test('the selection goes out first, the records after; the evaluation deadline is capped by it', async () => {
  const h = harness({
    answers: () =>
      new Map([
        [A, measured(0.03)],
        [B, measured(0.02)],
        [C, measured(0.01)],
      ]),
    options: { selectionDeadlineMs: 1000 },
  });
  const { closeFrom, closeTo } = await h.runWindow([A, B, C]);
  assert.deepEqual(h.events('window_scoring_failed'), []);
  assert.equal(h.puts[0], selectionKey(RUN, W), 'the selection before anything else');
  assert.deepEqual(
    h.puts.slice(1).sort(),
    [A, B, C].map((k) => scoreKey(RUN, W, k)).sort(),
    'then one record per peer',
  );
  const selection = parseSelection(h.objects.get(selectionKey(RUN, W))!, { runId: RUN, window: W });
  assert.deepEqual(selection.contributors.map((c) => c.hotkey).sort(), [A, B, C].sort());
  // evaluationTimeoutMs (60 s) would run far past the aggregator's wait: the selection deadline cuts it.
  const { deadlineMs } = h.timings[0]!;
  const margin = selectionMarginMs(1000);
  assert.ok(
    deadlineMs >= closeFrom + 1000 - margin && deadlineMs <= closeTo + 1000 - margin,
    `${deadlineMs}`,
  );
  const scored = h.events('window_scored')[0]!;
  assert.ok(typeof scored.selectionMs === 'number' && scored.selectionMs < 1000);
});

test('past the selection deadline before any job went out: no jobs, an empty selection at once', async () => {
  const h = harness({
    answers: () => new Map([[A, measured(0.03)]]),
    metagraphMs: 60,
    options: { selectionDeadlineMs: 20 },
  });
  await h.runWindow([A, B]);
  assert.deepEqual(h.timings, [], 'nothing queued for the evaluators');
  assert.equal(h.events('evaluation_deadline_passed').length, 1);
  assert.equal(h.puts[0], selectionKey(RUN, W));
  assert.deepEqual(parseSelection(h.objects.get(selectionKey(RUN, W))!).contributors, []);
  assert.deepEqual((h.events('window_scored')[0]!.unjudged as string[]).sort(), [A, B].sort());
});

test('a window whose every update is rejected still gets its selection: an empty one', async () => {
  // A sign-flipped update the evaluator reports with a NaN loss is unjudged; it fails nobody else.
  const nan = evaluationOf(
    create(ScoreResultSchema, {
      fault: '',
      lossAssignedBefore: 3,
      lossAssignedAfter: Number.NaN,
      lossRandomBefore: 3,
      lossRandomAfter: 2.9,
    }),
  );
  const h = harness({
    answers: () =>
      new Map([
        [A, invalid],
        [B, invalid],
        [C, nan],
      ]),
  });
  await h.runWindow([A, B, C]);
  assert.deepEqual(h.events('window_scoring_failed'), []);
  const bytes = h.objects.get(selectionKey(RUN, W));
  assert.ok(bytes, 'published although empty');
  const selection = parseSelection(bytes, { runId: RUN, window: W });
  assert.equal(selection.validator, VALIDATOR);
  assert.deepEqual(selection.contributors, []);
  const scored = h.events('window_scored')[0]!;
  assert.deepEqual(scored.unjudged, [C], 'the bad measurement leaves only its own update unjudged');
  assert.deepEqual(Object.keys(scored.faults as object).sort(), [A, B].sort());
  assert.equal(h.saved.length, 1, 'the window is scored');
});

test('a leader deposed while the evaluators work publishes, saves and sets nothing', async () => {
  const term: { stop?: AbortController } = {};
  const h = harness({
    answers: () => new Map([[A, measured(0.03)]]),
    whileEvaluating: () => term.stop?.abort(),
  });
  term.stop = h.stop;
  await h.runWindow([A]);
  assert.deepEqual(h.puts, [], 'no selection, no records');
  assert.deepEqual(h.saved, []);
  assert.deepEqual(h.weights, []);
  assert.deepEqual(h.events('window_scored'), []);
});

test('weights: a commit is counted as committed; burn share 1 sets everything on the burn uid', async () => {
  const h = harness({
    answers: () => new Map([[A, measured(0.03)]]),
    setWeights: { mode: SetWeightsResponse_Mode.COMMIT, status: ExtrinsicOutcome_Status.INCLUDED },
    options: { weightsShape: { ...DEFAULT_WEIGHTS_SHAPE, burnShare: 1, burnUid: 7 } },
  });
  await h.runWindow([A]);
  assert.deepEqual(h.weights, [{ uids: [7], weights: [65535] }]);
  assert.equal((await h.metric('cohort_validator_weight_sets_total', { result: 'committed' }))[0]?.value, 1);
  assert.deepEqual(await h.metric('cohort_validator_weight_sets_total', { result: 'ok' }), []);
  assert.equal(h.events('weights_set')[0]!.result, 'committed');
});

test('weights: a plan that cannot be made is a logged weights_failed, not a failed window', async () => {
  const h = harness({
    answers: () => new Map([[A, measured(0.03)]]),
    options: { weightsShape: { ...DEFAULT_WEIGHTS_SHAPE, gatherCount: 0 } },
  });
  await h.runWindow([A]);
  assert.deepEqual(h.weights, [], 'nothing sent');
  assert.equal(h.events('weights_failed').length, 1);
  assert.deepEqual(h.events('window_scoring_failed'), []);
  assert.equal((await h.metric('cohort_validator_weight_sets_total', { result: 'failed' }))[0]?.value, 1);
});

test('states of hotkeys off the metagraph are dropped; idle ones without a state get no record', async () => {
  const known = { ...initialPeerState(), finalScore: 2, binaryEma: 0.5 };
  const h = harness({
    answers: () => new Map([[A, measured(0.03)]]),
    registered: [A, B, IDLE],
    peers: new Map([
      [B, known],
      [GONE, known],
    ]),
  });
  await h.runWindow([A]);
  const peers = h.saved[0]!.peers;
  assert.deepEqual([...peers.keys()].sort(), [A, B].sort(), 'GONE deregistered, IDLE never had a state');
  assert.equal(peers.get(B)!.inactiveWindows, 1, 'a known idle peer decays');
  assert.deepEqual(h.puts.slice(1).sort(), [scoreKey(RUN, W, A), scoreKey(RUN, W, B)].sort());
  const labels = (await h.metric('cohort_validator_final_score')).map((v) => v.labels.hotkey);
  assert.deepEqual(labels.sort(), [A, B].sort(), 'no label left for GONE');
});

test('the jobs carry the window’s secret evaluation seed, and the records publish it afterwards', async () => {
  const secret = new Uint8Array(32).fill(7);
  const h = harness({
    answers: () => new Map([[A, measured(0.03)]]),
    options: { evaluationSalt: secret },
  });
  await h.runWindow([A]);
  const seed = evaluationSeed(secret, RUN, W);
  assert.deepEqual(h.seeds, [seed], 'one evaluation, with seed_W');
  const record = parseScoreRecord(h.objects.get(scoreKey(RUN, W, A))!);
  assert.equal(record.evaluationSeed, Buffer.from(seed).toString('hex'));
});

test('the bridge calls carry their deadlines: a bridge that never answers cannot hold the queue', async () => {
  const h = harness({
    answers: () => new Map([[A, measured(0.03)]]),
    options: { rpcTimeoutMs: 1234, setWeightsTimeoutMs: 5678 },
  });
  await h.runWindow([A]);
  assert.deepEqual(h.bridgeCalls, [
    { method: 'getMetagraph', options: { timeoutMs: 1234 } },
    { method: 'setWeights', options: { timeoutMs: 5678 } },
  ]);
});

test('the slot runs from the chain start of W + 1, not from this validator’s late event', async () => {
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  const put = (h: { objects: Map<string, Uint8Array> }, hotkey: string) =>
    h.objects.set(updateKey(RUN, W, hotkey), new Uint8Array([1]));
  const slotMs = 600;
  const graceMs = 40;
  const box: { objects?: Map<string, Uint8Array> } = {};
  const h = harness({
    registered: [A, B, C, IDLE],
    answers: (jobs) => new Map(jobs.map((j) => [j.hotkey, measured(0.01)])),
    // After the slot and its grace closed: only the listing for late arrivals finds it.
    whileEvaluating: () => put(box as { objects: Map<string, Uint8Array> }, IDLE),
    options: {
      uploadSlotMs: slotMs,
      uploadSlotGraceMs: graceMs,
      // A chain clock equal to this one: chain timestamps are local times here.
      chainTime: { toLocal: (chainMs) => chainMs },
    },
  });
  box.objects = h.objects;
  h.loop.window(W);
  await sleep(10);
  put(h, C); // well before W + 1 began on chain (more than the grace): early
  await sleep(200);
  const chainStart = Date.now(); // block 0 of W + 1
  await sleep(graceMs + 60);
  put(h, A); // in the slot, though before this validator heard of W + 1
  await sleep(200);
  const heard = Date.now(); // this validator's bridge was late by a quarter second or more
  h.loop.window(W + 1, {
    window: W + 1,
    chainMs: chainStart,
    earliestChainMs: chainStart,
    exact: true,
    localMs: heard,
  });
  await sleep(20);
  put(h, B); // in the slot, after the event
  await h.loop.settled();
  h.loop.stop();

  const slot = h.events('upload_slot')[0]!;
  assert.equal(slot.basis, 'chain');
  assert.equal(slot.openMs, chainStart - graceMs);
  assert.equal(slot.nominalCloseMs, chainStart + slotMs);
  assert.equal(slot.closeMs, chainStart + slotMs + graceMs);
  assert.ok((slot.lagMs as number) >= 250, `lag ${String(slot.lagMs)}`);
  const scored = h.events('window_scored')[0]!;
  assert.deepEqual((scored.scored as string[]).sort(), [A, B].sort(), 'A and B were on time');
  assert.deepEqual(scored.faults, { [C]: 'EARLY', [IDLE]: 'LATE' });
});

test('without a usable chain clock the slot is timed from the event, widened by the grace', async () => {
  const h = harness({
    answers: () => new Map([[A, measured(0.03)]]),
    options: { uploadSlotGraceMs: 25, chainTime: { toLocal: () => undefined } },
  });
  const { closeFrom, closeTo } = await h.runWindow([A]);
  const slot = h.events('upload_slot')[0]!;
  assert.equal(slot.basis, 'arrival');
  const close = slot.closeMs as number;
  assert.ok(close >= closeFrom + 25 && close <= closeTo + 25, `${close}`);
  assert.equal(slot.nominalCloseMs, close - 25);
  assert.equal(slot.openMs, close - 25 - 40 - 25);
  assert.deepEqual(h.events('window_scored')[0]!.scored, [A]);
});
