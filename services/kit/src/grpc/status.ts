/**
 * CohortError ↔ gRPC status. Codes are numerically equal, so the mapping only moves the stable
 * reason and details through trailing metadata (`cohort-reason`, `cohort-details`).
 */
import { CohortError, Code, isCode } from '@cohort/core';
import { Metadata } from '@grpc/grpc-js';
import type { StatusObject } from '@grpc/grpc-js';

const reasonKey = 'cohort-reason';
const detailsKey = 'cohort-details';

/** The status a server sends for a thrown value. Non-cohort errors become `Unknown`. */
export function toGrpcStatus(err: unknown): StatusObject {
  const e = CohortError.from(err);
  const metadata = new Metadata();
  if (e.reason !== undefined) metadata.set(reasonKey, e.reason);
  if (Object.keys(e.details).length > 0) metadata.set(detailsKey, JSON.stringify(e.details));
  return { code: e.code, details: e.message, metadata };
}

function readDetails(metadata: Metadata | undefined): Record<string, string | number | boolean> | undefined {
  const raw = metadata?.get(detailsKey)[0];
  if (typeof raw !== 'string') return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    const out: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[k] = v;
    }
    return out;
  } catch {
    return undefined; // a peer's malformed details are dropped, the status itself still stands
  }
}

/** The CohortError a client sees for a failed call (same code, message, reason and details). */
export function fromGrpcError(err: unknown): CohortError {
  if (err instanceof CohortError) return err;
  const candidate = err as { code?: unknown; details?: unknown; metadata?: unknown; message?: unknown };
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.code !== 'number') {
    return CohortError.from(err);
  }
  const code = isCode(candidate.code) ? candidate.code : Code.Unknown;
  const metadata = candidate.metadata instanceof Metadata ? candidate.metadata : undefined;
  const reason = metadata?.get(reasonKey)[0];
  const message =
    typeof candidate.details === 'string' && candidate.details !== ''
      ? candidate.details
      : typeof candidate.message === 'string'
        ? candidate.message
        : 'call failed';
  return new CohortError(code, message, {
    reason: typeof reason === 'string' ? reason : undefined,
    details: readDetails(metadata),
    cause: err,
  });
}
