/**
 * The validator's side of the Gauntlet's work queue (`EvaluationClient`, services/coordinator) against a
 * real nats-server with JetStream: sample jobs go out first; their per-tensor norms become the window's
 * clip references (core clip-references.ts, ADR 0023), which every score job then carries; score results
 * are collected until the deadline.
 *
 * The evaluators are played by this test: a consumer on the real work queue answers each job with norms
 * and losses chosen here, so the medians and the waits can be checked exactly. The evaluator binary
 * itself, clipping to the references it is sent, is tested in gauntlet-evaluator.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { runSubjects, scoreJobsStream } from '@cohort/core';
import { EvaluationClient } from '@cohort/coordinator/evaluations';
import { connectNats, createLogger, declareScoreStreams, scoreMessageId } from '@cohort/kit';
import type { NatsHandle } from '@cohort/kit';
import { JobKind, ScoreJobSchema, ScoreResultSchema } from '@cohort/proto/cohort/gauntlet/v1/gauntlet';
import type { ScoreJob } from '@cohort/proto/cohort/gauntlet/v1/gauntlet';
import { AckPolicy } from '@nats-io/jetstream';
import { startNatsServer } from '../harness/index.js';
import type { NatsServer } from '../harness/index.js';

const RUN = 'validator-evaluations';
const SEED = new Uint8Array(32).fill(0x3c);
const JOB = { innerSteps: 2, batchSize: 2, evaluationSeed: SEED };

let server: NatsServer;
let validatorNats: NatsHandle;
let evaluatorNats: NatsHandle;
const logged: Record<string, unknown>[] = [];
let client: EvaluationClient;

/** What the played evaluators saw and did, in order. */
type Event = {
  readonly what: 'sample_answered' | 'score_received';
  readonly hotkey: string;
  readonly job: ScoreJob;
};

/**
 * Play the evaluators for one window: answer sample jobs with `norms[hotkey]` (no answer when absent) and
 * score jobs with fixed losses, logging each step; stops when `stop` aborts.
 */
async function playEvaluators(
  norms: Readonly<Record<string, number[]>>,
  events: Event[],
  stop: AbortSignal,
): Promise<void> {
  const { js, jsm } = evaluatorNats;
  const stream = scoreJobsStream(RUN);
  await jsm.consumers.add(stream, { durable_name: 'played', ack_policy: AckPolicy.Explicit });
  const consumer = await js.consumers.get(stream, 'played');
  while (!stop.aborted) {
    const msg = await consumer.next({ expires: 1000 });
    if (msg === null) continue;
    const job = fromBinary(ScoreJobSchema, msg.data);
    msg.ack();
    const sample = job.kind === JobKind.SAMPLE;
    if (!sample) events.push({ what: 'score_received', hotkey: job.hotkey, job });
    const tensorNorms = norms[job.hotkey];
    if (sample && tensorNorms === undefined) continue; // this sample job is never answered
    const result = create(ScoreResultSchema, {
      runId: RUN,
      window: job.window,
      uid: job.uid,
      hotkey: job.hotkey,
      kind: job.kind,
      fault: '',
      tensorNorms: tensorNorms ?? [],
      ...(sample
        ? {}
        : { lossAssignedBefore: 3, lossAssignedAfter: 2.9, lossRandomBefore: 3, lossRandomAfter: 2.95 }),
      evaluatorId: 'played',
    });
    await js.publish(runSubjects(RUN).scoreResults, toBinary(ScoreResultSchema, result), {
      msgID: scoreMessageId(result),
    });
    if (sample) events.push({ what: 'sample_answered', hotkey: job.hotkey, job });
  }
  await jsm.consumers.delete(stream, 'played');
}

const jobsFor = (hotkeys: readonly string[]) =>
  hotkeys.map((hotkey, i) => ({
    uid: i + 1,
    hotkey,
    payloadKey: `updates/${hotkey}`,
    firstSeenMs: 1000 + i,
  }));

before(async () => {
  server = await startNatsServer();
  const log = createLogger({ service: 'test', level: 'error' });
  validatorNats = await connectNats({ servers: [server.url], name: 'validator', log });
  evaluatorNats = await connectNats({ servers: [server.url], name: 'evaluators', log });
  await declareScoreStreams(evaluatorNats.jsm, RUN);
  client = new EvaluationClient(
    validatorNats,
    RUN,
    createLogger({
      service: 'coordinator',
      write: (l) => logged.push(JSON.parse(l) as Record<string, unknown>),
    }),
  );
});

