/**
 * The validator role's window loop (protocol §1, §5–§7), an I/O shell around core's pure scoring:
 *
 *   window w begins      → watch `updates/<w>/` (first-seen by this validator's clock)
 *   window w + 1 begins  → w's upload slot is open for `uploadSlotMs` from w + 1's chain start, widened by
 *     `uploadSlotGraceMs` on both ends (upload-slot.ts); at its close:
 *     metagraph → a sample job for each update seen in the slot, then its score job, in a keyed order of
 *     their own each window → evaluators' results (or a deadline), and
 *     one more listing: what arrived after the close is LATE
 *     → verdicts (early, late, inactive, faults) → copiers from index samples (of scored and unjudged
 *     updates alike) and first-seen
 *     → scoreWindow (with the quality checks: NORM_OUTLIER, HARMFUL, NO_GAIN, LAZY; the states of peers
 *     off the metagraph dropped)
 *     → selection `selections/<w>` (never a penalised update; published even when empty, so the
 *     aggregator skips the window instead of taking every update as if this validator were down)
 *     → explanation records `scores/<w>/<hotkey>.json` (a few at a time)
 *     → score state saved → every `windowsPerWeights` windows, weights through the chain-bridge.
 *
 * The selection is time-critical: the aggregator waits for it only `selectionWaitMs` after the slot, so
 * the evaluation deadline is capped at `selectionDeadlineMs` after the (nominal, grace-less) close
 * (selection-deadline.ts) and the selection goes out before the records. Calls to the chain-bridge have
 * deadlines (`rpcTimeoutMs`, `setWeightsTimeoutMs`): a bridge that never answers costs a window its
 * scoring or its weights, never the windows queued behind it. Windows are processed one at a time, in
 * order; a window whose close comes while the previous one is still being scored waits its turn (its
 * watch still closes on time). A loop whose leadership ended (`signal`) publishes, saves and sets
 * nothing more. Everything published is derived from the score state and the window's inputs, so
 * `cohort explain` can recheck any score.
 */
import {
  buildScoreRecords,
  chooseContributors,
  encodeScoreRecord,
  encodeSelection,
  evaluationOrder,
  evaluationSeed,
  findCopiers,
  forEachLimited,
  samplePairs,
  scoreKey,
  scoreWindow,
  selectionKey,
  windowVerdicts,
} from '@cohort/core';
import type { EvaluationOutcome, PeerScoreState, ScoreRecord, WeightsShape } from '@cohort/core';
import type { Logger, ServiceClient, StoreClient } from '@cohort/kit';
import type { ChainBridgeService } from '@cohort/proto/cohort/chain/v1/chain_bridge';

import type { WindowStart } from '../miner/chain-feed.js';
import type { Evaluation, EvaluationClient } from './evaluations.js';
import type { ScoreStateFile } from './score-state.js';
import { evaluationDeadlineMs } from './selection-deadline.js';
import { judgedSeenMs, uploadSlotOf } from './upload-slot.js';
import type { UploadSlot } from './upload-slot.js';
import { UploadWatch } from './upload-watch.js';
import type { SeenUpdate } from './upload-watch.js';
import type { ValidatorMetrics } from './validator-metrics.js';
import { planWeights, weightsResult } from './weights-plan.js';

/** Explanation records written at once (after the selection; a subnet has up to 256 of them a window). */
const RECORD_CONCURRENCY = 8;

