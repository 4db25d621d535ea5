/**
 * `addScaled`: x + alpha·y on float32 vectors in the native engine. The smallest real op across the
 * boundary: validated here, run on a libuv pool thread, result in a new Float32Array.
 */
import { InvalidArgumentError, expectedMessage } from '@cohort/core';

import { nativeAddon } from './addon.js';
import { mapNativeError } from './errors.js';

/** Reason codes of {@link addScaled}'s validation failures (`InvalidArgumentError.reason`). */
export const AddScaledReason = {
  /** x or y is not a Float32Array. */
  NotFloat32Array: 'NOT_FLOAT32_ARRAY',
  /** y's length differs from x's. */
  LengthMismatch: 'LENGTH_MISMATCH',
  /** alpha is not a number, or not finite once rounded to float32. */
  AlphaNotFinite: 'ALPHA_NOT_FINITE',
} as const;

function requireFloat32Array(value: unknown, what: string): asserts value is Float32Array {
  if (!(value instanceof Float32Array)) {
    throw new InvalidArgumentError(expectedMessage('a Float32Array', what, value), {
      reason: AddScaledReason.NotFloat32Array,
    });
  }
}

/**
 * Returns a new Float32Array with `x[i] + alpha * y[i]`, computed as one fused multiply-add per element
 * with alpha rounded to float32: bit-identical to the engine's CPU reference and CUDA kernel, on every
 * machine. Use it to check the native chain end to end (and as the pattern for every native op).
 *
 * Rejects with {@link InvalidArgumentError} (reasons in {@link AddScaledReason}) before crossing into
 * native code, and with the mapped native error (`mapNativeError`) if the engine fails. The inputs are
 * read in place on a worker thread: do not modify them until the Promise settles.
 */
export async function addScaled(x: Float32Array, y: Float32Array, alpha: number): Promise<Float32Array> {
  requireFloat32Array(x, 'x');
  requireFloat32Array(y, 'y');
  if (y.length !== x.length) {
    throw new InvalidArgumentError(expectedMessage(`a Float32Array of ${x.length} elements`, 'y', y), {
      reason: AddScaledReason.LengthMismatch,
      details: { xLength: x.length, yLength: y.length },
    });
  }
  if (typeof alpha !== 'number' || !Number.isFinite(Math.fround(alpha))) {
    throw new InvalidArgumentError(expectedMessage('a finite float32 number', 'alpha', alpha), {
      reason: AddScaledReason.AlphaNotFinite,
    });
  }
  const { binding } = nativeAddon();
  try {
    return await binding.addScaled(x, y, alpha);
  } catch (error) {
    throw mapNativeError(error);
  }
}
