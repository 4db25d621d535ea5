import {
  aggregateTrustFields,
  bucketCommitFields,
  commonFields,
  defineConfig,
  field,
  natsFields,
} from '@cohort/kit';
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
  ...aggregateTrustFields(),
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
  workerAddress: field.string({
    doc: "The miner's gpu-worker (host:port); required for the miner role",
    default: '',
    allowEmpty: true,
  }),
  storeAddress: field.string({
    doc: "The run's checkpoint-store (host:port) updates go to and aggregates and checkpoints come from; required for the miner role",
    default: '',
    allowEmpty: true,
  }),
  chainBridgeAddress: field.string({
    doc: "This operator's chain-bridge (host:port): the head at start and the bucket commitment; empty: NATS events only, no commitment",
    default: '',
    allowEmpty: true,
  }),
  hotkeyAddress: field.string({
    doc: "SS58 address of the hotkey the gpu-worker signs with: names this miner's pages and update key; required for the miner role",
    default: '',
    allowEmpty: true,
  }),
  netuid: field.int({ doc: 'Subnet of the run (for the bucket commitment)', default: 3, min: 0, max: 65535 }),
  innerSteps: field.int({
    doc: 'H: inner steps per window (protocol §3)',
    default: 30,
    min: 1,
    max: 100_000,
  }),
  batchSize: field.int({
    doc: 'Samples per inner step; a window trains on innerSteps × batchSize assigned samples',
    default: 8,
    min: 1,
    max: 65_536,
  }),
  outerLearningRate: field.number({
    doc: 'α of the outer step θ_{w+1} = θ_w − α·A_w; the same on every replica of the run',
    default: 1,
    min: 1e-6,
    max: 10,
  }),
  staleAfterMs: field.int({
    doc: 'The chain counts as stale (no training starts) when no block event arrived for this long',
    default: 60_000,
    min: 100,
    max: 3_600_000,
    unit: 'ms',
  }),
  aggregatePollMs: field.int({
    doc: "How often the miner looks for the aggregate it waits for in the aggregator's bucket",
    default: 1000,
    min: 10,
    max: 600_000,
    unit: 'ms',
  }),
  auditRate: field.number({
    doc: 'Fraction of windows whose aggregate the miner re-derives from its payloads (on its gpu-worker) before applying it, chosen by a hash only this process can compute (ADR 0013); 0: never, 1: every window',
    default: 0.1,
    min: 0,
    max: 1,
  }),
  auditTimeoutMs: field.int({
    doc: 'An audit still running after this long is given up (counted skipped_error) and the trusted aggregate applied',
    default: 120_000,
    min: 100,
    max: 3_600_000,
    unit: 'ms',
  }),
  rpcTimeoutMs: field.int({
    doc: "Deadline of a short gRPC call: the gpu-worker's GetInfo, the chain-bridge's GetMetagraph (whose own chain reads are bounded by its requestTimeoutMs, 15 s by default)",
    default: 30_000,
    min: 100,
    max: 600_000,
    unit: 'ms',
  }),
  workerCallTimeoutMs: field.int({
    doc: "Deadline of the gpu-worker's EncodeUpdate and ApplyAggregate (O(model) on its device); past it the window's update is skipped, or the replica resyncs",
    default: 300_000,
    min: 100,
    max: 3_600_000,
    unit: 'ms',
  }),
  checkpointLoadTimeoutMs: field.int({
    doc: "Deadline of the gpu-worker's LoadCheckpoint, which downloads the whole checkpoint from the store before loading it; raise it for models of many GB on a slow link",
    default: 1_800_000,
    min: 100,
    max: 14_400_000,
    unit: 'ms',
  }),
  resyncRetryMs: field.int({
    doc: 'Wait before retrying a failed resync (worker or store unreachable)',
    default: 2000,
    min: 10,
    max: 600_000,
    unit: 'ms',
  }),
  maxLagWindows: field.int({
    doc: 'A replica more windows behind the chain than this reloads a checkpoint instead of replaying',
    default: 8,
    min: 1,
    max: 10_000,
  }),
  uploadSlotMs: field.int({
    doc: 'How long after window w + 1 begins updates of w are accepted (the upload slot, protocol §1): the validator judges by it, and a miner never uploads past it (nor finishes an upload past it at shutdown)',
    default: 70_000,
    min: 0,
    max: 3_600_000,
    unit: 'ms',
  }),
  uploadSlotGraceMs: field.int({
    doc: "Validator: the upload slot (timed by the chain's timestamps) is widened by this much on both ends for clock skew between the chain, the miners and this validator: an update is early only when seen before the slot's open less this, late only when first listed after its close plus this",
    default: 2000,
    min: 0,
    max: 60_000,
    unit: 'ms',
  }),
  uploadPollMs: field.int({
    doc: "Validator: how often the run's bucket is listed for new updates (first-seen resolution)",
    default: 1000,
    min: 10,
    max: 60_000,
    unit: 'ms',
  }),
  evaluationTimeoutMs: field.int({
    doc: 'Validator: how long after the slot closes evaluators may take; a job without a result by then is no verdict',
    default: 60_000,
    min: 100,
    max: 3_600_000,
    unit: 'ms',
  }),
  clipSampleWaitMs: field.int({
    doc: "Validator: longest wait for the sample jobs' per-tensor norms before the score jobs are queued; their per-tensor medians clip every update as the aggregate would (protocol §5). Bounded by evaluationTimeoutMs; 0 queues the score jobs at once, measured unclipped",
    default: 15_000,
    min: 0,
    max: 3_600_000,
    unit: 'ms',
  }),
  selectionDeadlineMs: field.int({
    doc: "Validator: the selection of window w is published at the latest this long after w's upload slot closes; the evaluation deadline is cut short (by evaluationTimeoutMs or by this less a margin of a tenth, at most 5 s, whichever comes first) so the scoring and the selection fit. Must be below the aggregator's selectionWaitMs (60 s by default): a selection it has stopped waiting for is ignored and every valid update aggregated",
    default: 45_000,
    min: 100,
    max: 3_600_000,
    unit: 'ms',
  }),
  windowsPerWeights: field.int({
    doc: 'Validator: set weights on chain every this many windows (protocol §7)',
    default: 2,
    min: 1,
    max: 100_000,
  }),
  setWeightsTimeoutMs: field.int({
    doc: "Validator: deadline of the chain-bridge's SetWeights; above the bridge's extrinsicTimeoutMs (120 s by default), which bounds its wait for inclusion",
    default: 180_000,
    min: 100,
    max: 3_600_000,
    unit: 'ms',
  }),
  selectionCount: field.int({
    doc: 'Validator: most updates selected for aggregation per window (gather peer count)',
    default: 20,
    min: 1,
    max: 4096,
  }),
  gatherPeerCount: field.int({
    doc: 'Validator: top peers by final score on the weights’ linear 2→1 ramp (protocol §7: gather_peer_count)',
    default: 20,
    min: 1,
    max: 4096,
  }),
  reservePeerCount: field.int({
    doc: 'Validator: peers after the gather peers on a halving geometric series of weights (protocol §7: reserve_peer_count)',
    default: 10,
    min: 0,
    max: 4096,
  }),
  weightsBurnShare: field.number({
    doc: 'Validator: share of the weights set on chain that goes to weightsBurnUid (protocol §7); 1: all of it, 0: none',
    default: 0.5,
    min: 0,
    max: 1,
  }),
  weightsBurnUid: field.int({
    doc: 'Validator: the uid the burn share goes to (the subnet owner’s by default); never ranked as a peer',
    default: 0,
    min: 0,
    max: 65535,
  }),
  copierThreshold: field.number({
    doc: 'Validator: index overlap from which the later-seen of two updates is a copier',
    default: 0.4,
    min: 0.01,
    max: 1,
  }),
  scoreStateDir: field.string({
    doc: 'Validator: directory of the durable score state (ratings, EMAs, final scores)',
    default: './coordinator-state/scores',
  }),
  ...bucketCommitFields(),
  lockDir: field.string({
    doc: 'Directory of the local leader lock (leaderElection local), shared by the replicas on this machine',
    default: './coordinator-state/leader',
  }),
});

export type Config = ConfigOf<typeof configSpec.fields>;

/** Keys the miner role needs set (checked at start when the role is held). */
export const MINER_REQUIRED = ['workerAddress', 'storeAddress', 'hotkeyAddress'] as const;
/** Keys the validator role needs set. */
export const VALIDATOR_REQUIRED = ['storeAddress', 'chainBridgeAddress', 'hotkeyAddress'] as const;
