/**
 * Tokens on disk are uint32 little-endian. Every supported host (x86-64, arm64) is little-endian, so
 * token arrays are written and read as views of their bytes, without a per-token conversion; this file
 * is the one place that relies on it and checks it.
 */
import { endianness } from 'node:os';
import { InternalError } from '@cohort/core';

function assertLittleEndian(): void {
  if (endianness() !== 'LE') {
    throw new InternalError('cohort shards are little-endian; this host is big-endian', {
      reason: 'BIG_ENDIAN_HOST',
    });
  }
}

/** The bytes of `tokens` as stored in a `.tokens` file (a view, no copy). */
export function tokensAsBytes(tokens: Uint32Array): Uint8Array {
  assertLittleEndian();
  return new Uint8Array(tokens.buffer, tokens.byteOffset, tokens.byteLength);
}

/** Tokens from `.tokens` file bytes (a view when aligned, a copy otherwise); length must be a multiple of 4. */
export function bytesAsTokens(bytes: Uint8Array): Uint32Array {
  assertLittleEndian();
  if (bytes.byteOffset % 4 === 0)
    return new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
  return new Uint32Array(bytes.slice().buffer);
}
