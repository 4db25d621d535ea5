/**
 * A {@link CallContext} for calling a service's own handler in process (a service using its RPC
 * implementation at start, the same checks as a remote caller), with no network call behind it.
 */
import { Metadata } from '@grpc/grpc-js';

import type { CallContext } from './types.js';

/** The context of an in-process call to `path` (`/pkg.Service/Method`), cancelled by `signal`. */
export function inProcessCall(
  path: string,
  signal: AbortSignal,
  draining: AbortSignal = signal,
): CallContext {
  return { signal, draining, metadata: new Metadata(), peer: 'in-process', path };
}
