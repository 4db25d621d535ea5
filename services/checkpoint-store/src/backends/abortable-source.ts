/**
 * Iterate an upload stream so that an abort takes effect at once, even while the source is stuck
 * in `next()` (a stalled client): the pending read is abandoned, the source is asked to `return()`,
 * and the caller sees a `StoreError` `ABORTED`. A source that throws is reported as `ABORTED` too
 * (the upload did not complete), with the original error as `cause`; a `CohortError` passes through.
 */
import { CohortError } from '@cohort/core';
import { StoreError } from './backend.js';

/** The `ABORTED` error of an aborted signal. */
export function abortedError(signal: AbortSignal, what: string): StoreError {
  return new StoreError('ABORTED', `${what} aborted`, { cause: signal.reason });
}

/** Throw `ABORTED` when `signal` has aborted (a function, so checks after an `await` are not narrowed away). */
export function throwIfAborted(signal: AbortSignal | undefined, what: string): void {
  if (signal?.aborted === true) throw abortedError(signal, what);
}

/** `source`'s chunks, stopping with `ABORTED` as soon as `signal` aborts. */
export async function* abortableSource(
  source: AsyncIterable<Uint8Array>,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array, void, undefined> {
  throwIfAborted(signal, 'upload');
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  let onAbort: () => void = () => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(abortedError(signal as AbortSignal, 'upload'));
  });
  aborted.catch(() => undefined); // observed through the race below; never an unhandled rejection
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = signal === undefined ? await iterator.next() : await Promise.race([iterator.next(), aborted]);
      } catch (error) {
        if (error instanceof CohortError) throw error;
        throw new StoreError('ABORTED', 'the upload stream failed', { cause: error });
      }
      if (next.done === true) {
        finished = true;
        return;
      }
      yield next.value;
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    // Ask an unfinished source to stop; do not wait for it (a stalled one may never answer).
    if (!finished && iterator.return !== undefined) void iterator.return().catch(() => undefined);
  }
}
