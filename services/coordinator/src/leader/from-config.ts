/**
 * The leader elector a coordinator's config asks for: a Kubernetes Lease inside a cluster, a lock
 * directory on one machine, or none (`off`: this replica always leads, for a single process).
 */
import { readFileSync } from 'node:fs';
import type { Logger } from '@cohort/kit';
import type { Config } from '../config.js';
import { createLeaderElector, defaultLeaderIdentity } from './elector.js';
import type { LeaderElector, LeaseStore } from './elector.js';
import { KubernetesLeaseStore, loadKubeConfig, runningInCluster } from './k8s-lease-store.js';
import { LocalLockStore } from './local-lock-store.js';

const NAMESPACE_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';

function podNamespace(): string {
  try {
    return readFileSync(NAMESPACE_FILE, 'utf8').trim() || 'default';
  } catch {
    return 'default';
  }
}

/** An elector that always leads (leaderElection off). */
function alwaysLeader(): LeaderElector {
  return {
    start() {},
    stop: () => Promise.resolve(),
    isLeader: true,
    onChange: () => () => undefined,
  };
}

/** Build the elector `config` describes; `log` hears its errors and transitions. */
export function electorFromConfig(config: Config, log: Logger): { elector: LeaderElector; mode: string } {
  const mode =
    config.leaderElection === 'auto' ? (runningInCluster() ? 'kubernetes' : 'local') : config.leaderElection;
  if (mode === 'off') return { elector: alwaysLeader(), mode };
  const store: LeaseStore =
    mode === 'kubernetes'
      ? new KubernetesLeaseStore({
          kubeConfig: loadKubeConfig(config.kubeconfigPath === '' ? undefined : config.kubeconfigPath),
          namespace: config.leaseNamespace === '' ? podNamespace() : config.leaseNamespace,
          name: config.leaseName,
        })
      : new LocalLockStore({ dir: config.lockDir, name: config.leaseName });
  const identity = config.leaderIdentity || process.env['POD_NAME'] || defaultLeaderIdentity();
  const elector = createLeaderElector({
    store,
    identity,
    leaseDurationMs: config.leaseDurationMs,
    renewDeadlineMs: config.renewDeadlineMs,
    retryPeriodMs: config.retryPeriodMs,
    onError: (err) =>
      log.warn('leader_election_error', {
        error: String(err),
        reason: (err as { reason?: string }).reason ?? '',
      }),
  });
  elector.onChange((leader) =>
    log.info(leader ? 'leader_elected' : 'leader_lost', { identity, lease: store.description }),
  );
  return { elector, mode };
}
