/**
 * The miner's window loop as a pure state machine (protocol §1, §3, §6, §9): events in (chain windows,
 * staleness, results of the worker, store and aggregator), commands out. The coordinator's I/O shell
 * runs the commands and feeds their results back; this file decides *what* happens and *when*, with no
 * clock or I/O of its own, so every schedule — join, catch-up, a closed window, a missing aggregate, a
 * diverged replica — is a unit test.
 *
 * The rules:
 * - The replica holds θ_s (`stateWindow` s). It trains window w only from θ_w (s = w), only while the
 *   chain is fresh, and at most once per window.
 * - Training w must finish inside w: a new window cancels it and the miner skips w (`WINDOW_CLOSED`).
 * - The update for w is uploaded in w's upload slot, which opens with window w + 1; an update encoded
 *   early waits for it.
 * - After uploading (or skipping) w, the miner fetches the aggregate A_w and applies it: θ_{w+1}. It then
 *   trains w + 1 if the chain is still in w + 1, or keeps applying aggregates until it has caught up.
 * - A replica whose fingerprint after applying differs from the aggregate's, an aggregate that cannot be
 *   had, a failed apply, or a lag of more than `maxLagWindows` leads to `resync`: load the latest
 *   checkpoint and replay (the shell's job); the miner publishes nothing until the resync reports back.
 * - A replica without state (a new or restarted miner) begins with `resync('JOIN')`; a failed resync is
 *   retried on the next event.
 * - An aggregate that is not there yet is asked for again at the next window change; one that never
 *   comes ends in `resync('BEHIND')` once the lag passes `maxLagWindows`. One the aggregator skipped
 *   (it published a newer checkpoint instead) ends in `resync('AGGREGATE_MISSING')` at once.
 * - A worker that lost its state (`replica_lost`: restarted, or at another window) cancels what is in
 *   flight for it and leads to `resync` — the window in progress is lost, nothing more.
 */

/** What the loop is doing now. */
export type MinerPhase = 'unsynced' | 'syncing' | 'idle' | 'training' | 'publishing' | 'applying';

/** An input to the machine. */
export type MinerEvent =
  | { readonly kind: 'window'; readonly window: number }
  | { readonly kind: 'stale'; readonly stale: boolean }
  | { readonly kind: 'synced'; readonly ok: boolean; readonly stateWindow?: number; readonly reason?: string }
  | { readonly kind: 'trained'; readonly window: number; readonly ok: boolean; readonly reason?: string }
  | { readonly kind: 'encoded'; readonly window: number; readonly ok: boolean; readonly reason?: string }
  | { readonly kind: 'uploaded'; readonly window: number; readonly ok: boolean; readonly reason?: string }
  | {
      readonly kind: 'aggregate';
      readonly window: number;
      readonly available: boolean;
      /** The aggregator moved past this window without publishing its aggregate (a newer checkpoint exists). */
      readonly missing?: boolean;
    }
  /** The worker lost its state (it restarted, or reports another window than the loop believes). */
  | { readonly kind: 'replica_lost'; readonly reason: string }
  | {
      readonly kind: 'applied';
      readonly window: number;
      readonly ok: boolean;
      /** The replica's fingerprint after applying. */
      readonly fingerprint?: string;
      /** The fingerprint the aggregate says replicas reach, when it says so. */
      readonly expected?: string;
      readonly reason?: string;
    };

/** An output: something for the I/O shell to do. */
export type MinerCommand =
  | { readonly kind: 'resync'; readonly reason: string }
  | { readonly kind: 'train'; readonly window: number }
  | { readonly kind: 'cancel_train'; readonly window: number }
  | { readonly kind: 'encode'; readonly window: number }
  | { readonly kind: 'upload'; readonly window: number }
  | { readonly kind: 'fetch_aggregate'; readonly window: number }
  | { readonly kind: 'apply'; readonly window: number }
  /** No update from this miner for `window`, and why (for metrics and logs). */
  | { readonly kind: 'skip'; readonly window: number; readonly reason: string };

/** Options of {@link MinerMachine}. */
export interface MinerMachineOptions {
  /** Resync instead of replaying when the replica is more than this many windows behind. Default 8. */
  readonly maxLagWindows?: number;
}

/** A read-only view of the machine, for status RPCs and metrics. */
export interface MinerSnapshot {
  readonly phase: MinerPhase;
  readonly chainWindow: number | undefined;
  readonly stateWindow: number | undefined;
  readonly stale: boolean;
  /** The window being trained or published, if any. */
  readonly workWindow: number | undefined;
}

/** The miner's loop; see the module comment. */
export class MinerMachine {
  private phase: MinerPhase = 'unsynced';
  private chainWindow: number | undefined;
  private stateWindow: number | undefined;
  private stale = false;
  private workWindow: number | undefined;
  /** The window of an encoded update waiting for its upload slot. */
  private encodedWindow: number | undefined;
  /** The highest window trained (or skipped) already: never train a window twice. */
  private lastAttempted = -1;
  /** The window whose aggregate was last asked for (ask once per window change or result). */
  private asked: number | undefined;
  private readonly maxLag: number;

  constructor(options: MinerMachineOptions = {}) {
    this.maxLag = options.maxLagWindows ?? 8;
  }

  /** The current state. */
  snapshot(): MinerSnapshot {
    return {
      phase: this.phase,
      chainWindow: this.chainWindow,
      stateWindow: this.stateWindow,
      stale: this.stale,
      workWindow: this.workWindow,
    };
  }

