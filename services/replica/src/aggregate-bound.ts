/**
 * How large an aggregate of a model can be, so readers cap what they buffer (a replay, an audit, an
 * RPC answering from the store) by the model instead of by the store client's 8 GiB default.
 *
 * An aggregate names each coordinate of a tensor at most once (docs/wire-format.md §7): per entry at most
 * an f32 value (a palette is only chosen when smaller), and its Rice stream of ascending row-major flat
 * indices is no longer than with parameter 0, where it takes exactly (last index + 1) bits: at most one
 * bit per coordinate. So a tensor's section is at most 4.125 bytes a coordinate plus 12 bytes, and the
 * rest of the object is the fixed header, at most 65,535 contributors of 64 bytes (4 MiB), the tensor
 * table (under 300 bytes a tensor) and the trailer. The bound takes 10 bytes per parameter, so it holds
 * even if the tensor table listed a tied tensor twice, plus 8 MiB for everything else.
 */

/** Bytes per parameter the bound allows (over twice the most an entry can take). */
const BYTES_PER_PARAMETER = 10;
/** Headers, the contributor list (65,535 × 64 bytes at most), the tensor table and the trailer. */
const FIXED_BYTES = 8 * 1024 * 1024;

/** The largest aggregate a model of `parameterCount` parameters can have (see the module comment). */
export function aggregateBytesBound(parameterCount: number): number {
  if (!Number.isSafeInteger(parameterCount) || parameterCount < 1) {
    throw new RangeError(`Expected a positive parameter count but received ${String(parameterCount)}`);
  }
  return BYTES_PER_PARAMETER * parameterCount + FIXED_BYTES;
}
