/**
 * The contributor list of an aggregate object read from its envelope (core's readAggregateEnvelope: no
 * decode of the body, which can be large). For GetAggregate and replay of aggregates this process did
 * not build itself (after a restart). The parsing is tested with core's envelope.
 */
import { readAggregateEnvelope } from '@cohort/core';

import type { ContributorRecord } from './published.js';

/** The contributors an aggregate names, or undefined when the bytes are not an aggregate's. */
export function aggregateContributors(object: Uint8Array): ContributorRecord[] | undefined {
  try {
    return readAggregateEnvelope(object).contributors.map((c) => ({
      hotkey: c.hotkey,
      payloadBlake2b256: Uint8Array.from(Buffer.from(c.digest, 'hex')),
    }));
  } catch {
    return undefined;
  }
}
