/**
 * Poll a condition until it yields a value: how the network tests wait on the JSON logs of many
 * processes. A timeout names what was awaited and, with `diag`, the state of everything involved.
 */

/** Resolve with `fn()`'s first defined value (awaited), polled every 250 ms; reject after `timeoutMs`. */
export async function until<T>(
  what: string,
  fn: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  diag?: () => string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${diag ? `\n${diag()}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
