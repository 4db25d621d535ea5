/**
 * One scoring job (protocol §5), in order, each step a verdict or the next:
 *
 *   fetch     the payload (own store or the miner's bucket)          absent: MISSING
 *   validate  decode against the run, window, hotkey (signature)      rejected: INVALID + codec reason
 *             and the replica's model (WRONG_MODEL)
 *             recompute the data receipt from the miner's pages
 *   sync      the replica to θ_w (sync.ts)
 *             header state fingerprint ≠ θ_w's                        OUT_OF_SYNC
 *             header receipt ≠ recomputed                             RECEIPT_MISMATCH
 *   measure   L(assigned), L(control) on θ_w; apply only this update (an aggregate of one, each tensor
 *             clipped to the job's clip reference as the window's aggregate would clip it, signed by
 *             the evaluator's key, at α_eval); L(assigned), L(control) again; θ back to θ_w through the
 *             engine's snapshot, its fingerprint checked (else the replica is dropped: REPLICA_CORRUPT)
 *
 * The measured pages are `evalSamples` of the miner's assigned pages (pagesFor with inner_steps ×
 * batch_size samples of the train split) and `evalSamples` control pages, drawn with the job's secret
 * evaluation seed (core evaluationPages, ADR 0025; without a seed, the first assigned pages and
 * controlPagesFor). A sample job (ADR 0018) stops after validate and answers the payload's
 * index sample, digests and per-tensor norms (the validator's clip references come from these). Losses
 * on θ_w are cached per θ fingerprint and page set, so a redelivered job or a repeated page set costs no
 * second pass.
 */
import {
  EVALUATION_SEED_BYTES,
  dataReceipt,
  decodeSs58,
  encodeIndexSample,
  evaluationPages,
  overlapSampleOneIn,
  pagesFor,
  sampleKeptIndices,
  smallestClipFactor,
} from '@cohort/core';
import { aggregateUpdates, blake2b256Async, decodeUpdate, objectDigest, signObject } from '@cohort/native';
import type { SparseTensor, UpdateSummary } from '@cohort/native';
import type { ScoreJob } from '@cohort/proto/cohort/gauntlet/v1/gauntlet';

import type { EvaluatorDeps } from './deps.js';
import { CannotScoreError, ReplicaCorruptError } from './errors.js';
import type { Phase } from './evaluator-metrics.js';
import { fetchPayload } from './payload.js';
import type { FetchedPayload } from './payload.js';
import { PayloadCache } from './payload-cache.js';
import { syncTo } from './sync.js';

/** Faults a miner answers for (EVALUATOR_FAILED is the work queue's). */
export type MinerFault = 'MISSING' | 'INVALID' | 'OUT_OF_SYNC' | 'RECEIPT_MISMATCH';

/** A job's answer: ScoreResult's fields, without the evaluator id the work queue adds. */
export interface ScoreAnswer {
  readonly runId: string;
  readonly window: bigint;
  readonly uid: number;
  readonly hotkey: string;
  /** '' when scored. */
  readonly fault: '' | MinerFault | 'EVALUATOR_FAILED';
  readonly detail?: string;
  readonly rejectionReason?: string;
  readonly lossAssignedBefore?: number;
  readonly lossAssignedAfter?: number;
  readonly lossRandomBefore?: number;
  readonly lossRandomAfter?: number;
  readonly payloadBlake2b256?: Uint8Array;
  /** BLAKE2b-256 of the whole object scored (what a selection names). */
  readonly objectBlake2b256?: Uint8Array;
  /** The payload's index sample (core index-sample.ts), for the validator's copier check. */
  readonly indexSample?: Uint8Array;
  readonly stateFingerprint?: Uint8Array;
  readonly payloadStateFingerprint?: Uint8Array;
  /** L2 norm of the payload's dequantized values (the validator's NORM_OUTLIER check). */
  readonly updateNorm?: number;
  /** Per-tensor L2 norms of the payload's values (the validator's clip references come from them). */
  readonly tensorNorms?: readonly number[];
  /** The smallest factor the job's clip references scaled a tensor by (1: nothing clipped). */
  readonly clipFactorMin?: number;
  readonly evalSamples?: number;
  readonly attempt?: number;
}

/** The four losses of a scored job. */
export interface Losses {
  readonly assignedBefore: number;
  readonly assignedAfter: number;
  readonly randomBefore: number;
  readonly randomAfter: number;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));
/** Cached losses kept per θ (a few windows' worth of page sets). */
const MAX_CACHED_LOSSES = 4096;

/** Each tensor's L2 norm (fp64 sum of squares in stored order): core clip-references.ts's inputs. */
export function tensorNorms(tensors: readonly { readonly values: Float32Array }[]): number[] {
  return tensors.map((t) => {
    let sum = 0;
    for (const v of t.values) sum += v * v;
    return Math.sqrt(sum);
  });
}

