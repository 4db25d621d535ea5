/**
 * Which pages the Gauntlet measures an update on (protocol §5), kept secret until the window is scored
 * (ADR 0025). The control pages of {@link controlPagesFor} are a public function of public inputs, and so
 * were "the first `evalSamples` assigned pages": a miner could train on its control pages (buying gradient
 * score), or train only its first batch (the rest of its receipt is a hash of ids, not evidence). With a
 * 32-byte per-window seed only the validator knows until it publishes the window's score records, the
 * control pages and the measured subset of the assigned pages are unpredictable while the miner trains,
 * and reproducible afterwards (`cohort explain`):
 *
 * ```
 * seed_w        = deriveKey(["cohort/evaluation-seed", hex(validator secret), runId, u64 w])
 * control key   = deriveKey(["cohort/control-pages/seeded", runId, hotkey, u64 w, hex(seed_w)])
 * evaluated key = deriveKey(["cohort/evaluated-pages",      runId, hotkey, u64 w, hex(seed_w)])
 * control       = Floyd(control key, N, k)
 * measured      = [assigned[i] for i in Floyd(evaluated key, len(assigned), min(k, len(assigned)))]
 * ```
 *
 * Pure: no I/O.
 */
import { InvalidArgumentError } from './errors.js';
import { controlPagesFor, deriveKey, drawDistinct } from './sampler.js';

const toHex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Bytes of an evaluation seed. */
export const EVALUATION_SEED_BYTES = 32;
/** Domain of a window's seed from the validator's secret. */
export const EVALUATION_SEED_DOMAIN = 'cohort/evaluation-seed';
/** Domain of the seeded control pages. */
export const SEEDED_CONTROL_DOMAIN = 'cohort/control-pages/seeded';
/** Domain of the measured subset of the assigned pages. */
export const EVALUATED_PAGES_DOMAIN = 'cohort/evaluated-pages';

/**
 * The seed of window `window`, from the validator's secret (random, at least 32 bytes, never published):
 * one-way, so publishing seed_w reveals nothing of another window's.
 */
export function evaluationSeed(secret: Uint8Array, runId: string, window: number): Uint8Array {
  if (secret.length < EVALUATION_SEED_BYTES) {
    throw new InvalidArgumentError(`an evaluation secret has at least ${EVALUATION_SEED_BYTES} bytes`, {
      reason: 'EVALUATION_SECRET_SHORT',
    });
  }
  return deriveKey([EVALUATION_SEED_DOMAIN, toHex(secret), runId, BigInt(window)]);
}

/** Inputs of {@link evaluationPages}. */
export interface EvaluationPagesRequest {
  readonly runId: string;
  readonly hotkey: string;
  readonly window: number;
  /** The miner's assigned pages ({@link pagesFor}), in draw order. */
  readonly assigned: readonly number[];
  /** N: samples in the train split. */
  readonly poolSize: number;
  /** k: pages measured of each kind. */
  readonly count: number;
  /** The window's seed (32 bytes), or empty: the unseeded, public draw (a validator without a secret). */
  readonly seed: Uint8Array;
}

/** The pages an update is measured on. */
export interface EvaluationPages {
  /** The measured subset of the assigned pages. */
  readonly assigned: number[];
  /** The control pages. */
  readonly control: number[];
}

/**
 * The measured pages for `request`. With an empty seed, the public draw: the first `count` assigned
 * pages and {@link controlPagesFor}. A seed of another length is refused (`EVALUATION_SEED_INVALID`).
 */
export function evaluationPages(request: EvaluationPagesRequest): EvaluationPages {
  const { runId, hotkey, window, assigned, poolSize, seed } = request;
  const count = Math.min(request.count, poolSize);
  if (seed.length === 0) {
    return {
      assigned: assigned.slice(0, count),
      control: controlPagesFor({ runId, hotkey, window, poolSize, count }),
    };
  }
  if (seed.length !== EVALUATION_SEED_BYTES) {
    throw new InvalidArgumentError(
      `an evaluation seed has ${EVALUATION_SEED_BYTES} bytes, not ${seed.length}`,
      {
        reason: 'EVALUATION_SEED_INVALID',
      },
    );
  }
  const fields = (domain: string) => deriveKey([domain, runId, hotkey, BigInt(window), toHex(seed)]);
  const picked = drawDistinct(
    fields(EVALUATED_PAGES_DOMAIN),
    assigned.length,
    Math.min(count, assigned.length),
  );
  return {
    assigned: picked.map((i) => assigned[i]!),
    control: drawDistinct(fields(SEEDED_CONTROL_DOMAIN), poolSize, count),
  };
}
