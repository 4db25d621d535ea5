/**
 * The order in which a validator queues a window's score jobs (protocol §5). Evaluators take jobs first
 * in, first out, so when they cannot judge every update before the deadline, the tail of the queue is
 * left `unjudged`: no score and no place in the aggregate for that window. A fixed order (sorted
 * addresses) left the same miners at the tail every window, and an address can be ground to sort first.
 * Here each window gets its own order, a keyed shuffle no miner can predict: the rank of a hotkey is
 * BLAKE2b-256 over ("cohort-eval-order/1", run id, window, hotkey, salt), where the salt is bytes the
 * validator draws when it takes the lead and never publishes. Pure: the salt is injected.
 */
import { blake2b256 } from './blake2b.js';
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
const encoder = new TextEncoder();

/** The 32-byte rank of one hotkey in one window. */
function rank(prefix: Uint8Array, hotkey: string, salt: Uint8Array): Uint8Array {
  const key = encoder.encode(hotkey);
  const message = new Uint8Array(prefix.length + key.length + 1 + salt.length);
  message.set(prefix, 0);
  message.set(key, prefix.length); // a zero byte ends the address, so no hotkey is a prefix of another's input
  message.set(salt, prefix.length + key.length + 1);
  return blake2b256(message);
}

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
  const run = encoder.encode(runId);
  const prefix = new Uint8Array(DOMAIN.length + 1 + run.length + 1 + 8);
  prefix.set(DOMAIN, 0);
  prefix.set(run, DOMAIN.length + 1);
  new DataView(prefix.buffer).setBigUint64(DOMAIN.length + 1 + run.length + 1, BigInt(window), true);
  const ranked = [...new Set(input.hotkeys)].map((hotkey) => ({ hotkey, rank: rank(prefix, hotkey, salt) }));
  ranked.sort((a, b) => compareBytes(a.rank, b.rank) || (a.hotkey < b.hotkey ? -1 : 1));
  return ranked.map((r) => r.hotkey);
}
