/**
 * The miner's I/O shell around core's {@link MinerMachine}: chain events and worker, store and aggregate
 * results go in; the machine's commands come out and are run here (protocol §1–§3, §6, §9):
 *
 * - `train w`: pages(hotkey, w) from core's sampler over the worker's train split, TrainWindow with an
 *   abort on `cancel_train`; `encode w`: the signed payload, kept until `upload w` puts it under
 *   `updates/<w>/<hotkey>` in the upload slot.
 * - `fetch_aggregate s`: poll `aggregates/<s>` until it appears and passes the trust checks (kit's
 *   fetchTrustedAggregate: the run's aggregator signed it, its contributors are the validator's
 *   selection) and, on the windows this miner samples, the audit (audited-aggregate.ts); when the
 *   aggregator published a newer checkpoint instead (it skipped s), report it missing so the machine
 *   resyncs at once.
 * - `apply s`: ApplyAggregate on the worker (which refuses an aggregate of another θ_s: WRONG_STATE).
 * - `resync`: checkpoint + replay (resync.ts), one at a time; a newer request restarts it.
 *
 * A worker call that fails because the worker is gone or holds another window reports `replica_lost`,
 * so a SIGKILLed worker costs that window's contribution and the loop rejoins by itself once the worker
 * answers again. Every phase is timed in {@link MinerMetrics}.
 *
 * Terms: a loop lives for one term of leadership. Stopping it (shutdown, a lost lead) cuts training,
 * polls and resyncs at once and starts nothing new, but lets an upload under way finish within the
 * stop's deadline and its upload slot (upload-drain.ts). A new loop, before its JOIN resync, takes the
 * update the previous term encoded but left unpublished on the worker and publishes it in its slot
 * (payload-handover.ts) instead of training that window again.
 */
import {
  MinerMachine,
  pagesFor,
  latestKey,
  parseLatest,
  AggregateRefused,
  CohortError,
  Code,
} from '@cohort/core';
import type { MinerCommand, MinerEvent, MinerSnapshot } from '@cohort/core';
import type { Logger, StoreClient } from '@cohort/kit';

import type { AggregateSource } from './audited-aggregate.js';
import type { MinerMetrics } from './miner-metrics.js';
import { Handover } from './payload-handover.js';
import { resync } from './resync.js';
import { uploadUpdate } from './update-upload.js';
import { UploadDrain } from './upload-drain.js';
import { UploadSlots } from './upload-slots.js';
import { isReplicaLost } from './worker-link.js';
import type { WorkerLink } from './worker-link.js';

/** The worker calls the loop makes (its resyncs included). */
export type MinerWorker = Pick<WorkerLink, 'info' | 'train' | 'encode' | 'apply' | 'load'>;

/** What the loop needs. */
export interface MinerLoopOptions {
  readonly runId: string;
  /** SS58 address of the hotkey the worker signs with. */
  readonly hotkey: string;
  readonly innerSteps: number;
  readonly batchSize: number;
  readonly alpha: number;
  /** SS58 address of the run's aggregator: resyncs load only its checkpoints; undefined: any signer. */
  readonly aggregator: string | undefined;
  readonly aggregatePollMs: number;
  readonly resyncRetryMs: number;
  readonly maxLagWindows: number;
  /** The run's upload slot: window w's updates are due within this long after window w + 1 begins. */
  readonly uploadSlotMs: number;
  /** Where applied aggregates come from: trusted (core's checkAggregate), sampled windows audited. */
  readonly aggregates: AggregateSource;
  readonly worker: MinerWorker;
  readonly store: Pick<StoreClient, 'get' | 'put' | 'list'>;
  readonly log: Logger;
  readonly metrics: MinerMetrics;
}

const reasonOf = (error: unknown, fallback: string): string =>
  error instanceof CohortError && error.reason !== undefined ? error.reason : fallback;

const delay = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** The miner loop of one operator; see the module comment. */
export class MinerLoop {
  readonly #o: MinerLoopOptions;
  readonly #machine: MinerMachine;
  readonly #stop = new AbortController();
  #chainWindow: number | undefined;
  #stale = false;
  #train: { window: number; abort: AbortController } | undefined;
  readonly #payloads = new Map<number, Uint8Array>();
  readonly #aggregates = new Map<number, Uint8Array>();
  /** The last window whose aggregate was refused (logged once). */
  #refused: number | undefined;
  #polling: number | undefined;
  #resyncGeneration = 0;
  #resyncRunning = false;
  #trainSamples = 0;
  #waitTimer: ((result: 'ok' | 'error' | 'cancelled') => number) | undefined;
  readonly #slots: UploadSlots;
  readonly #drain = new UploadDrain();
  /** Whether the first resync (the term's JOIN) has begun: the handover runs before it, once. */
  #joined = false;
  /** The previous term's unpublished update (payload-handover.ts). */
  readonly #handover = new Handover();

