/**
 * Typed errors for native failures. The addon rejects or throws plain `Error`s whose `name` is one of
 * {@link NATIVE_ERROR_NAMES} (set in C++, src/addon/AddonErrors.cc); {@link mapNativeError} turns them
 * into cohort's error classes so callers branch on classes and codes, never on messages.
 */
import {
  Code,
  CohortError,
  IllegalStateError,
  InternalError,
  InvalidArgumentError,
  describeValue,
} from '@cohort/core';
import type { CohortErrorOptions } from '@cohort/core';

/**
 * A CUDA runtime or kernel-launch failure. A class of its own because the device may be unusable
 * afterwards: callers (the gpu-worker) mark the device unhealthy or restart instead of retrying.
 */
export class CudaError extends CohortError {
  override readonly name: string = 'CudaError';
  constructor(message: string, options: CohortErrorOptions = {}) {
    super(Code.Internal, message, options);
  }
}

/**
 * Host or GPU memory exhausted. A class of its own because it is recoverable: callers can retry with a
 * smaller batch or free cached state. `ResourceExhausted`, like gRPC's.
 */
export class OutOfMemoryError extends CohortError {
  override readonly name: string = 'OutOfMemoryError';
  constructor(message: string, options: CohortErrorOptions = {}) {
    super(Code.ResourceExhausted, message, options);
  }
}

/**
 * Untrusted bytes (an update or aggregate object) were rejected. `reason` is the stable wire-format
 * reason code (docs/wire-format.md), e.g. `BAD_HASH`; `InvalidArgument`, like gRPC's.
 */
export class CodecError extends CohortError {
  override readonly name: string = 'CodecError';
  constructor(message: string, options: CohortErrorOptions = {}) {
    super(Code.InvalidArgument, message, options);
  }
}

/** The closed set of `error.name`s the addon produces; the C++ side must not add one without this list. */
export const NATIVE_ERROR_NAMES = [
  'CudaError',
  'OutOfMemoryError',
  'InvalidArgumentError',
  'IllegalStateError',
  'InternalError',
  'CodecError',
] as const;

/** One of {@link NATIVE_ERROR_NAMES}. */
export type NativeErrorName = (typeof NATIVE_ERROR_NAMES)[number];

type ErrorClass = new (message: string, options?: CohortErrorOptions) => CohortError;

const classByName: Readonly<Record<NativeErrorName, ErrorClass>> = {
  CudaError,
  OutOfMemoryError,
  InvalidArgumentError,
  IllegalStateError,
  InternalError,
  CodecError,
};

function isNativeErrorName(name: string): name is NativeErrorName {
  return (NATIVE_ERROR_NAMES as readonly string[]).includes(name);
}

/**
 * Maps anything the addon threw or rejected with to a {@link CohortError}; use at every catch around a
 * native call. A known `name` picks the class, the message is kept and the original becomes `cause`;
 * an unknown name or a non-Error becomes an {@link InternalError} with reason `NATIVE_ERROR_UNMAPPED`.
 * A CohortError (e.g. the addon failed to load) is returned unchanged.
 */
export function mapNativeError(error: unknown): CohortError {
  if (error instanceof CohortError) return error;
  if (error instanceof Error && isNativeErrorName(error.name)) {
    const reason = (error as { reason?: unknown }).reason;
    return new classByName[error.name](error.message, {
      cause: error,
      ...(typeof reason === 'string' ? { reason } : {}),
    });
  }
  const message = error instanceof Error ? error.message : `The native addon threw ${describeValue(error)}`;
  const nativeName = error instanceof Error ? error.name : typeof error;
  return new InternalError(message, {
    reason: 'NATIVE_ERROR_UNMAPPED',
    cause: error,
    details: { nativeName },
  });
}
