/**
 * `cohort preflight` flags (and the secrets' environment twins) into {@link PreflightOptions}. Every
 * misuse, a flag without its partner included, is an InvalidArgument error naming the flag, so the
 * command exits 2 before it touches the network.
 */
import { CohortError, Code, checkRunId } from '@cohort/core';
import { isPreset, PRESET_NAMES } from '../preflight/preset-sizes.js';
import { isRole, ROLES } from '../preflight/roles.js';
import type { HotkeyInput, PreflightOptions } from '../preflight/run-preflight.js';
import { numberFlag, parseFlags, stringFlag } from './parse-flags.js';
import type { FlagSpec } from './parse-flags.js';

/** Usage of `cohort preflight`. */
export const preflightUsage = `usage: cohort preflight --role miner|validator|aggregator [--preset devnet|150M|1B|8B|70B]
    [--chain ws://host:9944 --netuid N] [--hotkey <ss58> | --hotkey-uri <uri> | --wallet-name W [--hotkey-name H] [--wallet-path P]]
    [--s3-endpoint http(s)://host[:port] --bucket B [--region R] [--virtual-host] [--run <run>]
     [--access-key-id K --secret-access-key S] [--read-access-key-id K --read-secret-access-key S] [--probe-mb 8]]
    [--state-dir <dir>] [--max-skew-ms 10000] [--timeout-ms 15000] [--upload-slot-ms 70000] [--miners 20] [--json]
secrets may come from the environment instead: COHORT_S3_ACCESS_KEY_ID, COHORT_S3_SECRET_ACCESS_KEY,
COHORT_S3_READ_ACCESS_KEY_ID, COHORT_S3_READ_SECRET_ACCESS_KEY, COHORT_HOTKEY_MNEMONIC`;

const STRING_FLAGS = [
  ...[
    'role',
    'preset',
    'chain',
    'netuid',
    'hotkey',
    'hotkey-uri',
    'wallet-name',
    'hotkey-name',
    'wallet-path',
  ],
  ...['s3-endpoint', 'bucket', 'region', 'run', 'access-key-id', 'secret-access-key'],
  ...['read-access-key-id', 'read-secret-access-key', 'probe-mb', 'state-dir', 'max-skew-ms', 'timeout-ms'],
  ...['upload-slot-ms', 'miners'],
];

const spec: FlagSpec = {
  ...Object.fromEntries(STRING_FLAGS.map((name) => [name, { type: 'string' as const }])),
  json: { type: 'boolean' },
  'virtual-host': { type: 'boolean' },
};

const misuse = (message: string, flag?: string): CohortError =>
  new CohortError(Code.InvalidArgument, message, {
    reason: flag === undefined ? 'MISSING_ARGUMENT' : 'INVALID_FLAG_VALUE',
    ...(flag === undefined ? {} : { details: { flag } }),
  });

/** Parsed options, and whether the report is JSON. */
export interface PreflightArgs {
  readonly options: PreflightOptions;
  readonly json: boolean;
}

function url(value: string, flag: string, protocols: readonly string[]): string {
  let parsed: URL | undefined;
  try {
    parsed = new URL(value);
  } catch {
    parsed = undefined;
  }
  if (parsed === undefined || !protocols.includes(parsed.protocol)) {
    throw misuse(
      `--${flag} must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL, not ${JSON.stringify(value)}`,
      flag,
    );
  }
  return value;
}

/** A secret from its flag or, when absent, its environment twin. */
const secret = (
  flags: ReturnType<typeof parseFlags>,
  flag: string,
  env: NodeJS.ProcessEnv,
  twin: string,
): string | undefined => stringFlag(flags, flag) ?? (env[twin] === '' ? undefined : env[twin]);

function hotkeyInput(flags: ReturnType<typeof parseFlags>, env: NodeJS.ProcessEnv): HotkeyInput | undefined {
  const ss58 = stringFlag(flags, 'hotkey');
  const uri = stringFlag(flags, 'hotkey-uri') ?? '';
  const walletName = stringFlag(flags, 'wallet-name') ?? '';
  const mnemonic = env.COHORT_HOTKEY_MNEMONIC ?? '';
  const given = [ss58 !== undefined, uri !== '', walletName !== '', mnemonic !== ''].filter(Boolean).length;
  if (given > 1) {
    throw misuse(
      'give one hotkey: --hotkey, --hotkey-uri, --wallet-name or COHORT_HOTKEY_MNEMONIC',
      'hotkey',
    );
  }
  if (ss58 !== undefined) return { ss58 };
  if (given === 0) return undefined;
  return {
    signer: {
      walletPath: stringFlag(flags, 'wallet-path') ?? '~/.bittensor/wallets',
      walletName,
      hotkeyName: stringFlag(flags, 'hotkey-name') ?? 'default',
      hotkeyMnemonic: mnemonic,
      hotkeyUri: uri,
    },
  };
}

