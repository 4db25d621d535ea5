/**
 * Every chain read goes through here: it fails fast while disconnected, gives up after the configured
 * timeout (so a stalled socket turns into DEADLINE_EXCEEDED / CHAIN_TIMEOUT, never a hung caller), and is
 * timed by kind and result.
 */
import type { ApiPromise } from '@polkadot/api';
import { CohortError, Code } from '@cohort/core';
import type { BridgeMetrics } from './bridge-metrics.js';
import type { ChainConnection } from './chain-connection.js';

/** What a read needs. */
export interface ReadDeps {
  readonly connection: ChainConnection;
  readonly metrics: BridgeMetrics;
  readonly timeoutMs: number;
}

/** Run `fn` against the live connection under the read timeout. */
export async function timedRead<T>(
  deps: ReadDeps,
  read: string,
  fn: (api: ApiPromise) => Promise<T>,
): Promise<T> {
  const end = deps.metrics.readSeconds.startTimer({ read });
  let timer: NodeJS.Timeout | undefined;
  try {
    const api = deps.connection.api();
    const result = await Promise.race([
      fn(api),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () =>
            reject(
              new CohortError(
                Code.DeadlineExceeded,
                `chain read ${read} took longer than ${deps.timeoutMs} ms`,
                {
                  reason: 'CHAIN_TIMEOUT',
                },
              ),
            ),
          deps.timeoutMs,
        );
      }),
    ]);
    end({ result: 'ok' });
    return result;
  } catch (err) {
    const error = CohortError.from(err, Code.Unavailable);
    end({ result: error.reason ?? 'error' });
    throw error;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
