/** A deadline for one probe, so a hung endpoint fails its own check and never stalls the report. */
import { CohortError, Code } from '@cohort/core';

/** Run `fn` with an AbortSignal that fires after `ms`; reject with DEADLINE_EXCEEDED / PREFLIGHT_TIMEOUT then. */
export async function withTimeout<T>(
  ms: number,
  what: string,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(
        new CohortError(Code.DeadlineExceeded, `${what} timed out after ${ms} ms`, {
          reason: 'PREFLIGHT_TIMEOUT',
        }),
      );
    }, ms);
  });
  try {
    return await Promise.race([fn(controller.signal), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
