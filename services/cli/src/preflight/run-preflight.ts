/**
 * Run every preflight check and collect one result each. Checks are independent and run concurrently
 * (the bandwidth probe after the bucket round trip, so the two do not measure each other); each has its
 * own deadline, and a check that throws or times out becomes its own FAIL line, never hiding the others.
 */
import { CohortError, decodeSs58 } from '@cohort/core';
import { loadSigner } from '@cohort/chain-bridge';
import type { SignerSource } from '@cohort/chain-bridge';
import { bandwidthNeed, bandwidthVerdict, bucketVerdict, readOnlyVerdict } from './bucket-verdicts.js';
import { chainVerdict, hotkeyVerdict, notChecked, subnetVerdict } from './chain-verdicts.js';
import type { ChainObservation } from './chain-verdicts.js';
import { inReportOrder, result } from './check-result.js';
import type { CheckName, CheckResult } from './check-result.js';
import { probeChain } from './chain-probe.js';
import type { ChainProbeOutcome } from './chain-probe.js';
import { probeDisk, probeGpus } from './host-probe.js';
import { clockVerdict, diskVerdict, gpuVerdict } from './host-verdicts.js';
import type { ClockObservation } from './host-verdicts.js';
import { presetSizes } from './preset-sizes.js';
import type { PresetName } from './preset-sizes.js';
import type { Role } from './roles.js';
import { measureBandwidth, probeBucket, probeS3Date } from './s3-probe.js';
import type { ReadKey, S3Target } from './s3-probe.js';
import { withTimeout } from './with-timeout.js';

/** The hotkey to look up: an address, or a signer source derived as the bridge does. */
export type HotkeyInput = { readonly ss58: string } | { readonly signer: SignerSource };

/** Everything the checks need; absent groups are reported as not checked. */
export interface PreflightOptions {
  readonly role: Role;
  readonly preset: PresetName;
  /** Deadline of each check (the bandwidth check gets three). */
  readonly timeoutMs: number;
  readonly maxSkewMs: number;
  readonly stateDir: string;
  readonly chain?: { readonly url: string; readonly netuid: number } | undefined;
  readonly hotkey?: HotkeyInput | undefined;
  readonly s3?:
    | {
        readonly target: S3Target;
        readonly read: ReadKey | undefined;
        readonly run: string;
        readonly probeBytes: number;
        readonly uploadSlotMs: number;
        readonly miners: number;
      }
    | undefined;
  /** Told each result as it is known (the CLI prints progress). */
  readonly onResult?: ((r: CheckResult) => void) | undefined;
}

const message = (err: unknown): string => CohortError.from(err).message;

/** The hotkey's address, or the result that says why there is none. */
async function resolveHotkey(input: HotkeyInput | undefined): Promise<string | CheckResult | undefined> {
  if (input === undefined) return undefined;
  if ('ss58' in input) {
    try {
      decodeSs58(input.ss58);
      return input.ss58;
    } catch {
      return result(
        'hotkey',
        'FAIL',
        `${input.ss58} is not an SS58 address`,
        'give the hotkey’s address as btcli wallet overview shows it',
      );
    }
  }
  try {
    return (await loadSigner(input.signer))?.address;
  } catch (err) {
    return result(
      'hotkey',
      'FAIL',
      `cannot load the hotkey: ${message(err)}`,
      'fix the wallet path/name or the secret, as for chain-bridge (docs/chain.md, Keys)',
    );
  }
}

async function chainChecks(
  o: PreflightOptions,
): Promise<{ results: CheckResult[]; clock: ClockObservation['chain'] }> {
  if (o.chain === undefined) {
    return {
      results: (['chain', 'subnet', 'hotkey'] as const).map((c) =>
        notChecked(c, 'no --chain given', 'give --chain and --netuid (and the hotkey) to check them'),
      ),
      clock: undefined,
    };
  }
  const { url, netuid } = o.chain;
  const hotkey = await resolveHotkey(o.hotkey);
  const hotkeyFailure = typeof hotkey === 'object' ? hotkey : undefined;
  let outcome: ChainProbeOutcome;
  try {
    outcome = await withTimeout(o.timeoutMs, `the chain at ${url}`, (signal) =>
      probeChain({
        url,
        netuid,
        hotkey: typeof hotkey === 'string' ? hotkey : undefined,
        timeoutMs: o.timeoutMs,
        signal,
      }),
    );
  } catch (err) {
    const unreachable: ChainObservation = {
      kind: 'unreachable',
      endpoint: url,
      cause: 'timeout',
      message: message(err),
    };
    outcome = { chain: unreachable };
  }
  const results = [chainVerdict(outcome.chain)];
  const why =
    outcome.chain.kind === 'unreachable' ? 'the chain is unreachable' : 'the endpoint is not subtensor';
  if (outcome.network === undefined) {
    results.push(notChecked('subnet', why), hotkeyFailure ?? notChecked('hotkey', why));
  } else {
    results.push(subnetVerdict(outcome.network), hotkeyFailure ?? hotkeyVerdict(outcome.network, o.role));
  }
  const clock =
    outcome.chain.kind === 'connected' && outcome.localMs !== undefined
      ? { headTimestampMs: outcome.chain.headTimestampMs, localMs: outcome.localMs }
      : undefined;
  return { results, clock };
}

