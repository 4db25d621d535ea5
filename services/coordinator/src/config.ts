import { commonFields, defineConfig, field, natsFields } from '@cohort/kit';
import type { ConfigOf } from '@cohort/kit';

/** The roles one coordinator process can hold (several at once). */
export const roles = ['miner', 'validator', 'aggregator'] as const;

/**
 * coordinator configuration: the common keys, NATS, the roles this operator plays, and how its replicas
 * elect the one that acts (a Kubernetes Lease in a cluster, a lock directory on one machine).
 */
export const configSpec = defineConfig('coordinator', {
  ...commonFields({ grpc: 50051, metrics: 9101 }),
  ...natsFields(),
  roles: field.list({
    doc: 'Roles this operator plays: miner, validator, aggregator (one or more)',
    default: ['miner'],
    item: /^(miner|validator|aggregator)$/,
    itemDoc: 'miner, validator or aggregator',
    min: 1,
  }),
  leaderElection: field.enum({
    doc: 'How replicas elect the leader: auto (kubernetes inside a cluster, else local), kubernetes (a Lease), local (a lock directory), off (this replica always leads)',
    default: 'auto',
    values: ['auto', 'kubernetes', 'local', 'off'] as const,
  }),
  leaderIdentity: field.string({
    doc: 'This replica’s name in the lease; empty: POD_NAME when set, else <hostname>_<random>',
    default: '',
    allowEmpty: true,
  }),
  leaseName: field.string({
    doc: 'Name of the Lease (or lock) the replicas compete for',
    default: 'cohort-coordinator',
    pattern: /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/,
    patternDoc: 'a DNS label',
  }),
  leaseNamespace: field.string({
    doc: "Namespace of the Lease; empty: the pod's own namespace (service account), else default",
    default: '',
    allowEmpty: true,
  }),
  kubeconfigPath: field.string({
    doc: 'Kubeconfig for the Lease API; empty: the in-cluster service account',
    default: '',
    allowEmpty: true,
  }),
  leaseDurationMs: field.int({
    doc: 'How long a lease lasts without renewal (whole seconds); a follower takes over this long after the leader stops renewing',
    default: 15_000,
    min: 2000,
    max: 600_000,
    unit: 'ms',
  }),
  renewDeadlineMs: field.int({
    doc: 'The leader steps down when it could not renew for this long (below leaseDurationMs)',
    default: 10_000,
    min: 1000,
    max: 600_000,
    unit: 'ms',
  }),
  retryPeriodMs: field.int({
    doc: 'How often replicas try to acquire or renew (below renewDeadlineMs)',
    default: 2000,
    min: 100,
    max: 60_000,
    unit: 'ms',
  }),
  lockDir: field.string({
    doc: 'Directory of the local leader lock (leaderElection local), shared by the replicas on this machine',
    default: './coordinator-state/leader',
  }),
});

export type Config = ConfigOf<typeof configSpec.fields>;
