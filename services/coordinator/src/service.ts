/**
 * coordinator: the operator's brain (window state machine, roles, leadership, scores → weights). This
 * build connects to NATS, takes part in leader election (a Kubernetes Lease in a cluster, a lock directory
 * on one machine) and reports its status; the window loop that acts on leadership arrives with the rest of
 * the window-loop issue, so it reports the idle phase.
 */
import { CoordinatorService, Role, WindowPhase } from '@cohort/proto/cohort/coordinator/v1/coordinator';
import { ConfigError, envName, useNats } from '@cohort/kit';
import type { ServiceDefinition } from '@cohort/kit';
import { configSpec } from './config.js';
import type { Config } from './config.js';
import { electorFromConfig } from './leader/from-config.js';

const roleOf = { miner: Role.MINER, validator: Role.VALIDATOR, aggregator: Role.AGGREGATOR } as const;

/** Leader timings must nest: retry < renew deadline < lease duration, the lease in whole seconds. */
function validate(config: Config): void {
  const fail = (key: string, message: string): never => {
    throw new ConfigError(`${key} (env ${envName(key)}) ${message}`, 'CONFIG_CONFLICT', key, undefined);
  };
  if (config.leaseDurationMs % 1000 !== 0)
    fail('leaseDurationMs', 'must be whole seconds (the Lease field is in seconds)');
  if (config.renewDeadlineMs >= config.leaseDurationMs)
    fail('renewDeadlineMs', 'must be below leaseDurationMs');
  if (config.retryPeriodMs >= config.renewDeadlineMs) fail('retryPeriodMs', 'must be below renewDeadlineMs');
}

/** The coordinator service definition, run by main.ts. */
export const coordinatorService: ServiceDefinition<typeof configSpec.fields> = {
  name: 'coordinator',
  spec: configSpec,
  validate,
  async start(ctx) {
    const roles = [...new Set(ctx.config.roles)].map((r) => roleOf[r as keyof typeof roleOf]);
    const { elector, mode } = electorFromConfig(ctx.config, ctx.log);
    ctx.addGrpcService(CoordinatorService, {
      getStatus: () =>
        Promise.resolve({
          roles,
          leader: elector.isLeader,
          window: 0n,
          phase: WindowPhase.IDLE,
          chainStale: false,
        }),
    });
    await useNats(ctx, 'coordinator');
    ctx.log.info('leader_election', { mode });
    elector.start();
    ctx.onShutdown('leader', () => elector.stop());
  },
};