async function bucketChecks(o: PreflightOptions): Promise<CheckResult[]> {
  const s3 = o.s3;
  if (s3 === undefined) {
    return (['bucket', 'bucket-read', 'bandwidth'] as const).map((c) =>
      notChecked(c, 'no --s3-endpoint given', 'give --s3-endpoint, --bucket and the keys to check it'),
    );
  }
  const probe = { target: s3.target, read: s3.read, run: s3.run, timeoutMs: o.timeoutMs };
  let round: Awaited<ReturnType<typeof probeBucket>>;
  try {
    round = await withTimeout(o.timeoutMs, 'the bucket round trip', () => probeBucket(probe));
  } catch (err) {
    return [
      result(
        'bucket',
        'FAIL',
        `s3 ${s3.target.endpoint} bucket ${s3.target.bucket}: ${message(err)}`,
        'check --s3-endpoint and the network path to it',
      ),
      notChecked('bucket-read', 'the bucket round trip failed'),
      notChecked('bandwidth', 'the bucket round trip failed'),
    ];
  }
  const bucket = bucketVerdict(round.bucket);
  const readSide =
    round.readOnly === undefined
      ? notChecked('bucket-read', 'the write key’s round trip failed')
      : readOnlyVerdict(round.readOnly);
  if (bucket.status === 'FAIL') return [bucket, readSide, notChecked('bandwidth', 'the bucket check failed')];
  const need = bandwidthNeed(o.role, presetSizes(o.preset), s3.uploadSlotMs, s3.miners);
  try {
    const { up, down } = await withTimeout(3 * o.timeoutMs, 'the bandwidth probe', (signal) =>
      measureBandwidth({ ...probe, probeBytes: s3.probeBytes, signal }),
    );
    return [bucket, readSide, bandwidthVerdict(up, down, need, s3.probeBytes)];
  } catch (err) {
    return [
      bucket,
      readSide,
      bandwidthVerdict({ ok: false, message: message(err) }, { ok: false, message: '' }, need, s3.probeBytes),
    ];
  }
}

async function guarded(
  check: CheckName,
  timeoutMs: number,
  fn: () => Promise<CheckResult>,
): Promise<CheckResult> {
  try {
    return await withTimeout(timeoutMs, `the ${check} check`, fn);
  } catch (err) {
    return result(check, 'FAIL', message(err), 'see docs/preflight.md');
  }
}

/** Run every check; results in report order. */
export async function runPreflight(o: PreflightOptions): Promise<CheckResult[]> {
  const sizes = presetSizes(o.preset);
  const tell = (r: CheckResult): CheckResult => {
    o.onResult?.(r);
    return r;
  };
  const tellAll = (rs: CheckResult[]): CheckResult[] => rs.map(tell);
  const s3Date =
    o.s3 === undefined
      ? Promise.resolve(undefined)
      : probeS3Date(o.s3.target.endpoint, o.timeoutMs).catch(() => undefined);
  const [chain, bucket, disk, gpu, s3] = await Promise.all([
    chainChecks(o).then((c) => {
      tellAll(c.results);
      return c;
    }),
    bucketChecks(o).then(tellAll),
    guarded('disk', o.timeoutMs, async () => diskVerdict(await probeDisk(o.stateDir), o.preset, sizes)).then(
      tell,
    ),
    guarded('gpu', o.timeoutMs, async () =>
      gpuVerdict(await probeGpus(o.timeoutMs), o.role, o.preset, sizes),
    ).then(tell),
    s3Date,
  ]);
  const clock = tell(clockVerdict({ chain: chain.clock, s3 }, o.maxSkewMs));
  return inReportOrder([...chain.results, ...bucket, clock, disk, gpu]);
}
