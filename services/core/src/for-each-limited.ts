/**
 * Run `fn` over `items` with at most `limit` calls in flight: bounded parallel downloads (the aggregator's
 * updates, an audit's payloads, a dataset's sample ranges) without a queue library. After the first
 * failure no further item is started, and the promise settles only once the calls already in flight have
 * ended, then rejects with that first error: nothing keeps writing or downloading for a caller that has
 * moved on.
 */
import { InvalidArgumentError } from './errors.js';

/** Bounded parallel map without results; see the module comment. */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  if (!Number.isSafeInteger(limit) || limit < 1)
    throw new InvalidArgumentError(`Expected a positive integer for limit but received ${limit}`);
  let next = 0;
  let failure: { readonly error: unknown } | undefined;
  const lane = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        await fn(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  if (failure !== undefined) throw failure.error;
}