  constructor(options: MinerLoopOptions) {
    this.#o = options;
    this.#machine = new MinerMachine({ maxLagWindows: options.maxLagWindows });
    this.#slots = new UploadSlots(options.uploadSlotMs);
  }

  /** The machine's state (for GetStatus). */
  snapshot(): MinerSnapshot {
    return this.#machine.snapshot();
  }

  /**
   * A new chain window, which began at `startedAtMs` (local clock; a loop started mid-window passes when
   * the window was first seen): window − 1's upload slot is timed from it.
   */
  window(window: number, startedAtMs: number = Date.now()): void {
    this.#slots.began(window, startedAtMs);
    this.#chainWindow = window;
    this.#feed({ kind: 'window', window });
    this.#sendHeld();
    this.#o.metrics.windows(window, this.#machine.snapshot().stateWindow);
  }

  /** The chain became stale or fresh. */
  stale(stale: boolean): void {
    this.#stale = stale;
    this.#feed({ kind: 'stale', stale });
  }

  /**
   * Stop: cancel a training in flight, every poll and resync, and start nothing new; results arriving
   * later are ignored. An upload under way runs on until `deadlineMs` (local clock; default: now) or the
   * close of its upload slot, whichever comes first, and is abandoned then (`upload_abandoned`).
   * Resolves when no upload is in flight; a later call can only bring the deadline forward.
   */
  stop(deadlineMs: number = Date.now()): Promise<void> {
    this.#stop.abort();
    this.#train?.abort.abort();
    return this.#drain.drain(deadlineMs);
  }

