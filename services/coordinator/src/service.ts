/**
 * coordinator: the operator's brain (window state machine, roles, leadership, scores → weights).
 * This build connects to NATS and reports its status; the window loop and leader election arrive with
 * the window-loop issue, so it reports itself idle and not leader (it takes no action).
 */
import { CoordinatorService, Role, WindowPhase } from '@cohort/proto/cohort/coordinator/v1/coordinator';
import { useNats } from '@cohort/kit';
import type { ServiceDefinition } from '@cohort/kit';
import { configSpec } from './config.js';

const roleOf = { miner: Role.MINER, validator: Role.VALIDATOR, aggregator: Role.AGGREGATOR } as const;

/** The coordinator service definition, run by main.ts. */
export const coordinatorService: ServiceDefinition<typeof configSpec.fields> = {
  name: 'coordinator',
  spec: configSpec,
  async start(ctx) {
    const roles = [...new Set(ctx.config.roles)].map((r) => roleOf[r as keyof typeof roleOf]);
    ctx.addGrpcService(CoordinatorService, {
      getStatus: () =>
        Promise.resolve({ roles, leader: false, window: 0n, phase: WindowPhase.IDLE, chainStale: false }),
    });
    await useNats(ctx, 'coordinator');
  },
};
