/**
 * aggregator: one canonical, verifiable update per window, and checkpoints. This build connects to
 * NATS and reports that it has published nothing yet; aggregation arrives with the aggregator issue.
 */
import { AggregatorService } from '@cohort/proto/cohort/aggregator/v1/aggregator';
import { useNats } from '@cohort/kit';
import type { ServiceDefinition } from '@cohort/kit';
import { configSpec } from './config.js';

/** The aggregator service definition, run by main.ts. */
export const aggregatorService: ServiceDefinition<typeof configSpec.fields> = {
  name: 'aggregator',
  spec: configSpec,
  async start(ctx) {
    ctx.addGrpcService(AggregatorService, {
      getStatus: () => Promise.resolve({ lastAggregatedWindow: -1n, lastCheckpointWindow: -1n }),
    });
    await useNats(ctx, 'aggregator');
  },
};
