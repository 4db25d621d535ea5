/**
 * The validator role's terms of leadership: while this replica leads, one loop with an abort signal of
 * its own; when it stops leading, that signal aborts (the deposed loop publishes, saves and sets nothing
 * more) and the loop's watches stop. The chain feed forwards each window once (repeats are dropped), so
 * the window in progress when a term begins is handed to the new loop at once; otherwise a failover in
 * window w would never score w.
 */
import type { Logger } from '@cohort/kit';

import type { WindowStart } from '../miner/chain-feed.js';

/** What a term runs (the ValidatorLoop). */
export interface TermLoop {
  window(w: number, start?: WindowStart): void;
  stop(): void;
}

/** The role's side of the terms. */
export interface ValidatorTerms {
  /** The chain's window changed (whether or not this replica leads), at `start` by the chain's clock. */
  window(w: number, start?: WindowStart): void;
  /** Leadership changed. */
  lead(isLeader: boolean): void;
  /** End the current term (shutdown). */
  stop(): void;
}

/** Options of {@link createValidatorTerms}. */
export interface ValidatorTermsOptions {
  /** A new loop for a term; it stops publishing once `signal` aborts. */
  readonly newLoop: (signal: AbortSignal) => TermLoop;
  readonly log: Logger;
  /** Logged with the term's start. */
  readonly hotkey: string;
}

/** Follow leadership and the chain's windows; see the module comment. */
export function createValidatorTerms(o: ValidatorTermsOptions): ValidatorTerms {
  let term: { readonly loop: TermLoop; readonly stop: AbortController } | undefined;
  let chainWindow = -1;
  let chainStart: WindowStart | undefined;
  const end = (): void => {
    if (term === undefined) return;
    term.stop.abort();
    term.loop.stop();
    term = undefined;
    o.log.info('validator_loop_stopped', {});
  };
  return {
    window(w, start) {
      chainWindow = w;
      chainStart = start;
      term?.loop.window(w, start);
    },
    lead(isLeader) {
      if (!isLeader) return end();
      if (term !== undefined) return;
      const stop = new AbortController();
      term = { loop: o.newLoop(stop.signal), stop };
      o.log.info('validator_loop_started', { hotkey: o.hotkey, chainWindow });
      if (chainWindow >= 0) term.loop.window(chainWindow, chainStart);
    },
    stop: end,
  };
}
