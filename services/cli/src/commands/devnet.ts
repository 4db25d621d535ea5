/**
 * `cohort devnet`: the whole network on this machine, trained for a few windows, with a live view on
 * stderr and a report directory at the end (see @cohort/devnet). Ctrl-C stops every process and still
 * writes the report of what ran (exit 1, INTERRUPTED); a second Ctrl-C exits at once.
 */
import { CohortError, Code } from '@cohort/core';
import {
  DEVNET_DEFAULTS,
  DEVNET_DISPLAY_NAMES,
  createLiveView,
  devnetOptions,
  parseAdversaries,
  runDevnet,
} from '@cohort/devnet';
import type { DevnetOptions, ViewSink } from '@cohort/devnet';
import type { Preset } from '@cohort/native';
import type { CliIo } from '../cli-io.js';
import { exportLocalModel } from './export.js';
import { numberFlag, parseFlags, stringFlag } from './parse-flags.js';

const d = DEVNET_DEFAULTS;

/** Usage of `cohort devnet`. */
export const devnetUsage = `usage: cohort devnet [options]

Runs a local subtensor chain, NATS, the run's store and every operator's services as processes on
loopback: honest miners, adversarial miners, a validator with evaluators and an aggregator. Trains the
devnet model on the Brown corpus, then writes a report (report.md, report.json, plots, the final
checkpoint in Hugging Face layout).

  --miners <n>             honest miners (default ${d.miners})
  --adversaries <a,b>      adversarial miners (default ${d.adversaries.map((n) => DEVNET_DISPLAY_NAMES[n] ?? n).join(',')}; poisoner = flipped;
                           none for none; any of the Gauntlet's adversaries)
  --windows <n>            windows to run (default ${d.windows})
  --preset <name>          model preset (default ${d.preset})
  --evaluators <n>         the validator's evaluator replicas (default ${d.evaluators})
  --block-ms <ms>          block time of the local chain (default ${d.blockMs})
  --blocks-per-window <n>  blocks per window (default ${d.blocksPerWindow})
  --checkpoint-every <n>   windows between checkpoints (default ${d.checkpointEvery})
  --out <dir>              the report directory, replaced (default ${d.out})
  --keep                   leave the network running after the report, until Ctrl-C
  --s3 <endpoint|local>    the run's bucket on S3 instead of the filesystem: an endpoint
                           (https://host:port; credentials from COHORT_S3_ACCESS_KEY_ID and
                           COHORT_S3_SECRET_ACCESS_KEY), or local to start a Ceph RADOS Gateway
  --s3-bucket <name>       the bucket (default ${d.s3Bucket}; created when missing)
  --local-dataset          workers read the prepared dataset directory instead of the copy the
                           devnet publishes to the run's store (read by range, per-process cache)
  --fused-ops              gpu-workers and evaluators run the engine's fused ops (RMSNorm, RoPE,
                           SwiGLU, loss: the CUDA kernels' CPU twins here) instead of eager chains`;

/** Where the live view draws: the command's stderr (a TTY gets the redrawn view). */
export interface DevnetTerminal {
  readonly sink: ViewSink;
  /** Subscribe to Ctrl-C; returns an unsubscribe. */
  onInterrupt(handler: () => void): () => void;
}

const processTerminal: DevnetTerminal = {
  sink: process.stderr,
  onInterrupt(handler) {
    let count = 0;
    const on = (): void => {
      count++;
      if (count > 1) process.exit(130);
      handler();
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
    return () => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
    };
  },
};

/** Parse `cohort devnet` flags into options (misuse: InvalidArgument; `--help`: HelpRequested). */
export function devnetFlags(args: readonly string[]): DevnetOptions {
  const flags = parseFlags(
    args,
    {
      miners: { type: 'string' },
      adversaries: { type: 'string' },
      windows: { type: 'string' },
      preset: { type: 'string' },
      evaluators: { type: 'string' },
      'block-ms': { type: 'string' },
      'blocks-per-window': { type: 'string' },
      'checkpoint-every': { type: 'string' },
      out: { type: 'string' },
      keep: { type: 'boolean' },
      s3: { type: 'string' },
      's3-bucket': { type: 'string' },
      'local-dataset': { type: 'boolean' },
      'fused-ops': { type: 'boolean' },
    },
    0,
    devnetUsage,
  );
  const partial: { -readonly [K in keyof DevnetOptions]?: DevnetOptions[K] | undefined } = {};
  const n = (flag: string): number | undefined => numberFlag(flags, flag, true);
  partial.miners = n('miners');
  partial.windows = n('windows');
  partial.evaluators = n('evaluators');
  partial.blockMs = n('block-ms');
  partial.blocksPerWindow = n('blocks-per-window');
  partial.checkpointEvery = n('checkpoint-every');
  const adversaries = stringFlag(flags, 'adversaries');
  if (adversaries !== undefined) partial.adversaries = parseAdversaries(adversaries);
  const preset = stringFlag(flags, 'preset');
  if (preset !== undefined) partial.preset = preset as Preset;
  partial.out = stringFlag(flags, 'out');
  partial.s3 = stringFlag(flags, 's3');
  partial.s3Bucket = stringFlag(flags, 's3-bucket');
  partial.keep = flags.values.keep === true ? true : undefined;
  partial.localDataset = flags.values['local-dataset'] === true ? true : undefined;
  partial.fusedOps = flags.values['fused-ops'] === true ? true : undefined;
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  return devnetOptions(defined);
}

/** Run `cohort devnet <args>`. */
export async function devnetCommand(
  args: readonly string[],
  _io: CliIo,
  terminal: DevnetTerminal = processTerminal,
): Promise<string> {
  const options = devnetFlags(args);
  const abort = new AbortController();
  const off = terminal.onInterrupt(() => abort.abort());
  try {
    const { report, dir } = await runDevnet(
      options,
      { view: createLiveView(terminal.sink), signal: abort.signal },
      { exportModel: exportLocalModel },
    );
    if (report.status === 'interrupted') {
      throw new CohortError(Code.Aborted, `interrupted; the report of what ran is in ${dir}`, {
        reason: 'INTERRUPTED',
      });
    }
    const h = report.heldout.filter((x) => x.loss !== null);
    const top = report.weights.slice(0, 3).map((w) => `${w.name} ${w.weight.toFixed(3)}`);
    return [
      `devnet completed: ${report.rows.length} windows in ${(report.timings.totalMs / 1000).toFixed(0)} s`,
      h.length >= 2
        ? `held-out loss ${h[0]!.loss!.toFixed(3)} → ${h.at(-1)!.loss!.toFixed(3)}`
        : 'held-out loss: not measured',
      `caught: ${report.verdicts.map((v) => `${v.name} ${v.caughtIn === undefined ? 'never' : `in window ${v.caughtIn} (${v.reasons.join(',')})`}`).join('; ') || 'no adversaries'}`,
      `top weights: ${top.join(', ')}`,
      `report: ${dir}/report.md`,
    ].join('\n');
  } finally {
    off();
  }
}