/** The whole update's L2 norm from its tensors' norms (the validator's NORM_OUTLIER check). */
export function updateNorm(norms: readonly number[]): number {
  return Math.sqrt(norms.reduce((sum, n) => sum + n * n, 0));
}

function badJob(message: string, details: Record<string, string | number> = {}): never {
  throw new CannotScoreError('BAD_JOB', message, details);
}

/** The job's facts, checked: the window as a number, the miner's public key, its sample count. */
interface CheckedJob {
  readonly window: number;
  readonly publicKey: Uint8Array;
  readonly sampleCount: number;
}

/** The fields every answer to `job` carries. */
function baseOf(job: ScoreJob): Pick<ScoreAnswer, 'runId' | 'window' | 'uid' | 'hotkey' | 'evalSamples'> {
  return { runId: job.runId, window: job.window, uid: job.uid, hotkey: job.hotkey, evalSamples: 0 };
}

/** The answer to `job` when the miner is at fault. */
function faultOf(
  job: ScoreJob,
  fault: MinerFault,
  detail: string,
  extra: Omit<Partial<ScoreAnswer>, 'fault'> = {},
): ScoreAnswer {
  return { ...baseOf(job), ...extra, fault, detail };
}

/** What {@link JobScorer} opened: the miner's fault, or the payload's bytes, decoded. */
type Opened =
  | { readonly kind: 'fault'; readonly answer: ScoreAnswer }
  | {
      readonly kind: 'opened';
      readonly bytes: Uint8Array;
      readonly summary: UpdateSummary;
      readonly tensors: readonly SparseTensor[];
    };

/** Scores jobs on one replica, one at a time (the caller serialises). */
export class JobScorer {
  readonly #deps: EvaluatorDeps;
  /** Losses on θ_w by `${fingerprint}:${indices}`. */
  readonly #before = new Map<string, number>();

  constructor(deps: EvaluatorDeps) {
    this.#deps = deps;
  }

