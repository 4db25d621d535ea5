/**
 * The devnet's terminal view. On a TTY: a block redrawn in place once a second (the window's progress
 * bar and phase, then one line per miner with its phase, loss, score and weight, then the bytes on the
 * wire and CPU use). Elsewhere (CI, a pipe, a log file): quiet, line-oriented output, one line per
 * window and one per notable event, so a log reads top to bottom.
 */

/** One miner as the view shows it. */
export interface LiveMiner {
  readonly name: string;
  /** `honest`, or the adversary's kind. */
  readonly kind: string;
  readonly phase: string;
  readonly loss: number | undefined;
  readonly score: number | undefined;
  readonly weight: number | undefined;
  readonly penalties: readonly string[];
}

/** Everything on screen at one moment. */
export interface LiveState {
  /** The chain's current window, and its place in the run (0-based). */
  readonly window: number | undefined;
  readonly index: number | undefined;
  readonly totalWindows: number;
  /** Progress through the current window, 0..1. */
  readonly windowProgress: number;
  /** What the network is doing now (`starting`, `training`, `scoring`, `finishing`). */
  readonly phase: string;
  readonly miners: readonly LiveMiner[];
  /** Bytes of updates and aggregates published so far. */
  readonly wireBytes: number;
  /** Share of all cores the network used over the last second, 0..1. */
  readonly cpu: number;
  readonly elapsedMs: number;
}

/** A view: redraws on a TTY, prints lines elsewhere. */
export interface LiveView {
  update(state: LiveState): void;
  /** A line of news (printed above the live block on a TTY). */
  line(text: string): void;
  close(): void;
}

/** What the view writes to (stderr of the command, or a buffer in tests). */
export interface ViewSink {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Human-readable bytes (B, kB, MB, GB, 1000-based). */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  // Round before choosing the unit, so 999 950 B reads 1.0 MB, not 1000.0 kB.
  while (Math.abs(Number(v.toFixed(u === 0 ? 0 : 1))) >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${u === 0 ? v.toFixed(0) : v.toFixed(1)} ${units[u]}`;
}

const clock = (ms: number): string => {
  const s = Math.floor(ms / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

/** A text progress bar of `width` cells. */
export function bar(fraction: number, width: number): string {
  const f = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

const fmt = (v: number | undefined, digits: number): string => (v === undefined ? '-' : v.toFixed(digits));

/** The lines of the live block (pure: tested without a terminal). */
export function renderLive(s: LiveState, columns = 100): string[] {
  const w =
    s.window === undefined
      ? '-'
      : `${s.window} (${Math.min((s.index ?? 0) + 1, s.totalWindows)}/${s.totalWindows})`;
  const lines = [
    `cohort devnet  window ${w} ${bar(s.windowProgress, 24)} ${s.phase}  ` +
      `wire ${formatBytes(s.wireBytes)}  cpu ${(s.cpu * 100).toFixed(0)}%  ${clock(s.elapsedMs)}`,
    `  ${'miner'.padEnd(10)} ${'kind'.padEnd(10)} ${'phase'.padEnd(12)} ${'loss'.padStart(7)} ${'score'.padStart(7)} ${'weight'.padStart(7)}  penalties`,
    ...s.miners.map(
      (m) =>
        `  ${m.name.padEnd(10)} ${m.kind.padEnd(10)} ${m.phase.padEnd(12)} ${fmt(m.loss, 3).padStart(7)} ` +
        `${fmt(m.score, 3).padStart(7)} ${fmt(m.weight, 3).padStart(7)}  ${m.penalties.join(',')}`,
    ),
  ];
  return lines.map((l) => (l.length > columns ? l.slice(0, Math.max(10, columns - 1)) : l));
}

/** One line summing up a window for logs. */
export function windowLine(s: LiveState): string {
  const miners = s.miners
    .map((m) => `${m.name}=${fmt(m.score, 3)}${m.penalties.length ? `(${m.penalties.join(',')})` : ''}`)
    .join(' ');
  const place = s.index === undefined ? '' : ` (${Math.min(s.index + 1, s.totalWindows)}/${s.totalWindows})`;
  return `[${clock(s.elapsedMs)}] window ${s.window ?? '-'}${place} ${s.phase}; wire ${formatBytes(s.wireBytes)}; cpu ${(s.cpu * 100).toFixed(0)}%; scores ${miners}`;
}

/** Create the view for `sink`: live redraw when it is a TTY, lines otherwise. */
export function createLiveView(sink: ViewSink): LiveView {
  if (sink.isTTY !== true) {
    let lastWindow: number | undefined;
    return {
      update(state) {
        if (state.window === undefined || state.window === lastWindow) return;
        lastWindow = state.window;
        sink.write(`${windowLine(state)}\n`);
      },
      line: (text) => sink.write(`${text}\n`),
      close: () => undefined,
    };
  }
  let drawn = 0;
  let last: LiveState | undefined;
  const erase = (): void => {
    if (drawn > 0) sink.write(`\x1b[${drawn}F\x1b[0J`);
    drawn = 0;
  };
  const draw = (state: LiveState): void => {
    const lines = renderLive(state, sink.columns ?? 100);
    sink.write(`${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  return {
    update(state) {
      last = state;
      erase();
      draw(state);
    },
    line(text) {
      erase();
      sink.write(`${text}\n`);
      if (last !== undefined) draw(last);
    },
    close() {
      drawn = 0;
    },
  };
}
