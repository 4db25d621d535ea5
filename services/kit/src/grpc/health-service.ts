/**
 * grpc.health.v1 over {@link HealthState}: `Check` for probes (Kubernetes gRPC probes, grpc_health_probe)
 * and `Watch` for clients that wait for readiness. Unknown service names answer NOT_FOUND / SERVICE_UNKNOWN.
 */
import { CohortError, Code } from '@cohort/core';
import { HealthCheckResponse_ServingStatus as Status } from '@cohort/proto/grpc/health/v1/health';
import type { Health } from '@cohort/proto/grpc/health/v1/health';
import type { HealthState, ServingStatus } from '../health.js';
import type { ServiceImpl } from './types.js';

const toProto = (s: ServingStatus): Status => (s === 'SERVING' ? Status.SERVING : Status.NOT_SERVING);

/** The health service implementation for one process. */
export function createHealthService(health: HealthState): ServiceImpl<typeof Health> {
  return {
    check(request) {
      if (!health.knows(request.service)) {
        return Promise.reject(
          new CohortError(Code.NotFound, `unknown service ${JSON.stringify(request.service)}`),
        );
      }
      return Promise.resolve({ status: toProto(health.status()) });
    },
    async *watch(request, ctx) {
      const known = health.knows(request.service);
      yield { status: known ? toProto(health.status()) : Status.SERVICE_UNKNOWN };
      if (!known) {
        // Names are fixed at start-up in cohort: an unknown one never becomes known. Hold the stream
        // open (as the protocol asks) until the client leaves or the server drains.
        await new Promise<void>((resolve) => {
          ctx.signal.addEventListener('abort', () => resolve(), { once: true });
          ctx.draining.addEventListener('abort', () => resolve(), { once: true });
        });
        return;
      }
      const pending: ServingStatus[] = [];
      let wake: (() => void) | undefined;
      const unsubscribe = health.subscribe((s) => {
        pending.push(s);
        wake?.();
      });
      const stop = (): void => wake?.();
      ctx.signal.addEventListener('abort', stop, { once: true });
      ctx.draining.addEventListener('abort', stop, { once: true });
      try {
        for (;;) {
          while (pending.length > 0) yield { status: toProto(pending.shift() ?? 'NOT_SERVING') };
          if (ctx.signal.aborted || ctx.draining.aborted) break;
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
        // A draining server tells watchers it stopped serving before it closes their streams.
        while (pending.length > 0) yield { status: toProto(pending.shift() ?? 'NOT_SERVING') };
      } finally {
        unsubscribe();
        ctx.signal.removeEventListener('abort', stop);
        ctx.draining.removeEventListener('abort', stop);
      }
    },
  };
}