  /** Feed one event; returns the commands to run, in order. */
  handle(event: MinerEvent): MinerCommand[] {
    const out: MinerCommand[] = [];
    switch (event.kind) {
      case 'window':
        this.onWindow(event.window, out);
        break;
      case 'stale':
        this.stale = event.stale;
        break;
      case 'synced':
        if (this.phase !== 'syncing') return out;
        if (!event.ok || event.stateWindow === undefined) {
          // Try again on the next event (normally the next window), not in a hot loop.
          this.phase = 'unsynced';
          this.stateWindow = undefined;
          return out;
        }
        this.stateWindow = event.stateWindow;
        this.phase = 'idle';
        this.asked = undefined;
        break;
      case 'trained':
        if (this.phase !== 'training' || event.window !== this.workWindow) return out;
        if (event.ok) {
          this.phase = 'publishing';
          out.push({ kind: 'encode', window: event.window });
          return out;
        }
        out.push({ kind: 'skip', window: event.window, reason: event.reason ?? 'TRAIN_FAILED' });
        this.phase = 'idle';
        this.workWindow = undefined;
        break;
      case 'encoded':
        if (this.phase !== 'publishing' || event.window !== this.workWindow) return out;
        if (!event.ok) {
          out.push({ kind: 'skip', window: event.window, reason: event.reason ?? 'ENCODE_FAILED' });
          this.phase = 'idle';
          this.workWindow = undefined;
          break;
        }
        this.encodedWindow = event.window;
        break;
      case 'uploaded':
        if (this.phase !== 'publishing' || event.window !== this.workWindow) return out;
        if (!event.ok)
          out.push({ kind: 'skip', window: event.window, reason: event.reason ?? 'UPLOAD_FAILED' });
        this.phase = 'idle';
        this.workWindow = undefined;
        this.encodedWindow = undefined;
        break;
      case 'aggregate':
        if (this.phase !== 'idle' || event.window !== this.stateWindow) return out;
        if (!event.available && event.missing === true) return this.resync('AGGREGATE_MISSING');
        if (!event.available) {
          // Not there yet: ask again on the next window change (or resync when too far behind).
          return out;
        }
        this.phase = 'applying';
        out.push({ kind: 'apply', window: event.window });
        return out;
      case 'replica_lost':
        if (this.phase === 'syncing') return out; // the resync in flight will find out itself
        if (this.phase === 'training' && this.workWindow !== undefined) {
          out.push({ kind: 'skip', window: this.workWindow, reason: event.reason });
        } else if (this.phase === 'publishing' && this.workWindow !== undefined) {
          out.push({ kind: 'skip', window: this.workWindow, reason: event.reason });
        }
        out.push(...this.resync(event.reason));
        return out;
      case 'applied':
        if (this.phase !== 'applying' || event.window !== this.stateWindow) return out;
        if (!event.ok) return this.resync(event.reason ?? 'APPLY_FAILED');
        if (event.expected !== undefined && event.fingerprint !== event.expected) {
          return this.resync('FINGERPRINT_MISMATCH');
        }
        this.stateWindow = event.window + 1;
        this.phase = 'idle';
        this.asked = undefined;
        break;
    }
    this.advance(out);
    return out;
  }

  private resync(reason: string): MinerCommand[] {
    this.phase = 'syncing';
    this.stateWindow = undefined;
    this.workWindow = undefined;
    this.encodedWindow = undefined;
    this.asked = undefined;
    return [{ kind: 'resync', reason }];
  }

  private onWindow(window: number, out: MinerCommand[]): void {
    if (this.chainWindow !== undefined && window < this.chainWindow) {
      // The chain went back (a reorg or a restarted devnet chain): start over from a checkpoint.
      this.chainWindow = window;
      if (this.phase === 'training' && this.workWindow !== undefined) {
        out.push({ kind: 'cancel_train', window: this.workWindow });
      }
      this.lastAttempted = window - 1;
      out.push(...this.resync('CHAIN_WENT_BACK'));
      return;
    }
    this.chainWindow = window;
    this.asked = undefined;
    if (this.phase === 'training' && this.workWindow !== undefined && this.workWindow < window) {
      out.push({ kind: 'cancel_train', window: this.workWindow });
      out.push({ kind: 'skip', window: this.workWindow, reason: 'WINDOW_CLOSED' });
      this.phase = 'idle';
      this.workWindow = undefined;
    }
  }

  /** After any event: start whatever is now possible. */
  private advance(out: MinerCommand[]): void {
    const w = this.chainWindow;
    if (w === undefined) return;
    if (this.phase === 'unsynced') {
      out.push(...this.resync('JOIN'));
      return;
    }
    if (this.phase === 'publishing' && this.encodedWindow !== undefined && w > this.encodedWindow) {
      out.push({ kind: 'upload', window: this.encodedWindow });
      this.encodedWindow = undefined;
      return;
    }
    if (this.phase !== 'idle' || this.stateWindow === undefined) return;
    const s = this.stateWindow;
    if (w - s > this.maxLag) {
      out.push(...this.resync('BEHIND'));
      return;
    }
    if (s === w) {
      if (!this.stale && this.lastAttempted < w) {
        this.lastAttempted = w;
        this.phase = 'training';
        this.workWindow = w;
        out.push({ kind: 'train', window: w });
      }
      return;
    }
    if (s < w && this.asked !== s) {
      // θ_s is behind the chain: the next step is A_s, whether this miner contributed to s or not.
      if (this.lastAttempted < s) {
        this.lastAttempted = s;
        out.push({ kind: 'skip', window: s, reason: 'LATE_JOIN' });
      }
      this.asked = s;
      out.push({ kind: 'fetch_aggregate', window: s });
    }
  }
}