/** What the loop needs. */
export interface ValidatorLoopOptions {
  readonly runId: string;
  readonly netuid: number;
  /** This validator's SS58 hotkey (never scored: it does not mine). */
  readonly hotkey: string;
  readonly store: Pick<StoreClient, 'list' | 'put'>;
  readonly bridge: Pick<ServiceClient<typeof ChainBridgeService>, 'getMetagraph' | 'setWeights'>;
  readonly evaluations: Pick<EvaluationClient, 'evaluate'>;
  readonly state: Pick<ScoreStateFile, 'load' | 'save'>;
  readonly log: Logger;
  readonly uploadSlotMs: number;
  /** Widens the upload slot on both ends for clock skew (upload-slot.ts). */
  readonly uploadSlotGraceMs: number;
  /**
   * Chain timestamps on this process's clock (chain-time.ts); absent, or answering undefined, the slot
   * is timed from the window event's arrival.
   */
  readonly chainTime?: { toLocal(chainMs: number): number | undefined };
  readonly uploadPollMs: number;
  /** Deadline of GetMetagraph. */
  readonly rpcTimeoutMs: number;
  /** Deadline of SetWeights (longer than the bridge's wait for the extrinsic's inclusion). */
  readonly setWeightsTimeoutMs: number;
  readonly evaluationTimeoutMs: number;
  /**
   * The selection is due this long after the slot closes (below the aggregator's `selectionWaitMs`):
   * the evaluation deadline is capped so it can be (selection-deadline.ts).
   */
  readonly selectionDeadlineMs: number;
  /** Longest wait for the sample jobs' norms (the clip references) before the score jobs are queued. */
  readonly clipSampleWaitMs: number;
  readonly windowsPerWeights: number;
  readonly selectionCount: number;
  readonly copierThreshold: number;
  /**
   * Secret bytes drawn when this loop starts (each leadership term): each window's jobs are queued in
   * a keyed order no miner can predict (core's evaluationOrder), so whoever the evaluators have no time
   * left for is a different miner each window, not the one whose address sorts last.
   */
  readonly evaluationSalt: Uint8Array;
  readonly innerSteps: number;
  readonly batchSize: number;
  readonly weightsShape?: WeightsShape;
  /** Where scores, penalties, the model's loss and weights are exported (optional in tests). */
  readonly metrics?: ValidatorMetrics;
  readonly signal: AbortSignal;
}

/** The validator loop; feed it window changes. */
export class ValidatorLoop {
  readonly #o: ValidatorLoopOptions;
  readonly #watches = new Map<number, UploadWatch>();
  /** Watches whose slot is closing or whose window waits to be scored. */
  readonly #closing = new Set<UploadWatch>();
  #queue: Promise<void> = Promise.resolve();
  #peers: Map<string, PeerScoreState> | undefined;
  #lastWindow = -1;

  constructor(options: ValidatorLoopOptions) {
    this.#o = options;
  }

