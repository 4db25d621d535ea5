/**
 * A {@link LeaseStore} over a Kubernetes `coordination.k8s.io/v1` Lease, the object client-go's leader
 * election uses, so `kubectl get lease` shows who leads. Reads are GET; a missing Lease (404) is created
 * with POST; every other write is a PUT carrying the `resourceVersion` that was read, so the API server
 * rejects it with 409 Conflict when another replica wrote in between: that replica won this round.
 */
import { existsSync } from 'node:fs';
import { ApiException, CoordinationV1Api, KubeConfig, V1MicroTime } from '@kubernetes/client-node';
import type { V1Lease } from '@kubernetes/client-node';
import { Code, CohortError } from '@cohort/core';
import type { LeaseRecord } from '@cohort/core';
import type { LeaseStore, VersionedLease } from './elector.js';

/** Options of {@link KubernetesLeaseStore}. */
export interface KubernetesLeaseStoreOptions {
  /** From {@link loadKubeConfig}, or built by the caller (tests point it at a local server). */
  readonly kubeConfig: KubeConfig;
  readonly namespace: string;
  readonly name: string;
}

const SERVICE_ACCOUNT_TOKEN = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** True inside a pod: the API server's env twins are set and a service account token is mounted. */
export function runningInCluster(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.KUBERNETES_SERVICE_HOST !== undefined && existsSync(SERVICE_ACCOUNT_TOKEN);
}

/**
 * The pod's service account (`loadFromCluster`) when `kubeconfigPath` is undefined, otherwise that
 * kubeconfig file's current context. Throws `KUBECONFIG_INVALID` (FailedPrecondition).
 */
export function loadKubeConfig(kubeconfigPath?: string): KubeConfig {
  const config = new KubeConfig();
  try {
    if (kubeconfigPath === undefined) config.loadFromCluster();
    else config.loadFromFile(kubeconfigPath);
  } catch (error) {
    throw new CohortError(Code.FailedPrecondition, `Cannot load the Kubernetes config: ${String(error)}`, {
      reason: 'KUBECONFIG_INVALID',
      cause: error,
      details: { source: kubeconfigPath ?? 'in-cluster' },
    });
  }
  return config;
}

function toMs(time: Date | string | undefined): number {
  if (time === undefined) return 0;
  const ms = new Date(time).getTime();
  return Number.isFinite(ms) ? ms : 0;
}

/** A Lease's spec as a record; missing times read as the epoch and a missing duration as 1 s (expired). */
function toRecord(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {};
  return {
    holderIdentity: spec.holderIdentity ?? '',
    leaseDurationSeconds: Math.max(1, spec.leaseDurationSeconds ?? 1),
    acquireTimeMs: toMs(spec.acquireTime),
    renewTimeMs: toMs(spec.renewTime),
    leaseTransitions: spec.leaseTransitions ?? 0,
  };
}

/** The Lease through CoordinationV1Api; see the module comment. */
export class KubernetesLeaseStore implements LeaseStore {
  readonly description: string;
  readonly #api: CoordinationV1Api;
  readonly #namespace: string;
  readonly #name: string;
  /** The last Lease read or written, so a PUT keeps its labels, annotations and other spec fields. */
  #last: V1Lease | undefined;

  constructor(options: KubernetesLeaseStoreOptions) {
    this.#api = options.kubeConfig.makeApiClient(CoordinationV1Api);
    this.#namespace = options.namespace;
    this.#name = options.name;
    this.description = `kubernetes lease ${options.namespace}/${options.name}`;
  }

  async get(): Promise<VersionedLease | undefined> {
    try {
      return this.#remember(
        await this.#api.readNamespacedLease({ name: this.#name, namespace: this.#namespace }),
      );
    } catch (error) {
      if (error instanceof ApiException && error.code === 404) return undefined;
      throw this.#error(error, 'read');
    }
  }

  async write(record: LeaseRecord, expectedVersion: string | undefined): Promise<VersionedLease | undefined> {
    const base = this.#last?.metadata?.resourceVersion === expectedVersion ? this.#last : undefined;
    const body: V1Lease = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { ...base?.metadata, name: this.#name, namespace: this.#namespace },
      spec: {
        ...base?.spec,
        holderIdentity: record.holderIdentity,
        leaseDurationSeconds: record.leaseDurationSeconds,
        // V1MicroTime serialises with six fractional digits, the MicroTime form the API server requires.
        acquireTime: new V1MicroTime(record.acquireTimeMs),
        renewTime: new V1MicroTime(record.renewTimeMs),
        leaseTransitions: record.leaseTransitions,
      },
    };
    const target = { name: this.#name, namespace: this.#namespace };
    try {
      if (expectedVersion === undefined) {
        return this.#remember(await this.#api.createNamespacedLease({ namespace: this.#namespace, body }));
      }
      body.metadata = { ...body.metadata, resourceVersion: expectedVersion };
      return this.#remember(await this.#api.replaceNamespacedLease({ ...target, body }));
    } catch (error) {
      // 409: a rival wrote first (or created it first); 404 on PUT: deleted under us, re-created next round.
      if (error instanceof ApiException && (error.code === 409 || error.code === 404)) return undefined;
      throw this.#error(error, expectedVersion === undefined ? 'create' : 'replace');
    }
  }

  #remember(lease: V1Lease): VersionedLease {
    const version = lease.metadata?.resourceVersion;
    if (version === undefined || version === '') {
      throw new CohortError(
        Code.DataLoss,
        `The API server returned ${this.description} without a resourceVersion`,
        {
          reason: 'LEASE_NO_VERSION',
        },
      );
    }
    this.#last = lease;
    return { record: toRecord(lease), version };
  }

  #error(error: unknown, op: string): CohortError {
    const details = { lease: this.description, op };
    if (!(error instanceof ApiException)) {
      return new CohortError(
        Code.Unavailable,
        `Cannot reach the Kubernetes API to ${op} ${this.description}`,
        {
          reason: 'LEASE_API_UNREACHABLE',
          cause: error,
          details,
        },
      );
    }
    const status = error.code;
    const [code, reason] =
      status === 401 || status === 403
        ? [Code.PermissionDenied, 'LEASE_FORBIDDEN']
        : status === 422 || status === 400
          ? [Code.InvalidArgument, 'LEASE_INVALID']
          : status === 429 || status >= 500
            ? [Code.Unavailable, 'LEASE_API_UNAVAILABLE']
            : [Code.Unknown, 'LEASE_API_ERROR'];
    return new CohortError(code, `Kubernetes API answered ${status} to ${op} ${this.description}`, {
      reason,
      cause: error,
      details: { ...details, status },
    });
  }
}
