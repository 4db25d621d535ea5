/**
 * Garbage collection of a bucket (protocol §8: old windows are removed by retention), as a pure plan
 * over one listing: which keys a retention pass deletes. A window ages by the windows written after it
 * (stored times, which a stray far-future key cannot move); nothing at or after a run's newest complete
 * checkpoint goes; each chain of checkpoints keeps its newest `keepCheckpoints` and the aggregates a
 * newcomer replays from them; `LATEST` and keys outside the layout are never planned. The
 * checkpoint-store's retention pass runs it (docs/storage.md, "Retention").
 *
 * Pure: no I/O.
 */
import { InvalidArgumentError, describeValue } from './errors.js';
import { CHECKPOINT_FILES, tryParseKey } from './storage-keys.js';
import type { CheckpointFile, StorageKey } from './storage-keys.js';

/** One object of a listing, as {@link retentionPlan} sees it. */
export interface RetentionObject {
  readonly key: string;
  /**
   * When the store made the object visible (its own clock), Unix ms: the order in which a run's windows
   * were written, which a key written later cannot change.
   */
  readonly storedUnixMs: number;
}

/** Options of {@link retentionPlan}. */
export interface RetentionOptions {
  /** A window goes once `keepWindows + 1` newer windows of its run were written after it. */
  readonly keepWindows: number;
  /** How many complete checkpoints (all three files) each chain keeps, newest first; at least 1. */
  readonly keepCheckpoints: number;
}

function checkCount(value: number, min: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new InvalidArgumentError(
      `Expected an integer >= ${min} for ${what} but received ${describeValue(value)}`,
      { reason: 'BAD_RETENTION' },
    );
  }
}

const checkpointRank: Readonly<Record<CheckpointFile, number>> = {
  'manifest.json': 0,
  'config.json': 1,
  'model.safetensors': 2,
};

type WindowKey = Exclude<StorageKey, { kind: 'latest' }>;

/** One window of a run: when its first and its last object were stored. */
interface WindowTimes {
  readonly window: number;
  first: number;
  last: number;
}

/** What {@link retentionPlan} knows of one run. */
interface RunListing {
  readonly entries: Map<string, WindowKey>;
  readonly windows: Map<number, WindowTimes>;
  /** Window → how many of its checkpoint files exist. */
  readonly checkpointFiles: Map<number, number>;
  readonly aggregates: Set<number>;
}

function groupByRun(objects: readonly RetentionObject[]): Map<string, RunListing> {
  const runs = new Map<string, RunListing>();
  for (const { key, storedUnixMs } of objects) {
    const entry = tryParseKey(key);
    if (entry === undefined || entry.kind === 'latest') continue;
    if (!Number.isFinite(storedUnixMs)) {
      throw new InvalidArgumentError(
        `Expected a time in Unix ms for storedUnixMs of ${key} but received ${describeValue(storedUnixMs)}`,
        { reason: 'BAD_RETENTION' },
      );
    }
    let run = runs.get(entry.run);
    if (run === undefined) {
      run = { entries: new Map(), windows: new Map(), checkpointFiles: new Map(), aggregates: new Set() };
      runs.set(entry.run, run);
    }
    const times = run.windows.get(entry.window);
    if (times === undefined) {
      run.windows.set(entry.window, { window: entry.window, first: storedUnixMs, last: storedUnixMs });
    } else {
      times.first = Math.min(times.first, storedUnixMs);
      times.last = Math.max(times.last, storedUnixMs);
    }
    if (run.entries.has(key)) continue;
    run.entries.set(key, entry);
    if (entry.kind === 'aggregate') run.aggregates.add(entry.window);
    if (entry.kind === 'checkpoint') {
      run.checkpointFiles.set(entry.window, (run.checkpointFiles.get(entry.window) ?? 0) + 1);
    }
  }
  return runs;
}

/** Push `value` into the min-heap `heap`, which keeps only the `size` largest values (root: the least). */
function pushBounded(heap: number[], value: number, size: number): void {
  let at: number;
  if (heap.length < size) {
    at = heap.push(value) - 1;
    while (at > 0) {
      const parent = (at - 1) >> 1;
      if ((heap[parent] as number) <= value) break;
      heap[at] = heap[parent] as number;
      at = parent;
    }
    heap[at] = value;
    return;
  }
  if (value <= (heap[0] as number)) return;
  at = 0;
  for (;;) {
    const left = 2 * at + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const child = right < heap.length && (heap[right] as number) < (heap[left] as number) ? right : left;
    if ((heap[child] as number) >= value) break;
    heap[at] = heap[child] as number;
    at = child;
  }
  heap[at] = value;
}

/**
 * The windows that aged: `keepWindows + 1` newer windows, `detached` not counted, received their first
 * object at or after the window's last one. Newest first, with a min-heap of the latest first-stored
 * times seen so far: O(n log keepWindows).
 */
function agedWindows(
  newestFirst: readonly WindowTimes[],
  detached: number | undefined,
  keepWindows: number,
): Set<number> {
  const needed = keepWindows + 1;
  const latestFirsts: number[] = [];
  const aged = new Set<number>();
  for (const { window, first, last } of newestFirst) {
    if (latestFirsts.length === needed && (latestFirsts[0] as number) >= last) aged.add(window);
    if (window !== detached) pushBounded(latestFirsts, first, needed);
  }
  return aged;
}

