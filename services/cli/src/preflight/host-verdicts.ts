/**
 * Verdicts of the checks on this machine: its clock against the chain and the S3 server, free disk at
 * the state directory, and the GPUs `nvidia-smi` reports. Pure: the host probe fills the observations.
 */
import { formatBytes, result } from './check-result.js';
import type { CheckResult } from './check-result.js';
import type { PresetName, PresetSizes } from './preset-sizes.js';
import type { Role } from './roles.js';

/** A chain head lags the wall clock by up to one block (12 s on subtensor) before the next one comes. */
export const BLOCK_LAG_ALLOWANCE_MS = 12_000;
/** S3 (SigV4) refuses requests signed more than 15 minutes away from its own clock. */
export const S3_SIGNATURE_SKEW_MS = 15 * 60_000;
/** The `Date` header has one-second resolution. */
const DATE_RESOLUTION_MS = 1_000;

/** Clock readings: each with the local time it was compared with. */
export interface ClockObservation {
  readonly chain?: { readonly headTimestampMs: number; readonly localMs: number } | undefined;
  readonly s3?:
    { readonly serverDateMs: number; readonly localMs: number; readonly rttMs: number } | undefined;
}

/** How far the local clock is from the chain, beyond the head's normal lag (0 when within it). */
export function chainSkewMs(c: NonNullable<ClockObservation['chain']>): number {
  const ahead = c.localMs - c.headTimestampMs;
  return ahead < 0 ? -ahead : Math.max(0, ahead - BLOCK_LAG_ALLOWANCE_MS);
}

/** How far the local clock is from the S3 server's, beyond what the header's resolution and the round trip explain. */
export function s3SkewMs(s: NonNullable<ClockObservation['s3']>): number {
  return Math.max(0, Math.abs(s.localMs - s.serverDateMs) - DATE_RESOLUTION_MS - s.rttMs / 2);
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** The `clock` check. `maxSkewMs` is how far is still fine (raise it for a simulated chain). */
export function clockVerdict(o: ClockObservation, maxSkewMs: number): CheckResult {
  if (o.chain === undefined && o.s3 === undefined) {
    return result(
      'clock',
      'warn',
      'not checked: neither the chain nor the S3 server answered',
      'give --chain or --s3-endpoint',
    );
  }
  const s3 = o.s3 === undefined ? undefined : s3SkewMs(o.s3);
  const chain = o.chain === undefined ? undefined : chainSkewMs(o.chain);
  const parts = [
    ...(chain === undefined
      ? []
      : [`chain head ${seconds(o.chain!.localMs - o.chain!.headTimestampMs)} behind this clock`]),
    ...(s3 === undefined ? [] : [`S3 server ${seconds(o.s3!.localMs - o.s3!.serverDateMs)} behind`]),
  ].join(', ');
  const ntp = 'sync this machine’s clock (timedatectl set-ntp true, or chrony)';
  if (s3 !== undefined && s3 > S3_SIGNATURE_SKEW_MS) {
    return result(
      'clock',
      'FAIL',
      `${parts}: beyond S3’s 15 min signature window`,
      `${ntp}: the bucket refuses every signed request`,
    );
  }
  if (chain !== undefined && chain > maxSkewMs) {
    const clockIsRight = s3 !== undefined && s3 <= maxSkewMs;
    return result(
      'clock',
      'FAIL',
      `${parts} (limit ${seconds(maxSkewMs)} beyond one block)`,
      clockIsRight
        ? 'this clock agrees with the S3 server, so the chain node is behind: wait until it is synced, or use another endpoint; a simulated chain (chopsticks devchain) has its own time: pass --max-skew-ms'
        : `${ntp}; if the clock is right the node is behind (syncing); a simulated chain (chopsticks devchain) has its own time: pass --max-skew-ms`,
    );
  }
  if (s3 !== undefined && s3 > maxSkewMs) {
    return result('clock', 'warn', `${parts} (limit ${seconds(maxSkewMs)})`, ntp);
  }
  return result('clock', 'ok', `${parts} (within ${seconds(maxSkewMs)})`);
}

/** Free space where the node keeps state and checkpoints. */
export interface DiskObservation {
  readonly path: string;
  /** The directory measured: `path`, or its nearest existing ancestor when `path` does not exist yet. */
  readonly measuredPath: string;
  readonly exists: boolean;
  readonly writable: boolean;
  readonly freeBytes: number;
}

/** Room for the checkpoint being fetched and the one kept, plus 1 GiB of state and logs. */
export const diskNeedBytes = (sizes: PresetSizes): number => 2 * sizes.checkpointBytes + 1024 ** 3;

/** The `disk` check: below the need fails, under twice the need warns. */
export function diskVerdict(o: DiskObservation, preset: PresetName, sizes: PresetSizes): CheckResult {
  const need = diskNeedBytes(sizes);
  const where = o.exists ? o.path : `${o.path} (not there yet; on ${o.measuredPath})`;
  if (!o.writable) {
    return result(
      'disk',
      'FAIL',
      `${where} is not writable by this user`,
      'fix its owner or mode, or choose another --state-dir',
    );
  }
  const detail = `${where}: ${formatBytes(o.freeBytes)} free, ${preset} needs ${formatBytes(need)} (2 checkpoints of ${formatBytes(sizes.checkpointBytes)} + 1 GB)`;
  if (o.freeBytes < need)
    return result('disk', 'FAIL', detail, 'free space or put --state-dir on a larger volume');
  if (o.freeBytes < 2 * need)
    return result('disk', 'warn', detail, 'little headroom: a checkpoint download may fill the disk');
  return result('disk', 'ok', detail);
}

/** One GPU as `nvidia-smi` lists it (MiB). */
export interface GpuInfo {
  readonly name: string;
  readonly totalMiB: number;
  readonly usedMiB: number;
}

/** What `nvidia-smi` said: no such program, a failure, or the GPUs. */
export type GpuObservation =
  | { readonly kind: 'absent' }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'gpus'; readonly gpus: readonly GpuInfo[] };