function bounded(
  flags: ReturnType<typeof parseFlags>,
  name: string,
  fallback: number,
  min: number,
  max: number,
  integer = true,
): number {
  const value = numberFlag(flags, name, integer) ?? fallback;
  if (value < min || value > max) throw misuse(`--${name} must be in [${min}, ${max}], not ${value}`, name);
  return value;
}

/** Parse `args` (and secrets from `env`); throws InvalidArgument on misuse, HelpRequested on `--help`. */
export function parsePreflightArgs(args: readonly string[], env: NodeJS.ProcessEnv): PreflightArgs {
  const flags = parseFlags(args, spec, 0, preflightUsage);
  const role = stringFlag(flags, 'role');
  if (role === undefined) throw misuse(`--role is required\n\n${preflightUsage}`);
  if (!isRole(role))
    throw misuse(`--role must be one of ${ROLES.join(', ')}, not ${JSON.stringify(role)}`, 'role');
  const preset = stringFlag(flags, 'preset') ?? 'devnet';
  if (!isPreset(preset))
    throw misuse(
      `--preset must be one of ${PRESET_NAMES.join(', ')}, not ${JSON.stringify(preset)}`,
      'preset',
    );

  const chainUrl = stringFlag(flags, 'chain');
  const netuid = numberFlag(flags, 'netuid', true);
  if ((chainUrl === undefined) !== (netuid === undefined)) throw misuse('--chain and --netuid go together');
  if (netuid !== undefined && netuid > 65_535) throw misuse('--netuid must be at most 65535', 'netuid');
  const hotkey = hotkeyInput(flags, env);

  const endpoint = stringFlag(flags, 's3-endpoint');
  const bucket = stringFlag(flags, 'bucket');
  if ((endpoint === undefined) !== (bucket === undefined))
    throw misuse('--s3-endpoint and --bucket go together');
  let s3: PreflightOptions['s3'];
  if (endpoint !== undefined && bucket !== undefined) {
    const accessKeyId = secret(flags, 'access-key-id', env, 'COHORT_S3_ACCESS_KEY_ID');
    const secretAccessKey = secret(flags, 'secret-access-key', env, 'COHORT_S3_SECRET_ACCESS_KEY');
    if (accessKeyId === undefined || secretAccessKey === undefined) {
      throw misuse(
        'the bucket checks need the write key: --access-key-id and --secret-access-key (or COHORT_S3_ACCESS_KEY_ID and COHORT_S3_SECRET_ACCESS_KEY)',
      );
    }
    const readId = secret(flags, 'read-access-key-id', env, 'COHORT_S3_READ_ACCESS_KEY_ID');
    const readSecret = secret(flags, 'read-secret-access-key', env, 'COHORT_S3_READ_SECRET_ACCESS_KEY');
    if ((readId === undefined) !== (readSecret === undefined)) {
      throw misuse('--read-access-key-id and --read-secret-access-key go together');
    }
    const run = stringFlag(flags, 'run') ?? 'devnet';
    try {
      checkRunId(run);
    } catch (err) {
      throw misuse(`--run: ${CohortError.from(err).message}`, 'run');
    }
    s3 = {
      target: {
        endpoint: url(endpoint, 's3-endpoint', ['http:', 'https:']).replace(/\/$/, ''),
        bucket,
        region: stringFlag(flags, 'region') ?? 'us-east-1',
        pathStyle: flags.values['virtual-host'] !== true,
        accessKeyId,
        secretAccessKey,
      },
      read:
        readId === undefined || readSecret === undefined
          ? undefined
          : { accessKeyId: readId, secretAccessKey: readSecret },
      run,
      probeBytes: Math.round(bounded(flags, 'probe-mb', 8, 0.01, 4096, false) * 1e6),
      uploadSlotMs: bounded(flags, 'upload-slot-ms', 70_000, 1, 3_600_000),
      miners: bounded(flags, 'miners', 20, 1, 65_535),
    };
  }
  return {
    json: flags.values.json === true,
    options: {
      role,
      preset,
      timeoutMs: bounded(flags, 'timeout-ms', 15_000, 100, 600_000),
      maxSkewMs: bounded(flags, 'max-skew-ms', 10_000, 0, Number.MAX_SAFE_INTEGER),
      stateDir: stringFlag(flags, 'state-dir') ?? '.',
      chain:
        chainUrl === undefined || netuid === undefined
          ? undefined
          : { url: url(chainUrl, 'chain', ['ws:', 'wss:']), netuid },
      hotkey,
      s3,
    },
  };
}
