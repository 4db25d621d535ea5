/**
 * What `cohort devnet` runs: the shape of the local network and how long. Parsed and checked here so the
 * command line, `make devnet` and the end-to-end test share one set of defaults and one set of errors.
 */
import { CohortError, Code } from '@cohort/core';
import { PRESETS } from '@cohort/native';
import type { Preset } from '@cohort/native';
import { ADVERSARY_NAMES } from './adversaries/index.js';
import type { AdversaryName } from './adversaries/index.js';

/** The shape and length of a devnet run. */
export interface DevnetOptions {
  /** Honest miners (each its own operator: NATS, chain-bridge, gpu-worker, coordinator). */
  readonly miners: number;
  /** Adversarial miners, by name (see {@link DEVNET_ADVERSARY_ALIASES}). */
  readonly adversaries: readonly AdversaryName[];
  /** Windows to run, counted from window 0 of the run. */
  readonly windows: number;
  readonly preset: Preset;
  /** Evaluator replicas of the validator. */
  readonly evaluators: number;
  /** Block time of the local chain and blocks per window. */
  readonly blockMs: number;
  readonly blocksPerWindow: number;
  /** The aggregator checkpoints every this many windows. */
  readonly checkpointEvery: number;
  /** Directory of the report (replaced at the end of a run). */
  readonly out: string;
  /** Leave the network running after the report (until Ctrl-C), for Grafana and the CLI. */
  readonly keep: boolean;
  /** Held-out samples per window for the loss curve. */
  readonly heldoutSamples: number;
  /**
   * The run's bucket: undefined for the filesystem, `local` to start a RADOS Gateway on loopback, or an
   * S3 endpoint (`http(s)://host:port`, credentials from COHORT_S3_ACCESS_KEY_ID / COHORT_S3_SECRET_ACCESS_KEY).
   */
  readonly s3: string | undefined;
  /** Bucket name on S3 (created when missing). */
  readonly s3Bucket: string;
  /**
   * Workers and evaluators read the prepared Brown directory directly instead of from the run's store
   * (where the devnet publishes it and each process reads by range into its own cache, ADR 0015).
   */
  readonly localDataset: boolean;
  /** gpu-workers and evaluators run the engine's fused ops (`fusedOps`, ADR 0019) instead of eager chains. */
  readonly fusedOps: boolean;
}

/** The defaults: about ten windows, under ten minutes on two cores. */
export const DEVNET_DEFAULTS: DevnetOptions = {
  miners: 4,
  adversaries: ['copier', 'flipped'],
  windows: 10,
  preset: 'devnet',
  evaluators: 2,
  blockMs: 1000,
  blocksPerWindow: 20,
  checkpointEvery: 5,
  out: 'devnet-report',
  keep: false,
  heldoutSamples: 32,
  s3: undefined,
  s3Bucket: 'cohort-devnet',
  localDataset: false,
  fusedOps: false,
};

/** Friendlier names for adversaries: a poisoner sends a sign-flipped update (the Gauntlet calls it HARMFUL). */
export const DEVNET_ADVERSARY_ALIASES: Readonly<Record<string, AdversaryName>> = {
  poisoner: 'flipped',
  noisy: 'noise',
};

/** How the devnet names an adversary in its view and report (the alias users know it by). */
export const DEVNET_DISPLAY_NAMES: Readonly<Partial<Record<AdversaryName, string>>> = {
  flipped: 'poisoner',
};

function bad(message: string, reason: string): CohortError {
  return new CohortError(Code.InvalidArgument, message, { reason });
}

/** The adversary list of `--adversaries a,b,c` (aliases resolved; `none` or empty for none). */
export function parseAdversaries(text: string): AdversaryName[] {
  const names = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '' && s !== 'none');
  const out: AdversaryName[] = [];
  for (const raw of names) {
    const name = DEVNET_ADVERSARY_ALIASES[raw] ?? raw;
    if (!(ADVERSARY_NAMES as readonly string[]).includes(name)) {
      throw bad(
        `unknown adversary ${JSON.stringify(raw)}; one of ${[...Object.keys(DEVNET_ADVERSARY_ALIASES), ...ADVERSARY_NAMES].join(', ')}`,
        'UNKNOWN_ADVERSARY',
      );
    }
    if (out.includes(name as AdversaryName)) {
      throw bad(`adversary ${JSON.stringify(raw)} given twice`, 'DUPLICATE_ADVERSARY');
    }
    out.push(name as AdversaryName);
  }
  return out;
}

type NumericOption =
  'miners' | 'windows' | 'evaluators' | 'blockMs' | 'blocksPerWindow' | 'checkpointEvery' | 'heldoutSamples';

/**
 * How an error names each numeric option: the `cohort devnet` flag that sets it, or the option itself
 * where no flag does (heldoutSamples is set in code only).
 */
const OPTION_NAMES: Readonly<Record<NumericOption, string>> = {
  miners: '--miners',
  windows: '--windows',
  evaluators: '--evaluators',
  blockMs: '--block-ms',
  blocksPerWindow: '--blocks-per-window',
  checkpointEvery: '--checkpoint-every',
  heldoutSamples: 'the heldoutSamples option',
};

/** Fill defaults and check ranges: a clear InvalidArgument (reason DEVNET_OPTION) for anything off. */
export function devnetOptions(partial: Partial<DevnetOptions>): DevnetOptions {
  const o = { ...DEVNET_DEFAULTS, ...partial };
  const intIn = (name: NumericOption, min: number, max: number): void => {
    const v = o[name];
    if (!Number.isInteger(v) || v < min || v > max) {
      throw bad(
        `${OPTION_NAMES[name]} must be an integer in [${min}, ${max}], got ${String(v)}`,
        'DEVNET_OPTION',
      );
    }
  };
  intIn('miners', 1, 16);
  intIn('windows', 2, 1000);
  intIn('evaluators', 1, 8);
  intIn('blockMs', 200, 60_000);
  intIn('blocksPerWindow', 5, 600);
  intIn('checkpointEvery', 1, 1000);
  intIn('heldoutSamples', 1, 4096);
  if (!(PRESETS as readonly string[]).includes(o.preset)) {
    throw bad(
      `--preset must be one of ${PRESETS.join(', ')}, got ${JSON.stringify(o.preset)}`,
      'DEVNET_OPTION',
    );
  }
  if (o.adversaries.length > 14) throw bad('at most 14 adversaries', 'DEVNET_OPTION');
  if (o.out.trim() === '') throw bad('--out must name a directory', 'DEVNET_OPTION');
  if (o.s3 !== undefined && o.s3 !== 'local') {
    let url: URL | undefined;
    try {
      url = new URL(o.s3);
    } catch {
      url = undefined;
    }
    if (url === undefined || !['http:', 'https:'].includes(url.protocol) || url.pathname.length > 1) {
      throw bad(
        `--s3 must be \`local\` or an endpoint like https://host:port, got ${JSON.stringify(o.s3)}`,
        'DEVNET_OPTION',
      );
    }
  }
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(o.s3Bucket)) {
    throw bad(
      `--s3-bucket must be a valid S3 bucket name, got ${JSON.stringify(o.s3Bucket)}`,
      'DEVNET_OPTION',
    );
  }
  return o;
}
