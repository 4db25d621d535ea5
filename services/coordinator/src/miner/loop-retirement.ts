/**
 * How the miner role ends a loop's term: the loop cuts training and waiting at once, and its upload
 * under way gets a deadline (upload-drain.ts). A lost lead gives it the service's `shutdownGraceMs` from
 * then; a shutdown (SIGTERM) gives every loop, one already winding down included, the same grace counted
 * from when the shutdown began, less a tenth of it (at most 1 s) for the hooks that run after the
 * miner's (kit's service runtime cuts them all at the grace deadline). The role closes the store only
 * once {@link LoopRetirement.settle} resolved.
 */

/** What is retired: a {@link MinerLoop}. */
export interface StoppableLoop {
  stop(deadlineMs: number): Promise<void>;
}

/** Options of {@link createLoopRetirement}. */
export interface LoopRetirementOptions {
  /** The service's `shutdownGraceMs`. */
  readonly graceMs: number;
  /** Aborted when the service's shutdown begins. */
  readonly shutdownSignal: AbortSignal;
  readonly now?: () => number;
}

/** The loops of one role winding down. */
export interface LoopRetirement {
  /** Stop `loop` now; its upload under way may finish until the deadline. */
  retire(loop: StoppableLoop): void;
  /** Shutdown: bring every retiring loop's deadline to the shutdown's; resolves when all have settled. */
  settle(): Promise<void>;
}

/** The retirement of one role's loops; see the module comment. */
export function createLoopRetirement(options: LoopRetirementOptions): LoopRetirement {
  const { graceMs, shutdownSignal } = options;
  const now = options.now ?? (() => Date.now());
  const retiring = new Set<StoppableLoop>();
  let shutdownBegan = shutdownSignal.aborted ? now() : undefined;
  shutdownSignal.addEventListener(
    'abort',
    () => {
      shutdownBegan ??= now();
    },
    { once: true },
  );
  const deadline = (): number =>
    shutdownBegan === undefined ? now() + graceMs : shutdownBegan + graceMs - Math.min(1000, graceMs / 10);
  return {
    retire(loop) {
      retiring.add(loop);
      void loop.stop(deadline()).then(() => retiring.delete(loop));
    },
    async settle() {
      await Promise.all([...retiring].map((loop) => loop.stop(deadline())));
    },
  };
}