  /** Score `job` (see the module comment); throws NotReadyError, CannotScoreError or any failure. */
  async score(job: ScoreJob): Promise<ScoreAnswer> {
    const deps = this.#deps;
    const checked = this.#check(job);
    const { window, publicKey } = checked;
    const opened = await this.#open(job, checked);
    if (opened.kind === 'fault') return opened.answer;
    const { bytes, summary, tensors } = opened;
    const clipTo = this.#clipReferences(job, tensors.length);

    // The receipt the header must carry: over the sample ids of the miner's assigned pages.
    const pages = pagesFor({
      runId: deps.runId,
      hotkey: job.hotkey,
      window,
      poolSize: deps.trainSamples,
      count: checked.sampleCount,
    });
    const receipt = dataReceipt([...deps.dataset.sampleIds('train', Uint32Array.from(pages))]);
    const payloadBlake2b256 = Uint8Array.from(summary.digest);
    const objectBlake2b256 = await blake2b256Async(bytes);
    const indexSample = this.#indexSample(tensors);

    await this.#timed('sync', () => syncTo(deps, window));
    const theta = deps.replica.fingerprintBytes;
    if (!equalBytes(summary.stateFingerprint, theta)) {
      return faultOf(
        job,
        'OUT_OF_SYNC',
        `computed from state ${hex(summary.stateFingerprint)}, θ_${window} is ${deps.replica.fingerprint}`,
        { payloadBlake2b256, stateFingerprint: theta, payloadStateFingerprint: summary.stateFingerprint },
      );
    }
    if (!equalBytes(summary.dataReceipt, receipt)) {
      return faultOf(
        job,
        'RECEIPT_MISMATCH',
        `the header's data receipt ${hex(summary.dataReceipt)} is not the receipt ${hex(receipt)} of its ${pages.length} assigned samples`,
        { payloadBlake2b256, stateFingerprint: theta },
      );
    }

    const measured = this.#evaluationPages(job, window, pages);
    const assigned = Uint32Array.from(measured.assigned);
    const control = Uint32Array.from(measured.control);
    const losses = await this.#timed('measure', () =>
      this.#measure(window, bytes, publicKey, assigned, control, clipTo),
    );
    const norms = tensorNorms(tensors);
    return {
      ...baseOf(job),
      fault: '',
      evalSamples: assigned.length,
      lossAssignedBefore: losses.assignedBefore,
      lossAssignedAfter: losses.assignedAfter,
      lossRandomBefore: losses.randomBefore,
      lossRandomAfter: losses.randomAfter,
      updateNorm: updateNorm(norms),
      tensorNorms: norms,
      clipFactorMin: smallestClipFactor(norms, clipTo),
      payloadBlake2b256,
      objectBlake2b256,
      indexSample,
      stateFingerprint: theta,
    };
  }

  /**
   * A sample job (ADR 0018): fetch and validate the payload like {@link score}, then answer its index
   * sample and digests, with no replica and no losses, so the validator's copy check covers an update the
   * evaluators had no time to score. MISSING and INVALID answer as they would for a score.
   */
  async sample(job: ScoreJob): Promise<ScoreAnswer> {
    const opened = await this.#open(job, this.#check(job));
    if (opened.kind === 'fault') return opened.answer;
    return {
      ...baseOf(job),
      fault: '',
      payloadBlake2b256: Uint8Array.from(opened.summary.digest),
      objectBlake2b256: await blake2b256Async(opened.bytes),
      indexSample: this.#indexSample(opened.tensors),
      tensorNorms: tensorNorms(opened.tensors),
    };
  }

  /**
   * The job's clip references (protocol §5, core clip-references.ts): none (measured unclipped), or one
   * finite reference ≥ 0 per tensor of the payload; anything else is the validator's error (BAD_JOB),
   * never the miner's.
   */
  #clipReferences(job: ScoreJob, tensors: number): readonly number[] {
    const refs = job.clipNorms;
    if (refs.length === 0) return refs;
    if (refs.length !== tensors) {
      badJob(`the job carries ${refs.length} clip references for a payload of ${tensors} tensors`);
    }
    const bad = refs.findIndex((r) => !Number.isFinite(r) || r < 0);
    if (bad >= 0) badJob(`clip reference ${bad} is ${refs[bad]}, not a finite number ≥ 0`);
    return refs;
  }

  /**
   * The pages measured (core evaluation-pages.ts, ADR 0025): with the job's 32-byte seed, a secret
   * subset of the assigned pages and seeded control pages; without one, the public draw. A seed of
   * another length is the validator's error (BAD_JOB).
   */
  #evaluationPages(job: ScoreJob, window: number, pages: readonly number[]) {
    const seed = job.evaluationSeed;
    if (seed.length !== 0 && seed.length !== EVALUATION_SEED_BYTES) {
      badJob(`the job's evaluation seed has ${seed.length} bytes, not ${EVALUATION_SEED_BYTES}`);
    }
    return evaluationPages({
      runId: this.#deps.runId,
      hotkey: job.hotkey,
      window,
      assigned: pages,
      poolSize: this.#deps.trainSamples,
      count: this.#deps.settings.evalSamples,
      seed,
    });
  }

  /** The sample of the kept coordinates the validator compares (core index-sample.ts). */
  #indexSample(tensors: readonly { readonly indices: Uint32Array }[]): Uint8Array {
    return encodeIndexSample(sampleKeptIndices(tensors, overlapSampleOneIn(this.#deps.parameterCount)));
  }

  /** Fetch and decode the job's payload against its run, window and hotkey: the bytes, or the fault. */
  async #open(job: ScoreJob, checked: CheckedJob): Promise<Opened> {
    const deps = this.#deps;
    const { window, publicKey } = checked;
    const fault = (
      f: MinerFault,
      detail: string,
      extra: Omit<Partial<ScoreAnswer>, 'fault'> = {},
    ): Opened => ({
      kind: 'fault',
      answer: faultOf(job, f, detail, extra),
    });
    const cacheId = PayloadCache.keyOf(job.payloadKey, job.bucket);
    const cached = deps.payloads.get(cacheId);
    deps.metrics.payloadCache(cached === undefined ? 'miss' : 'hit');
    const fetched: FetchedPayload =
      cached !== undefined
        ? { kind: 'found', bytes: cached }
        : await this.#timed('fetch', () =>
            fetchPayload(deps.store, job.payloadKey, job.bucket, deps.settings.maxPayloadBytes, deps.signal),
          );
    if (cached === undefined && fetched.kind === 'found') deps.payloads.set(cacheId, fetched.bytes);
    if (fetched.kind === 'missing') return fault('MISSING', `${job.payloadKey} is absent`);
    if (fetched.kind === 'too_large') {
      return fault(
        'INVALID',
        `${fetched.sizeBytes} bytes, over maxPayloadBytes ${deps.settings.maxPayloadBytes}`,
        { rejectionReason: 'TOO_LARGE' },
      );
    }
    const { bytes } = fetched;
    const decoded = await this.#timed('validate', () =>
      decodeUpdate(bytes, {
        expect: { runId: deps.runId, window, hotkey: publicKey, modelFingerprint: deps.modelFingerprint },
        limits: { maxBytes: deps.settings.maxPayloadBytes },
        tensors: true,
      }),
    );
    if (!decoded.ok) {
      let digest = new Uint8Array();
      try {
        digest = Uint8Array.from(objectDigest(bytes));
      } catch {
        // too short to carry a trailer
      }
      return fault('INVALID', decoded.detail, { rejectionReason: decoded.reason, payloadBlake2b256: digest });
    }
    return { kind: 'opened', bytes, summary: decoded.summary, tensors: decoded.tensors ?? [] };
  }

  #check(job: ScoreJob): CheckedJob {
    const deps = this.#deps;
    if (job.runId !== deps.runId)
      badJob(`the job is of run "${job.runId}", this evaluator scores "${deps.runId}"`);
    if (job.window > BigInt(Number.MAX_SAFE_INTEGER)) badJob(`window ${job.window} is out of range`);
    let publicKey: Uint8Array;
    try {
      publicKey = decodeSs58(job.hotkey);
    } catch (error) {
      badJob(
        `hotkey "${job.hotkey}" is not an SS58 address: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (job.payloadKey === '') badJob('the job names no payload_key');
    const sampleCount = job.innerSteps * job.batchSize;
    if (job.innerSteps < 1 || job.batchSize < 1 || sampleCount > deps.trainSamples) {
      badJob(
        `inner_steps ${job.innerSteps} × batch_size ${job.batchSize} must be between 1 and the ${deps.trainSamples} train samples`,
      );
    }
    return { window: Number(job.window), publicKey, sampleCount };
  }

  async #timed<T>(phase: Phase, fn: () => Promise<T>): Promise<T> {
    const done = this.#deps.metrics.phase(phase);
    try {
      const out = await fn();
      done('ok');
      return out;
    } catch (error) {
      done('error');
      throw error;
    }
  }

  async #loss(indices: Uint32Array): Promise<number> {
    const { engine } = this.#deps.replica;
    await this.#deps.ensureSamples(indices);
    return engine.evalLoss(this.#deps.dataset, 'train', indices, this.#deps.settings.evalMicroBatch);
  }

  /** L(indices) on θ_w, from the cache when this θ measured these samples already. */
  async #lossBefore(indices: Uint32Array): Promise<number> {
    const key = `${this.#deps.replica.fingerprint}:${indices.join(',')}`;
    const cached = this.#before.get(key);
    if (cached !== undefined) return cached;
    const loss = await this.#loss(indices);
    if (this.#before.size >= MAX_CACHED_LOSSES) this.#before.clear();
    this.#before.set(key, loss);
    return loss;
  }

  async #measure(
    window: number,
    payload: Uint8Array,
    publicKey: Uint8Array,
    assigned: Uint32Array,
    control: Uint32Array,
    clipTo: readonly number[],
  ): Promise<Losses> {
    const { replica, runId, hotkey, settings } = this.#deps;
    const { engine } = replica;
    const assignedBefore = await this.#lossBefore(assigned);
    const randomBefore = await this.#lossBefore(control);
    const theta = replica.fingerprintBytes;
    // Only this update: an aggregate of one, each tensor clipped to the window's reference (the job's;
    // without references its own norm is the median, so unclipped), signed by this evaluator's key, of
    // θ_w; the engine applies it like any outer step, at α_eval.
    const single = await aggregateUpdates(
      [payload],
      { runId, window, hotkey: hotkey.publicKey, stateFingerprint: theta },
      {
        expect: { runId, window, hotkeys: [publicKey] },
        limits: { maxBytes: settings.maxPayloadBytes },
        ...(clipTo.length === 0 ? {} : { clipTo }),
      },
    );
    signObject(single.bytes, hotkey);
    await engine.snapshot();
    let after: { assigned: number; random: number };
    try {
      await engine.applyAggregate(single.bytes, settings.evalAlpha, {
        runId,
        window,
        stateFingerprint: theta,
      });
      after = { assigned: await this.#loss(assigned), random: await this.#loss(control) };
    } finally {
      await this.#restore();
    }
    return {
      assignedBefore,
      assignedAfter: after.assigned,
      randomBefore,
      randomAfter: after.random,
    };
  }

  /** θ back to the snapshot θ_w, proven by its fingerprint; otherwise the replica is dropped. */
  async #restore(): Promise<void> {
    const { replica, log } = this.#deps;
    const expected = replica.fingerprint;
    let actual: string;
    try {
      await replica.engine.restoreSnapshot(); // θ ← θ_w, nothing model-sized allocated
      actual = await replica.engine.stateFingerprint();
    } catch (error) {
      replica.invalidate();
      throw error;
    }
    if (actual !== expected) {
      const window = replica.window;
      replica.invalidate();
      this.#deps.metrics.stateWindow(-1);
      log.error('replica_corrupt', { window, expected, actual });
      throw new ReplicaCorruptError(expected, actual);
    }
  }
}
