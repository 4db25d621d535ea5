/**
 * Verdicts of the bucket checks: the operator's write key can put, read back and delete under the run's
 * prefix; the read-only key it will commit on chain can read and list but not write; and the link to the
 * bucket carries what a window of the preset needs. Pure: the S3 probe fills the observations.
 */
import { formatBytes, formatRate, result } from './check-result.js';
import type { CheckResult, CheckStatus } from './check-result.js';
import type { PresetSizes } from './preset-sizes.js';
import type { Role } from './roles.js';

/** How one S3 call ended: `reason` is the store's (PEER_DENIED…), `s3Code` the server's when it sent one. */
export type StepOutcome =
  | { readonly ok: true }
  | {
      readonly ok: false;
      readonly reason: string;
      readonly s3Code: string | undefined;
      readonly message: string;
    };

/** The write key's round trip: each step runs only when the one before it succeeded. */
export interface BucketObservation {
  readonly endpoint: string;
  readonly bucket: string;
  readonly key: string;
  /** A listing of the run's prefix first: an authenticated GET, whose refusal names its cause. */
  readonly list: StepOutcome;
  /** Undefined when the listing failed. */
  readonly write?: StepOutcome | undefined;
  /** Undefined when the write failed. */
  readonly read?: StepOutcome | undefined;
  /** False when the bytes read back differ from those written. */
  readonly sameBytes?: boolean | undefined;
  readonly delete?: StepOutcome | undefined;
}

/** The read side: the committed key (or no key) reading the probe, listing it, and trying to write. */
export interface ReadOnlyObservation {
  /** `keys`: read-only keys given; `anonymous`: none given; `same-as-write`: the write key again. */
  readonly mode: 'keys' | 'anonymous' | 'same-as-write';
  readonly read?: StepOutcome | undefined;
  readonly list?: StepOutcome | undefined;
  /** A write with the read credentials: success is the failure here. */
  readonly write?: StepOutcome | undefined;
}

/** One direction's measurement: bytes moved in seconds, or why it could not be measured. */
export type TransferObservation =
  | { readonly ok: true; readonly bytes: number; readonly seconds: number }
  | { readonly ok: false; readonly message: string };

/** Advice for a failed S3 call, from the server's error code first, then the store's reason. */
export function s3Advice(outcome: Extract<StepOutcome, { ok: false }>, key: 'write' | 'read'): string {
  const flags =
    key === 'write'
      ? '--access-key-id/--secret-access-key (or COHORT_S3_ACCESS_KEY_ID / COHORT_S3_SECRET_ACCESS_KEY)'
      : '--read-access-key-id/--read-secret-access-key';
  switch (outcome.s3Code) {
    case 'SignatureDoesNotMatch':
      return `the secret key does not belong to the access key id: check ${flags}`;
    case 'InvalidAccessKeyId':
      return `the server does not know this access key id: check ${flags}`;
    case 'NoSuchBucket':
      return 'the bucket does not exist: create it (mc mb, or your provider’s console) or fix --bucket';
    case 'RequestTimeTooSkewed':
      return 'the server refuses requests signed with this machine’s time: sync the clock (NTP)';
    case 'AccessDenied':
      return key === 'write'
        ? 'the key may not do this: give it read and write on the bucket (docs/storage.md: readwrite policy, R2 Object Read & Write)'
        : 'the key may not read: attach the read-only policy of docs/storage.md (s3:GetObject, s3:ListBucket)';
    default:
      break;
  }
  switch (outcome.reason) {
    case 'PEER_UNREACHABLE':
      return 'nothing answers there: check --s3-endpoint (scheme, host, port) and firewalls';
    case 'PEER_TIMEOUT':
      return 'the server did not answer in time: check --s3-endpoint and the network path to it';
    case 'PEER_BAD_REPLY':
      return 'the endpoint does not speak S3: check --s3-endpoint (and --path-style: on for MinIO and RADOS Gateway, either for R2)';
    case 'PEER_DENIED':
      return `the server refused the credentials: check ${flags}`;
    case 'NOT_FOUND':
      return 'the bucket or object is missing: check --bucket';
    default:
      return 'see the server’s message; docs/preflight.md lists the usual causes';
  }
}

const failText = (o: Extract<StepOutcome, { ok: false }>): string =>
  `${o.reason}${o.message ? `: ${o.message}` : ''}`;

/** The `bucket` check: list, put, get back the same bytes, delete, with the write key. */
export function bucketVerdict(o: BucketObservation): CheckResult {
  const where = `s3 ${o.endpoint} bucket ${o.bucket}`;
  if (!o.list.ok) {
    return result('bucket', 'FAIL', `${where}: list failed (${failText(o.list)})`, s3Advice(o.list, 'write'));
  }
  if (o.write === undefined)
    return result('bucket', 'FAIL', `${where}: nothing written`, 'see docs/preflight.md');
  if (!o.write.ok)
    return result(
      'bucket',
      'FAIL',
      `${where}: write failed (${failText(o.write)})`,
      s3Advice(o.write, 'write'),
    );
  if (o.read !== undefined && !o.read.ok) {
    return result(
      'bucket',
      'FAIL',
      `${where}: read back failed (${failText(o.read)})`,
      s3Advice(o.read, 'write'),
    );
  }
  if (o.sameBytes === false) {
    return result(
      'bucket',
      'FAIL',
      `${where}: the object read back differs from the one written`,
      'something between this machine and the bucket alters objects (a proxy, a gateway): remove it',
    );
  }
  if (o.delete !== undefined && !o.delete.ok) {
    return result(
      'bucket',
      'FAIL',
      `${where}: delete failed (${failText(o.delete)}); the probe ${o.key} is left behind`,
      `retention needs deletes: ${s3Advice(o.delete, 'write')}`,
    );
  }
  return result(
    'bucket',
    'ok',
    `${where}: write, read back and delete under ${o.key.slice(0, o.key.lastIndexOf('/') + 1)}`,
  );
}