  /**
   * Window `w` began, at `start` by the chain's timestamps when the event carried them (events repeat and
   * may skip; a lower window restarts nothing).
   */
  window(w: number, start?: WindowStart): void {
    const o = this.#o;
    const previous = this.#watches.get(w - 1);
    if (previous !== undefined) {
      this.#watches.delete(w - 1);
      const slot = uploadSlotOf({
        start,
        arrivalMs: Date.now(),
        toLocal: (chainMs) => o.chainTime?.toLocal(chainMs),
        uploadSlotMs: o.uploadSlotMs,
        graceMs: o.uploadSlotGraceMs,
      });
      o.log.info('upload_slot', { window: w - 1, ...slot, exact: start?.exact ?? false });
      // The watch closes on time even while an earlier window is still being scored.
      this.#closing.add(previous);
      const seen = previous.close(slot.closeMs);
      this.#queue = this.#queue
        .then(() => this.#scoreWindow(w - 1, previous, seen, slot))
        .catch((error: unknown) =>
          o.log.error('window_scoring_failed', { window: w - 1, error: String(error) }),
        )
        .finally(() => this.#closing.delete(previous));
    }
    if (!this.#watches.has(w)) {
      const watch = new UploadWatch({
        store: o.store,
        runId: o.runId,
        window: w,
        pollMs: o.uploadPollMs,
        log: o.log,
      });
      watch.start();
      this.#watches.set(w, watch);
    }
    for (const [old, watch] of this.#watches) {
      if (old < w - 1) {
        watch.stop();
        this.#watches.delete(old);
      }
    }
  }

  /** Stop every watch (shutdown, or the end of a term: its `signal` aborted first). */
  stop(): void {
    for (const watch of [...this.#watches.values(), ...this.#closing]) watch.stop();
  }

  /** Resolves once every window handed in so far is processed (tests; failures are logged, not thrown). */
  settled(): Promise<void> {
    return this.#queue;
  }

  async #scoreWindow(
    w: number,
    watch: UploadWatch,
    closing: Promise<ReadonlyMap<string, SeenUpdate>>,
    slot: UploadSlot,
  ): Promise<void> {
    const o = this.#o;
    const deposed = (): boolean => o.signal.aborted; // a new leader publishes from here on
    const seen = await closing;
    if (deposed()) return;
    if (this.#peers === undefined) {
      const stored = await o.state.load();
      this.#peers = new Map(stored.peers);
      this.#lastWindow = stored.lastWindow;
    }
    if (w <= this.#lastWindow) return; // already scored before a restart
    const { neurons } = await o.bridge.getMetagraph({ netuid: o.netuid }, { timeoutMs: o.rpcTimeoutMs });
    if (deposed()) return;
    const uidOf = new Map(neurons.map((n) => [n.hotkey, n.uid]));
    const registered = neurons.map((n) => n.hotkey).filter((h) => h !== o.hotkey);
    const sightings = new Map([...seen].filter(([h]) => uidOf.has(h)));
    // When each update first appeared (copier order, jobs), and the time its lateness is judged by.
    const firstSeenMs = new Map([...sightings].map(([h, s]) => [h, s.firstSeenMs]));
    const judgedMs = new Map([...sightings].map(([h, s]) => [h, judgedSeenMs(s, slot)]));
    const prelim = windowVerdicts({ registered, firstSeenMs: judgedMs, slot, evaluations: new Map() });
    const order = evaluationOrder({
      runId: o.runId,
      window: w,
      hotkeys: prelim.inSlot,
      salt: o.evaluationSalt,
    });
    const jobs = order.map((hotkey) => ({
      uid: uidOf.get(hotkey)!,
      hotkey,
      payloadKey: seen.get(hotkey)!.key,
      firstSeenMs: seen.get(hotkey)!.firstSeenMs,
    }));
    // The window's secret pages (ADR 0025): published in the score records once the window is scored.
    const seed = evaluationSeed(o.evaluationSalt, o.runId, w);
    const now = Date.now();
    const deadlineMs = evaluationDeadlineMs({
      nowMs: now,
      closeMs: slot.nominalCloseMs,
      evaluationTimeoutMs: o.evaluationTimeoutMs,
      selectionDeadlineMs: o.selectionDeadlineMs,
    });
    const passed = deadlineMs <= now;
    if (passed) {
      // The window before ran into this one's time. Its jobs would expire unanswered and stand in the
      // evaluators' queue before the next window's: queue none, leave every update unjudged, and still
      // publish the (empty) selection at once.
      o.log.warn('evaluation_deadline_passed', { window: w, lateMs: now - deadlineMs, jobs: jobs.length });
    }
    const { evaluations: evaluated, samples } = passed
      ? { evaluations: new Map<string, Evaluation>(), samples: new Map<string, BigUint64Array>() }
      : await o.evaluations.evaluate(
          w,
          jobs,
          { innerSteps: o.innerSteps, batchSize: o.batchSize, evaluationSeed: seed },
          { deadlineMs, clipSampleWaitMs: o.clipSampleWaitMs },
          o.signal,
        );
    if (deposed()) return;
    const outcomes = new Map<string, EvaluationOutcome>([...evaluated].map(([h, e]) => [h, e.outcome]));
    // Whatever landed after the close (while the evaluators worked) is late, not missing.
    for (const [h, s] of await watch.lateArrivals()) {
      if (!uidOf.has(h)) continue;
      firstSeenMs.set(h, s.firstSeenMs);
      judgedMs.set(h, judgedSeenMs(s, slot));
    }
    const judged = windowVerdicts({ registered, firstSeenMs: judgedMs, slot, evaluations: outcomes });
    const copiers = this.#copiers(judged.verdicts, samples, firstSeenMs);
    const previous = this.#peers;
    const scores = scoreWindow(previous, judged.verdicts, {
      copiers,
      inactive: judged.inactive,
      registered,
    });
    // Quality penalties of scored updates (copiers included): such an update is never selected.
    const flagged = new Map(
      scores.explanations
        .filter((e) => e.verdict.kind === 'scored' && e.penalties.length > 0)
        .map((e) => [e.hotkey, e.penalties.map((p) => p.reason)]),
    );
    const candidates = [...judged.verdicts]
      .filter(
        ([h, v]) =>
          v.kind === 'scored' &&
          !flagged.has(h) &&
          evaluated.get(h)?.objectHash &&
          evaluated.get(h)?.payloadDigest,
      )
      .map(([h]) => ({
        uid: uidOf.get(h)!,
        hotkey: h,
        payloadBlake2b256: evaluated.get(h)!.objectHash,
        payloadDigest: evaluated.get(h)!.payloadDigest,
        finalScore: scores.states.get(h)?.finalScore ?? 0,
      }));
    const selected = candidates.length === 0 ? [] : chooseContributors(candidates, o.selectionCount);
    if (deposed()) return;
    // Even an empty selection: without one the aggregator would take every update of the window.
    await o.store.put(
      selectionKey(o.runId, w),
      encodeSelection({ runId: o.runId, window: w, validator: o.hotkey, contributors: selected }),
      { contentType: 'application/json' },
    );
    const selectionMs = Date.now() - slot.nominalCloseMs;
    if (selectionMs > o.selectionDeadlineMs) {
      o.log.warn('selection_late', { window: w, selectionMs, selectionDeadlineMs: o.selectionDeadlineMs });
    }
    if (deposed()) return;
    const records = buildScoreRecords(
      { runId: o.runId, window: w, validator: o.hotkey, evaluationSeed: Buffer.from(seed).toString('hex') },
      judged.verdicts,
      scores,
      judged.inactive,
    );
    await this.#putRecords(w, records);
    if (deposed()) return;
    this.#peers = new Map(scores.states);
    this.#lastWindow = w;
    await o.state.save({ lastWindow: w, peers: this.#peers });
    const summary = {
      window: w,
      scored: [...judged.verdicts].filter(([, v]) => v.kind === 'scored').map(([h]) => h),
      faults: Object.fromEntries(
        [...judged.verdicts]
          .filter(([, v]) => v.kind === 'fault')
          .map(([h, v]) => [h, v.kind === 'fault' ? v.reason : '']),
      ),
      copiers: Object.fromEntries(copiers),
      penalties: Object.fromEntries(flagged),
      inactive: judged.inactive,
      unjudged: judged.unjudged,
      // Unjudged updates whose sample job answered: still in the copy check.
      sampledUnjudged: judged.unjudged.filter((h) => samples.has(h)),
      selected: selected.map((s) => s.hotkey),
      // From the slot's close to the selection in the bucket (the aggregator waits selectionWaitMs).
      selectionMs,
      finalScores: Object.fromEntries([...scores.states].map(([h, s]) => [h, s.finalScore])),
    };
    o.log.info('window_scored', summary);
    o.metrics?.scored({
      ...summary,
      selected: summary.selected.length,
      modelLosses: [...evaluated.values()].flatMap((e) =>
        e.outcome.kind === 'measured' ? [e.outcome.losses.randomBefore] : [],
      ),
    });
    if (w % o.windowsPerWeights === 0) await this.#setWeights(w, uidOf);
  }

  /**
   * The window's explanation records, a few at a time. A record that cannot be written costs its
   * explanation, not the window: the selection is out and the scores stand.
   */
  async #putRecords(w: number, records: readonly ScoreRecord[]): Promise<void> {
    const o = this.#o;
    const failed: string[] = [];
    let firstError = '';
    await forEachLimited(records, RECORD_CONCURRENCY, async (record) => {
      if (o.signal.aborted) return;
      const hotkey = record.explanation.hotkey;
      try {
        await o.store.put(scoreKey(o.runId, w, hotkey), encodeScoreRecord(record), {
          contentType: 'application/json',
        });
      } catch (error) {
        failed.push(hotkey);
        firstError ||= String(error);
      }
    });
    if (failed.length > 0) {
      o.log.error('score_records_failed', { window: w, failed, of: records.length, error: firstError });
    }
  }

  /**
   * Copiers among every update with an index sample (ADR 0018): a scored update is compared with every
   * other sampled one, scored or not, so a copier is caught even when its victim went unjudged.
   */
  #copiers(
    verdicts: ReadonlyMap<string, { kind: string }>,
    samples: ReadonlyMap<string, BigUint64Array>,
    firstSeenMs: ReadonlyMap<string, number>,
  ): Map<string, string> {
    const scored = new Set([...verdicts].filter(([, v]) => v.kind === 'scored').map(([h]) => h));
    const report = findCopiers(samplePairs(samples, scored), firstSeenMs, this.#o.copierThreshold);
    if (report.ties.length > 0) this.#o.log.warn('copier_ties', { ties: report.ties });
    return new Map(report.copiers.filter((c) => scored.has(c.hotkey)).map((c) => [c.hotkey, c.copied]));
  }

  async #setWeights(w: number, uidOf: ReadonlyMap<string, number>): Promise<void> {
    const o = this.#o;
    try {
      const plan = planWeights(this.#peers ?? new Map(), uidOf, o.weightsShape);
      if (o.signal.aborted) return;
      const r = await o.bridge.setWeights(
        { netuid: o.netuid, uids: plan.uids, weights: plan.weights },
        { timeoutMs: o.setWeightsTimeoutMs },
      );
      const result = weightsResult(r);
      o.metrics?.weightsSet(plan.uids, plan.weights, result);
      o.log.info('weights_set', {
        window: w,
        uids: plan.uids,
        weights: plan.weights,
        result,
        mode: r.mode,
        status: r.outcome?.status,
        error: r.outcome?.errorName,
      });
    } catch (error) {
      o.metrics?.weightsSet([], [], 'failed');
      o.log.warn('weights_failed', { window: w, error: String(error) });
    }
  }
}