/** Parse `nvidia-smi --query-gpu=name,memory.total,memory.used --format=csv,noheader,nounits`. */
export function parseNvidiaSmi(stdout: string): GpuInfo[] {
  return stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const fields = line.split(',').map((f) => f.trim());
      const used = Number(fields.pop());
      const total = Number(fields.pop());
      if (!Number.isFinite(used) || !Number.isFinite(total) || fields.length === 0) {
        throw new Error(`unexpected nvidia-smi line ${JSON.stringify(line)}`);
      }
      return { name: fields.join(','), totalMiB: total, usedMiB: used };
    });
}

const MIB = 1024 ** 2;

/** The `gpu` check: a miner needs one GPU holding the training state; others can run on CPU. */
export function gpuVerdict(
  o: GpuObservation,
  role: Role,
  preset: PresetName,
  sizes: PresetSizes,
): CheckResult {
  const cpuFine = role === 'aggregator' ? 'the aggregator runs on CPU' : 'evaluators can run on CPU (slower)';
  if (o.kind === 'absent') {
    return role === 'miner'
      ? result(
          'gpu',
          'warn',
          'no NVIDIA GPU visible (no nvidia-smi): CPU-only',
          'a miner trains on a CUDA GPU beyond the devnet preset: install the driver, or expose the GPU to the container (--gpus all, the NVIDIA device plugin)',
        )
      : result('gpu', 'ok', `no NVIDIA GPU: ${cpuFine}`);
  }
  if (o.kind === 'error') {
    return result(
      'gpu',
      role === 'miner' ? 'FAIL' : 'warn',
      `nvidia-smi failed: ${o.message}`,
      'the driver is not loaded or does not match the kernel module: reinstall or reboot, and check nvidia-smi by hand',
    );
  }
  if (o.gpus.length === 0) return gpuVerdict({ kind: 'absent' }, role, preset, sizes);
  const need = role === 'miner' ? sizes.trainGpuBytes : sizes.evalGpuBytes;
  const best = [...o.gpus].sort((a, b) => b.totalMiB - b.usedMiB - (a.totalMiB - a.usedMiB))[0]!;
  const largest = Math.max(...o.gpus.map((g) => g.totalMiB)) * MIB;
  const free = (best.totalMiB - best.usedMiB) * MIB;
  const list = `${o.gpus.length} GPU${o.gpus.length === 1 ? '' : 's'}, best ${best.name} with ${formatBytes(free)} free of ${formatBytes(best.totalMiB * MIB)}`;
  if (role === 'aggregator') return result('gpu', 'ok', `${list} (not needed: ${cpuFine})`);
  const what = role === 'miner' ? 'training' : 'evaluating';
  const detail = `${list}; ${what} ${preset} needs about ${formatBytes(need)} on one device`;
  if (largest < need) {
    const sharded =
      preset === '8B' || preset === '70B'
        ? '; 8B and 70B need sharding across GPUs, which the engine does not do yet'
        : '';
    return result(
      'gpu',
      role === 'miner' ? 'FAIL' : 'warn',
      detail,
      `a GPU with more memory, or a smaller preset${sharded}`,
    );
  }
  if (free < need) {
    return result(
      'gpu',
      'warn',
      detail,
      'other processes hold GPU memory: stop them (nvidia-smi lists them)',
    );
  }
  return result('gpu', 'ok', detail);
}