  #feed(event: MinerEvent): void {
    if (this.#stop.signal.aborted) return;
    for (const command of this.#machine.handle(event)) this.#run(command);
  }

  #run(command: MinerCommand): void {
    const { log, metrics } = this.#o;
    switch (command.kind) {
      case 'resync':
        metrics.resync(command.reason);
        log.info('resync_started', { reason: command.reason, chainWindow: this.#chainWindow });
        this.#resyncGeneration += 1;
        if (!this.#resyncRunning) void this.#resync();
        return;
      case 'train':
        void this.#trainWindow(command.window);
        return;
      case 'cancel_train':
        if (this.#train?.window === command.window) this.#train.abort.abort();
        return;
      case 'encode':
        void this.#encode(command.window);
        return;
      case 'upload':
        void this.#upload(command.window);
        return;
      case 'fetch_aggregate':
        if (this.#polling !== command.window) void this.#poll(command.window);
        return;
      case 'apply':
        void this.#apply(command.window);
        return;
      case 'skip':
        this.#payloads.delete(command.window);
        if (command.reason === 'LATE_JOIN' && this.#handover.sent(command.window)) return; // not skipped
        metrics.skipped(command.reason);
        log.info('window_skipped', { window: command.window, reason: command.reason });
        return;
    }
  }

  /** Report a failed worker call, and that the replica is lost when the error says so. */
  #workerFailed(event: MinerEvent, error: unknown): void {
    // `call`, not `event`: a log field named event would overwrite the record's own event name.
    this.#o.log.warn('worker_call_failed', { call: event.kind, error: String(error) });
    this.#feed(event);
    if (isReplicaLost(error)) this.#feed({ kind: 'replica_lost', reason: reasonOf(error, 'WORKER_LOST') });
  }

  async #resync(): Promise<void> {
    const { metrics, log } = this.#o;
    this.#resyncRunning = true;
    let failed = false;
    try {
      if (!this.#joined && this.#chainWindow !== undefined) {
        this.#joined = true;
        // Before the checkpoint load drops what the worker holds.
        await this.#handover.take(this.#o.worker, this.#chainWindow, log);
        if (this.#stop.signal.aborted) return; // the worker still holds it for the next term
        this.#sendHeld();
      }
      for (;;) {
        const generation = this.#resyncGeneration;
        const done = metrics.phase('resync');
        const result = await resync(
          {
            runId: this.#o.runId,
            store: this.#o.store,
            worker: this.#o.worker,
            alpha: this.#o.alpha,
            aggregator: this.#o.aggregator,
            aggregates: this.#o.aggregates,
            log,
            downloaded: (n) => metrics.bytesDown(n),
            rejected: (reason) => metrics.checkpointRejected(reason),
          },
          this.#chainWindow ?? 0,
          this.#stop.signal,
        ).catch((error: unknown) => ({ ok: false as const, reason: reasonOf(error, String(error)) }));
        done(result.ok ? 'ok' : 'error');
        if (this.#stop.signal.aborted) return;
        if (generation !== this.#resyncGeneration) continue; // asked again meanwhile: start over
        if (result.ok) {
          log.info('resync_done', { ...result, chainWindow: this.#chainWindow });
          this.#aggregates.clear();
          this.#resyncRunning = false;
          this.#feed({ kind: 'synced', ok: true, stateWindow: result.stateWindow });
          return;
        }
        log.warn('resync_failed', { reason: result.reason, retryInMs: this.#o.resyncRetryMs });
        failed = true;
        return;
      }
    } finally {
      this.#resyncRunning = false;
      if (failed) {
        this.#feed({ kind: 'synced', ok: false });
        // An unsynced machine resyncs on its next event: give it one after the retry delay.
        void delay(this.#o.resyncRetryMs, this.#stop.signal).then(() =>
          this.#feed({ kind: 'stale', stale: this.#stale }),
        );
      }
    }
  }

  /**
   * Put the handover's update once its slot is open, unless the machine claimed it first. The machine
   * never trained that window, so it hears nothing of this put: a failed one is counted here.
   */
  #sendHeld(): void {
    const w = this.#handover.window;
    if (w === undefined || this.#stop.signal.aborted) return;
    const closesAt = this.#slots.closesAt(w);
    const due = this.#handover.due(closesAt, Date.now(), this.#o.log);
    if (due === undefined) return;
    const deps = { ...this.#o, drain: this.#drain };
    void uploadUpdate(deps, due.window, due.bytes, closesAt).then((outcome) => {
      if (outcome.kind === 'uploaded' && !outcome.ok) this.#o.metrics.skipped(outcome.reason);
    });
  }

  async #trainWindow(window: number): Promise<void> {
    const { metrics, log, worker } = this.#o;
    if (this.#handover.holds(window)) {
      // The previous term trained and encoded this window: send its update, never a second training.
      await Promise.resolve(); // report after the command that asked, not inside it
      log.info('window_trained', { window, takenOver: true });
      this.#feed({ kind: 'trained', window, ok: true });
      return;
    }
    const abort = new AbortController();
    this.#train = { window, abort };
    const done = metrics.phase('train');
    try {
      if (this.#trainSamples === 0) this.#trainSamples = checkedWorker(await worker.info(), this.#o.hotkey);
      const sampleIds = pagesFor({
        runId: this.#o.runId,
        hotkey: this.#o.hotkey,
        window,
        poolSize: this.#trainSamples,
        count: this.#o.innerSteps * this.#o.batchSize,
      });
      const result = await worker.train(this.#o.runId, window, this.#o.innerSteps, sampleIds, abort.signal);
      metrics.trained(done('ok'));
      metrics.tokensPerSecond(result.tokensPerSecond);
      const lastLoss = result.losses.at(-1);
      if (lastLoss !== undefined) metrics.trainLoss(lastLoss);
      log.info('window_trained', {
        window,
        losses: result.losses,
        tokensPerSecond: result.tokensPerSecond,
      });
      this.#feed({ kind: 'trained', window, ok: true });
    } catch (error) {
      const cancelled = abort.signal.aborted;
      metrics.trained(done(cancelled ? 'cancelled' : 'error'));
      if (cancelled) return; // the machine already moved on (window closed or shutdown)
      this.#workerFailed(
        { kind: 'trained', window, ok: false, reason: reasonOf(error, 'TRAIN_FAILED') },
        error,
      );
    } finally {
      if (this.#train?.abort === abort) this.#train = undefined;
    }
  }

  async #encode(window: number): Promise<void> {
    const held = this.#handover.claim(window);
    if (held !== undefined) {
      await Promise.resolve();
      this.#payloads.set(window, held);
      this.#feed({ kind: 'encoded', window, ok: true });
      return;
    }
    const done = this.#o.metrics.phase('encode');
    try {
      this.#payloads.set(window, await this.#o.worker.encode(window));
      done('ok');
      this.#feed({ kind: 'encoded', window, ok: true });
    } catch (error) {
      done('error');
      this.#workerFailed(
        { kind: 'encoded', window, ok: false, reason: reasonOf(error, 'ENCODE_FAILED') },
        error,
      );
    }
  }

  async #upload(window: number): Promise<void> {
    const bytes = this.#payloads.get(window);
    this.#payloads.delete(window);
    if (bytes === undefined) {
      this.#feed({ kind: 'uploaded', window, ok: false, reason: 'NO_PAYLOAD' });
      return;
    }
    const deps = { ...this.#o, drain: this.#drain };
    const outcome = await uploadUpdate(deps, window, bytes, this.#slots.closesAt(window));
    if (outcome.kind === 'uploaded') this.#feed({ window, ...outcome });
  }

  /** Is the machine still waiting for A_s? */
  #wants(s: number): boolean {
    const snap = this.#machine.snapshot();
    return snap.phase === 'idle' && snap.stateWindow === s;
  }

  async #poll(s: number): Promise<void> {
    const { store, runId, metrics, log } = this.#o;
    this.#polling = s;
    this.#waitTimer ??= metrics.phase('wait');
    try {
      while (!this.#stop.signal.aborted && this.#wants(s)) {
        try {
          const object = await this.#fetchAggregate(s);
          if (object !== undefined) {
            metrics.bytesDown(object.bytes.length);
            this.#aggregates.set(s, object.bytes);
            this.#waitTimer?.('ok');
            this.#waitTimer = undefined;
            this.#polling = undefined;
            this.#feed({ kind: 'aggregate', window: s, available: true });
            return;
          }
          const latest = await store.get(latestKey(runId), { signal: this.#stop.signal });
          if (latest !== undefined && parseLatest(latest.bytes).window > s) {
            this.#waitTimer?.('error');
            this.#waitTimer = undefined;
            this.#polling = undefined;
            log.warn('aggregate_missing', { window: s, latestCheckpoint: parseLatest(latest.bytes).window });
            this.#feed({ kind: 'aggregate', window: s, available: false, missing: true });
            return;
          }
        } catch (error) {
          log.warn('aggregate_poll_failed', { window: s, error: String(error) });
        }
        await delay(this.#o.aggregatePollMs, this.#stop.signal);
      }
    } finally {
      if (this.#polling === s) this.#polling = undefined;
    }
  }

  /**
   * A_s when published, trusted and (on a sampled window) audited. A refused aggregate is never
   * applied: it is logged once per window (`aggregate_refused` with the reason) and counted, and the
   * miner keeps waiting — for a checkpoint past s (then it resyncs) or for an operator to fix the trust.
   */
  async #fetchAggregate(s: number): Promise<{ bytes: Uint8Array } | undefined> {
    const { aggregates, metrics, log } = this.#o;
    try {
      return await aggregates.fetch(s, this.#stop.signal);
    } catch (error) {
      if (!(error instanceof AggregateRefused)) throw error;
      if (this.#refused !== s) {
        this.#refused = s;
        metrics.aggregateRefused(error.reason);
        log.error('aggregate_refused', { window: s, reason: error.reason, detail: error.message });
      }
      return undefined;
    }
  }

  async #apply(s: number): Promise<void> {
    const { metrics, log, worker, alpha } = this.#o;
    const bytes = this.#aggregates.get(s);
    this.#aggregates.delete(s);
    if (bytes === undefined) {
      this.#feed({ kind: 'applied', window: s, ok: false, reason: 'NO_AGGREGATE' });
      return;
    }
    const done = metrics.phase('apply');
    try {
      const fingerprint = await worker.apply(s, alpha, bytes);
      done('ok');
      log.info('aggregate_applied', { window: s, bytes: bytes.length, stateFingerprint: fingerprint });
      this.#feed({ kind: 'applied', window: s, ok: true, fingerprint });
      const snap = this.#machine.snapshot();
      if (this.#chainWindow !== undefined) metrics.windows(this.#chainWindow, snap.stateWindow);
    } catch (error) {
      done('error');
      this.#workerFailed(
        { kind: 'applied', window: s, ok: false, reason: reasonOf(error, 'APPLY_FAILED') },
        error,
      );
    }
  }
}

/**
 * The train split's size of a worker that signs with `hotkey` (the key its updates are published under).
 * A worker with another key would make every update INVALID: refused (WORKER_HOTKEY_MISMATCH).
 */
function checkedWorker(
  info: { readonly trainSamples: number; readonly hotkey: string },
  hotkey: string,
): number {
  if (info.hotkey !== '' && info.hotkey !== hotkey) {
    throw new CohortError(
      Code.FailedPrecondition,
      `the gpu-worker signs with ${info.hotkey}, not this coordinator's hotkeyAddress ${hotkey}: every update would be INVALID; give both the same hotkey`,
      { reason: 'WORKER_HOTKEY_MISMATCH' },
    );
  }
  return info.trainSamples;
}