after(async () => {
  await validatorNats.close();
  await evaluatorNats.close();
  await server.dispose();
});

test('score jobs follow every sample answer and carry the per-tensor lower medians of the sampled norms', async () => {
  const events: Event[] = [];
  const stop = new AbortController();
  // Three norm vectors of this model and one that cannot be (another tensor count): ignored.
  const norms = { a: [1, 40, 0.5], b: [3, 10, 0.25], c: [2, 20, 4], d: [5] };
  const playing = playEvaluators(norms, events, stop.signal);
  const out = await client.evaluate(
    5,
    jobsFor(['c', 'a', 'd', 'b']),
    JOB,
    { deadlineMs: Date.now() + 20_000, clipSampleWaitMs: 20_000 },
    new AbortController().signal,
  );
  stop.abort();
  await playing;
  const references = [2, 20, 0.5];
  assert.deepEqual(out.clipReferences, references);
  const scores = events.filter((e) => e.what === 'score_received');
  assert.deepEqual(
    scores.map((e) => e.hotkey),
    ['c', 'a', 'd', 'b'],
    'score jobs in the given order',
  );
  for (const e of scores) assert.deepEqual(e.job.clipNorms, references, e.hotkey);
  for (const e of scores)
    assert.deepEqual(Uint8Array.from(e.job.evaluationSeed), SEED, 'the window’s secret pages (ADR 0025)');
  const lastSample = events.findLastIndex((e) => e.what === 'sample_answered');
  const firstScore = events.findIndex((e) => e.what === 'score_received');
  assert.equal(lastSample, 3, 'four samples answered');
  assert.ok(firstScore > lastSample, 'no score job before the last sample answer');
  // Every sample job carried no references; every result came back.
  for (const e of events.filter((x) => x.what === 'sample_answered')) assert.deepEqual(e.job.clipNorms, []);
  assert.equal(out.evaluations.size, 4);
  assert.deepEqual(out.evaluations.get('a')?.tensorNorms, norms.a);
  const queued = logged.find((r) => r.event === 'score_jobs_queued' && r.window === 5);
  assert.deepEqual([queued?.clipSampled, queued?.clipTensors], [3, 3]);
});

test('a sample job never answered: the score jobs go out after clipSampleWaitMs with the others’ medians', async () => {
  const events: Event[] = [];
  const stop = new AbortController();
  const norms = { a: [1, 2], b: [3, 4] }; // c's sample job gets no answer
  const playing = playEvaluators(norms, events, stop.signal);
  const started = Date.now();
  const out = await client.evaluate(
    6,
    jobsFor(['a', 'b', 'c']),
    JOB,
    { deadlineMs: Date.now() + 20_000, clipSampleWaitMs: 800 },
    new AbortController().signal,
  );
  stop.abort();
  await playing;
  assert.deepEqual(out.clipReferences, [1, 2], 'the lower median of two');
  const scores = events.filter((e) => e.what === 'score_received');
  assert.deepEqual(
    scores.map((e) => [e.hotkey, e.job.clipNorms]),
    [
      ['a', [1, 2]],
      ['b', [1, 2]],
      ['c', [1, 2]],
    ],
  );
  assert.ok(Date.now() - started >= 800, 'the wait for the missing sample ran out first');
  assert.equal(out.evaluations.size, 3, 'c was still scored');
  assert.equal(out.samples.size, 0, 'the played evaluators send no index samples');
});

test('no sample answered in time and no wait: score jobs carry no references (measured unclipped)', async () => {
  const events: Event[] = [];
  const stop = new AbortController();
  const playing = playEvaluators({}, events, stop.signal);
  const out = await client.evaluate(
    7,
    jobsFor(['a', 'b']),
    JOB,
    { deadlineMs: Date.now() + 20_000, clipSampleWaitMs: 0 },
    new AbortController().signal,
  );
  stop.abort();
  await playing;
  assert.deepEqual(out.clipReferences, []);
  const scores = events.filter((e) => e.what === 'score_received');
  assert.deepEqual(
    scores.map((e) => [e.hotkey, e.job.clipNorms]),
    [
      ['a', []],
      ['b', []],
    ],
  );
});