/**
 * Where the chain of each complete checkpoint ends: the first window it does not reach. Window w
 * reaches w + 1 when aggregate w exists, or checkpoint w + 1 is complete (the aggregator publishes one
 * at once after a window without aggregate).
 */
function chainEnds(aggregates: ReadonlySet<number>, complete: readonly number[]): Map<number, number> {
  const links = new Set(aggregates);
  for (const window of complete) if (window > 0) links.add(window - 1);
  const end = new Map<number, number>();
  for (const window of [...links].sort((a, b) => b - a)) end.set(window, end.get(window + 1) ?? window + 1);
  return new Map(complete.map((window) => [window, end.get(window) ?? window]));
}

/** The doomed keys of one run, with their window and deletion rank. */
function planRun(
  run: RunListing,
  options: RetentionOptions,
): { key: string; window: number; rank: number }[] {
  const newestFirst = [...run.windows.values()].sort((a, b) => b.window - a.window);
  const [top, next] = newestFirst;
  // One stray key looks like this: a window far beyond all others. It ages nothing and anchors nothing.
  const detached =
    top !== undefined && next !== undefined && top.window - next.window > options.keepWindows + 1
      ? top.window
      : undefined;
  const aged = agedWindows(newestFirst, detached, options.keepWindows);
  const complete = [...run.checkpointFiles]
    .filter(([, count]) => count === CHECKPOINT_FILES.length)
    .map(([window]) => window)
    .sort((a, b) => a - b);
  const anchors = complete.filter((window) => window !== detached);
  const newestCheckpoint = anchors.at(-1) ?? Number.POSITIVE_INFINITY;
  const ends = chainEnds(run.aggregates, complete);
  const kept = new Set<number>();
  const replayed: [from: number, to: number][] = []; // aggregates a newcomer replays from a kept checkpoint
  let chain: number[] = [];
  const closeChain = (): void => {
    const newest = chain.slice(-options.keepCheckpoints);
    newest.forEach((window) => kept.add(window));
    const oldest = newest[0];
    if (oldest !== undefined) replayed.push([oldest, ends.get(oldest) ?? oldest]);
    chain = [];
  };
  for (const window of complete) {
    const previous = chain.at(-1);
    if (previous !== undefined && (ends.get(previous) ?? previous) < window) closeChain();
    chain.push(window);
  }
  closeChain();
  const doomed: { key: string; window: number; rank: number }[] = [];
  for (const [key, entry] of run.entries) {
    const { window } = entry;
    if (window >= newestCheckpoint || !aged.has(window)) continue;
    if (entry.kind === 'checkpoint') {
      if (!kept.has(window)) doomed.push({ key, window, rank: checkpointRank[entry.file] });
      continue;
    }
    if (entry.kind === 'aggregate') {
      if (anchors.length === 0 || replayed.some(([from, to]) => window >= from && window < to)) continue;
    }
    doomed.push({ key, window, rank: 3 });
  }
  return doomed;
}

/**
 * The keys garbage collection may delete, decided from a listing alone (pure; runs are independent).
 * The bucket does not know the current window, and a key of any window may turn up in it (a
 * misconfigured writer, a chain reset under a persisted store, a hostile writer of a shared devnet
 * store), so no key's window number alone moves the horizon: a window ages by the windows written
 * after it. Rules, each one a "never":
 * - never a key outside the layout (someone else's object) and never `LATEST`;
 * - never anything of a window before `keepWindows + 1` newer windows of its run received their first
 *   object at or after its last one. Windows written before it do not count (a reset chain's old
 *   windows do not age the new chain's), nor does a window more than `keepWindows + 1` beyond every
 *   other window of its run (what one stray key looks like);
 * - never anything at or after the newest complete checkpoint (that far window not counted), so an
 *   upload in progress and everything a replica may still replay from it stay;
 * - never the newest `keepCheckpoints` complete checkpoints of a chain: checkpoints chain when every
 *   window from one to the next has its aggregate, or the next window has a complete checkpoint (the
 *   aggregator's rule after a window without aggregate), so a stray checkpoint supersedes nothing;
 * - never an aggregate from a kept checkpoint to the end of its chain (a newcomer replays them), and
 *   no aggregate at all while the run has no complete checkpoint.
 * Everything else of an aged window goes: updates, selections, scores, older and incomplete
 * checkpoints. The plan is ordered by window, and within a checkpoint the manifest first, so an
 * interrupted deletion leaves a checkpoint without manifest (ignored by readers), never a manifest
 * naming missing files. Input order and duplicates do not matter.
 */
export function retentionPlan(objects: readonly RetentionObject[], options: RetentionOptions): string[] {
  checkCount(options.keepWindows, 0, 'keepWindows');
  checkCount(options.keepCheckpoints, 1, 'keepCheckpoints');
  const doomed = [...groupByRun(objects).values()].flatMap((run) => planRun(run, options));
  doomed.sort((a, b) => a.window - b.window || a.rank - b.rank || (a.key < b.key ? -1 : 1));
  return doomed.map((entry) => entry.key);
}
