/**
 * One long call at a time on a replica. Training, encoding, applying and loading all change the one model
 * on the one engine thread; interleaving them would mix windows, so a second one is refused at once with
 * ABORTED / BUSY (the coordinator retries or reschedules) rather than queued behind a long window.
 */
import { busyError } from './worker-errors.js';

/** A non-blocking mutex that names its holder in the refusal. */
export class CallGate {
  #holder: string | undefined;

  /** What holds the gate now, if anything. */
  get holder(): string | undefined {
    return this.#holder;
  }

  /** Take the gate for `name`; returns the release function. Throws BUSY when it is held. */
  enter(name: string): () => void {
    if (this.#holder !== undefined) throw busyError(this.#holder, name);
    this.#holder = name;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#holder = undefined;
    };
  }

  /** Run `fn` holding the gate. */
  async run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const release = this.enter(name);
    try {
      return await fn();
    } finally {
      release();
    }
  }
}
