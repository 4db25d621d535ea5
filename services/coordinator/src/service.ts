/**
 * coordinator: the operator's brain (window state machine, roles, leadership, scores → weights). It
 * connects to NATS, takes part in leader election (a Kubernetes Lease in a cluster, a lock directory on
 * one machine) and, for the miner role, runs the window loop (miner/) while it leads. The validator and
 * aggregator roles arrive with their issues.
 */
import { CoordinatorService, Role, WindowPhase } from '@cohort/proto/cohort/coordinator/v1/coordinator';
import { ConfigError, envName, useNats } from '@cohort/kit';
import type { ServiceDefinition } from '@cohort/kit';
import { configSpec } from './config.js';
import type { Config } from './config.js';
import { electorFromConfig } from './leader/from-config.js';
import { MINER_REQUIRED, VALIDATOR_REQUIRED } from './config.js';
import { startValidatorRole } from './validator/start-validator.js';
import { startMinerRole } from './miner/start-miner.js';
import type { MinerRole } from './miner/start-miner.js';
import { phaseOf } from './miner/phase.js';

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
  if (config.roles.includes('miner')) {
    for (const key of MINER_REQUIRED) if (config[key] === '') fail(key, 'is required for the miner role');
  }
  if (config.roles.includes('validator')) {
    for (const key of VALIDATOR_REQUIRED)
      if (config[key] === '') fail(key, 'is required for the validator role');
  }
}

/** The coordinator service definition, run by main.ts. */
export const coordinatorService: ServiceDefinition<typeof configSpec.fields> = {
  name: 'coordinator',
  spec: configSpec,
  validate,
  async start(ctx) {
    const roles = [...new Set(ctx.config.roles)].map((r) => roleOf[r as keyof typeof roleOf]);
    const { elector, mode } = electorFromConfig(ctx.config, ctx.log);
    let miner: MinerRole | undefined;
    ctx.addGrpcService(CoordinatorService, {
      getStatus: () => {
        const snapshot = miner?.loop()?.snapshot();
        return Promise.resolve({
          roles,
          leader: elector.isLeader,
          hotkey: ctx.config.hotkeyAddress,
          window: BigInt(Math.max(0, miner?.chainWindow() ?? 0)),
          phase: snapshot === undefined ? WindowPhase.IDLE : phaseOf(snapshot),
          chainStale: miner?.stale() ?? false,
        });
      },
    });
    const nats = await useNats(ctx, 'coordinator');
    ctx.log.info('leader_election', { mode });
    if (ctx.config.roles.includes('miner')) miner = startMinerRole(ctx, nats, elector);
    if (ctx.config.roles.includes('validator')) startValidatorRole(ctx, nats, elector);
    elector.start();
    ctx.onShutdown('leader', () => elector.stop());
  },
};
