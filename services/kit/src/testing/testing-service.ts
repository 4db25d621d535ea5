/**
 * An implementation of cohort.testing.v1.TestingService for tests of the gRPC adapter and the service
 * runtime: echoes, counts and streams, with injected delays and failures. Not used by any service.
 */
import { CohortError, isCode, Code } from '@cohort/core';
import type { TestingService } from '@cohort/proto/cohort/testing/v1/testing';
import type { Failure } from '@cohort/proto/cohort/testing/v1/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ServiceImpl } from '../grpc/types.js';

function toError(f: Failure): CohortError {
  return new CohortError(isCode(f.code) ? f.code : Code.Unknown, f.message, {
    reason: f.reason === '' ? undefined : f.reason,
    details: { injected: true },
  });
}

/** What the testing service observed, for assertions. */
export interface TestingServiceProbe {
  /** Calls whose handler saw `ctx.signal` abort (client cancel or deadline). */
  cancelled: number;
  /** Unary calls that completed their delay. */
  completed: number;
}

/** A TestingService implementation plus a probe of what it saw. */
export function createTestingService(): {
  impl: ServiceImpl<typeof TestingService>;
  probe: TestingServiceProbe;
} {
  const probe: TestingServiceProbe = { cancelled: 0, completed: 0 };
  const impl: ServiceImpl<typeof TestingService> = {
    async echo(request, ctx) {
      if (request.delayMs > 0) {
        try {
          await sleep(request.delayMs, undefined, { signal: ctx.signal });
        } catch (err) {
          probe.cancelled++;
          throw err;
        }
      }
      if (request.fail) throw toError(request.fail);
      probe.completed++;
      return { text: request.text };
    },
    async *serverStream(request, ctx) {
      for (let index = 0; index < request.count; index++) {
        if (request.fail && index === request.failAfter) throw toError(request.fail);
        if (request.delayMs > 0) {
          try {
            await sleep(request.delayMs, undefined, { signal: ctx.signal });
          } catch (err) {
            probe.cancelled++;
            throw err;
          }
        }
        yield { index };
      }
    },
    async clientStream(requests) {
      let count = 0;
      let totalBytes = 0n;
      for await (const r of requests) {
        count++;
        totalBytes += BigInt(r.data.byteLength);
      }
      return { count, totalBytes };
    },
    async *bidiStream(requests) {
      for await (const r of requests) yield { text: r.text.toUpperCase() };
    },
  };
  return { impl, probe };
}
