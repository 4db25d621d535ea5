/**
 * The order in which a validator queues a window's score jobs (protocol §5). Evaluators take jobs first
 * in, first out, so when they cannot judge every update before the deadline, the tail of the queue is
 * left `unjudged`: no score and no place in the aggregate for that window. A fixed order (sorted
 * addresses) left the same miners at the tail every window, and an address can be ground to sort first.
 * Here each window gets its own order, a keyed shuffle no miner can predict: the rank of a hotkey is
 * BLAKE2b-256 over ("cohort-eval-order/1", run id, hotkey, window, salt) (audit-sample.ts' saltedDigest), where the salt is bytes the
 * validator draws when it takes the lead and never publishes. Pure: the salt is injected.
 */
import { saltedDigest } from './audit-sample.js';
import { InvalidArgumentError } from './errors.js';

/** What the order depends on. */
export interface EvaluationOrderInput {
  readonly runId: string;
  readonly window: number;
  /** SS58 addresses of the updates to queue (duplicates are kept once). */
  readonly hotkeys: readonly string[];
  /** The validator's secret bytes (32 from a CSPRNG in production); may be empty in tests. */
  readonly salt: Uint8Array;
}

const DOMAIN = new TextEncoder().encode('cohort-eval-order/1');

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  for (let i = 0; i < a.length && i < b.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * The hotkeys in the order to queue their jobs: ascending by their keyed BLAKE2b-256 rank (ties, which
 * need a hash collision, by address). Throws InvalidArgumentError for a window that is not a
 * non-negative safe integer.
 */
export function evaluationOrder(input: EvaluationOrderInput): string[] {
  const { runId, window, salt } = input;
  if (!Number.isSafeInteger(window) || window < 0) {
    throw new InvalidArgumentError(`Expected a non-negative integer for window but received ${window}`);
  }
  const ranked = [...new Set(input.hotkeys)].map((hotkey) => ({
    hotkey,
    rank: saltedDigest(DOMAIN, runId, hotkey, window, salt),
  }));
  ranked.sort((a, b) => compareBytes(a.rank, b.rank) || (a.hotkey < b.hotkey ? -1 : 1));
  return ranked.map((r) => r.hotkey);
}