/** The `bucket-read` check: what peers will do with the credentials committed on chain. */
export function readOnlyVerdict(o: ReadOnlyObservation): CheckResult {
  if (o.mode === 'same-as-write') {
    return result(
      'bucket-read',
      'FAIL',
      'the read credentials are the write credentials',
      'everything committed on chain is public: create a read-only key (docs/storage.md) and commit that one',
    );
  }
  const who = o.mode === 'keys' ? 'the read-only key' : 'anonymous access (no read key given)';
  if (o.write?.ok === true) {
    return result(
      'bucket-read',
      'FAIL',
      `${who} can write to the bucket`,
      'anyone who reads the chain could overwrite or delete your objects: restrict it to s3:GetObject and s3:ListBucket',
    );
  }
  const readFailed =
    o.read !== undefined && !o.read.ok ? o.read : o.list !== undefined && !o.list.ok ? o.list : undefined;
  if (readFailed !== undefined) {
    const what = o.read !== undefined && !o.read.ok ? 'read' : 'list';
    return o.mode === 'keys'
      ? result(
          'bucket-read',
          'FAIL',
          `${who} cannot ${what} (${failText(readFailed)})`,
          s3Advice(readFailed, 'read'),
        )
      : result(
          'bucket-read',
          'warn',
          `no read-only key given and the bucket is not public (${what}: ${readFailed.reason})`,
          'give --read-access-key-id/--read-secret-access-key: the key you will commit, so peers can read your objects',
        );
  }
  return result(
    'bucket-read',
    'ok',
    o.mode === 'keys'
      ? 'the read-only key reads and lists; its writes are refused'
      : 'the bucket is publicly readable and listable; anonymous writes are refused',
  );
}

/** What a window asks of the link for `role`, in bytes per second, each with what it is for. */
export interface BandwidthNeed {
  readonly upBytesPerSecond: number;
  readonly downBytesPerSecond: number;
  readonly up: string;
  readonly down: string;
}

/**
 * What the link must carry within the upload slot: a miner puts its update and fetches the aggregate; a
 * validator fetches every miner's update; an aggregator fetches every update and puts the aggregate.
 */
export function bandwidthNeed(
  role: Role,
  sizes: PresetSizes,
  uploadSlotMs: number,
  miners: number,
): BandwidthNeed {
  const slot = Math.max(1, uploadSlotMs) / 1000;
  const s = `${Math.round(slot)} s upload slot`;
  const update = `one ${formatBytes(sizes.updateBytes)} update in the ${s}`;
  const updates = `${miners} updates of ${formatBytes(sizes.updateBytes)} in the ${s}`;
  const aggregate = `the ${formatBytes(sizes.aggregateBytes)} aggregate in the ${s}`;
  const all = (miners * sizes.updateBytes) / slot;
  switch (role) {
    case 'miner':
      return {
        upBytesPerSecond: sizes.updateBytes / slot,
        downBytesPerSecond: sizes.aggregateBytes / slot,
        up: update,
        down: aggregate,
      };
    case 'validator':
      return {
        upBytesPerSecond: sizes.updateBytes / slot,
        downBytesPerSecond: all,
        up: 'selections and scores (small)',
        down: updates,
      };
    case 'aggregator':
      return {
        upBytesPerSecond: sizes.aggregateBytes / slot,
        downBytesPerSecond: all,
        up: aggregate,
        down: updates,
      };
  }
}

/** Below the need fails, under twice the need warns (no headroom for a slow window). */
export function rateStatus(measured: number, needed: number): CheckStatus {
  if (measured < needed) return 'FAIL';
  return measured < 2 * needed ? 'warn' : 'ok';
}

const worst = (a: CheckStatus, b: CheckStatus): CheckStatus =>
  a === 'FAIL' || b === 'FAIL' ? 'FAIL' : a === 'warn' || b === 'warn' ? 'warn' : 'ok';

/** The `bandwidth` check: measured upload and download rates against {@link bandwidthNeed}. */
export function bandwidthVerdict(
  up: TransferObservation,
  down: TransferObservation,
  need: BandwidthNeed,
  probeBytes: number,
): CheckResult {
  if (!up.ok || !down.ok) {
    const message = !up.ok ? `upload: ${up.message}` : !down.ok ? `download: ${down.message}` : '';
    return result(
      'bandwidth',
      'FAIL',
      `not measured (${message})`,
      'fix the bucket check first; a probe that fails here only is a flaky link',
    );
  }
  const upRate = up.bytes / Math.max(up.seconds, 1e-6);
  const downRate = down.bytes / Math.max(down.seconds, 1e-6);
  const upStatus = rateStatus(upRate, need.upBytesPerSecond);
  const downStatus = rateStatus(downRate, need.downBytesPerSecond);
  const status = worst(upStatus, downStatus);
  const detail =
    `up ${formatRate(upRate)} (needs ${formatRate(need.upBytesPerSecond)}: ${need.up}), ` +
    `down ${formatRate(downRate)} (needs ${formatRate(need.downBytesPerSecond)}: ${need.down}), probe ${formatBytes(probeBytes)}`;
  if (status === 'ok') return result('bandwidth', 'ok', detail);
  const small = probeBytes < 32e6 ? '; a small probe under-measures fast links: try --probe-mb 64' : '';
  return result(
    'bandwidth',
    status,
    detail,
    status === 'FAIL'
      ? `this link cannot carry a window of the preset: a faster link or a bucket region nearer this machine${small}`
      : `little headroom: a slow window will miss the upload slot${small}`,
  );
}
