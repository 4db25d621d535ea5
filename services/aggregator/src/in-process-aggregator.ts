/**
 * Aggregation in the aggregator's own process through the engine (`aggregateUpdates`): the default
 * when no `compressorAddress` is configured — one process fewer on a devnet or a single machine, at
 * the price of parsing untrusted payloads next to the signing key (ADR 0014).
 */
import { encodeSs58 } from '@cohort/core';
import { NoValidUpdatesError, aggregateUpdates } from '@cohort/native';
import type { ContributorResult } from '@cohort/native';

import { NoValidPayloadsError } from './payload-aggregator.js';
import type { ContributorVerdict, PayloadAggregator } from './payload-aggregator.js';

const verdictOf = (c: ContributorResult): ContributorVerdict => ({
  index: c.index,
  included: c.included,
  reason: c.reason,
  detail: c.detail,
  hotkey: c.hotkey === null ? null : encodeSs58(c.hotkey),
  digest: c.digest,
});

/** A {@link PayloadAggregator} over the engine; `maxBytes` caps one payload (the `maxUpdateBytes` key). */
export function createInProcessAggregator(options: { readonly maxBytes: number }): PayloadAggregator {
  return {
    kind: 'in-process',
    async aggregate(request) {
      const window = BigInt(request.window);
      try {
        const result = await aggregateUpdates(
          request.payloads.map((p) => p.bytes),
          {
            runId: request.runId,
            window,
            hotkey: request.aggregatorKey,
            stateFingerprint: request.stateFingerprint,
          },
          {
            expect: {
              runId: request.runId,
              window,
              hotkeys: request.payloads.map((p) => p.publicKey),
              modelFingerprint: request.modelFingerprint,
            },
            limits: { maxBytes: options.maxBytes },
          },
        );
        return { bytes: result.bytes, contributors: result.contributors.map(verdictOf) };
      } catch (error) {
        if (!(error instanceof NoValidUpdatesError)) throw error;
        throw new NoValidPayloadsError(error.contributors.map(verdictOf), { cause: error });
      }
    },
    close: () => undefined,
  };
}
