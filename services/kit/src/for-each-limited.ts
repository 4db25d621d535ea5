/**
 * Run `fn` over `items` with at most `limit` calls in flight: bounded parallel downloads (the aggregator's
 * updates, an audit's payloads) without a queue library. Rejects with the first error.
 */
export async function forEachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const index = next++;
      await fn(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
