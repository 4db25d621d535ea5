/** The `cohort` command's dispatcher: a subcommand name to its implementation and help. */
import { CohortError, Code } from '@cohort/core';
import { COHORT_VERSION } from '@cohort/kit';
import { silentIo } from './cli-io.js';
import type { CliIo } from './cli-io.js';
import { configReference } from './commands/config-reference.js';
import { HelpRequested, parseFlags } from './commands/parse-flags.js';
import { dataCommand } from './commands/data.js';
import { devnetCommand } from './commands/devnet.js';
import { explainCommand } from './commands/explain.js';
import { exportCommand } from './commands/export.js';
import { preflightCli } from './commands/preflight.js';
import { verifyAggregateCommand } from './commands/verify-aggregate.js';

/** Usage of `cohort version`. */
export const versionUsage = 'usage: cohort version';

interface Command {
  readonly summary: string;
  run(args: readonly string[], io: CliIo): string | Promise<string>;
}

const commands: Readonly<Record<string, Command>> = {
  version: {
    summary: 'print the cohort version',
    run: (args) => {
      parseFlags(args, {}, 0, versionUsage);
      return `cohort ${COHORT_VERSION}`;
    },
  },
  config: {
    summary: 'configuration reference of the services: cohort config [service...] [--json]',
    run: configReference,
  },
  data: {
    summary:
      'training data: cohort data prepare [--corpus brown | --input <path>] --out <dir>; cohort data inspect <dir>; cohort data publish <dir> --store <addr> --prefix <p>',
    run: dataCommand,
  },
  devnet: {
    summary:
      'the whole network on this machine, with a live view and a report: cohort devnet [--miners n] [--adversaries a,b] [--windows n] [--out dir] [--keep] (--help for all)',
    run: (args, io) => devnetCommand(args, io),
  },
  explain: {
    summary:
      "recheck a validator's score of a miner: cohort explain <window> <hotkey> [--store host:port] [--run <run>] | --file <record.json>",
    run: explainCommand,
  },
  preflight: {
    summary:
      "check an operator's setup before joining (chain, hotkey, bucket, clock, disk, GPU, bandwidth): cohort preflight --role miner|validator|aggregator [--chain ws://… --netuid N --hotkey <ss58>] [--s3-endpoint … --bucket …] [--json] (--help for all)",
    run: preflightCli,
  },
  'verify-aggregate': {
    summary:
      "audit the aggregator: re-derive window w's aggregate from its payloads, bit for bit: cohort verify-aggregate <window> [--store host:port] [--run <run>] [--aggregator <ss58>] [--validator <ss58>]",
    run: verifyAggregateCommand,
  },
  export: {
    summary:
      'a checkpoint as a Hugging Face model directory (LlamaForCausalLM + GPT-2 tokenizer): cohort export --out <dir> [--window <w>] [--store host:port] [--run <run>] [--force]',
    run: exportCommand,
  },
};

/** Usage text listing every command. */
export function usage(): string {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  return [
    'usage: cohort <command> [args]',
    '',
    ...Object.entries(commands).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

/**
 * Run `argv` (without node and script); resolves to the output, rejects with a CohortError on misuse
 * (InvalidArgument) or failure. Progress of long commands goes to `io`. `--help` / `-h` after any
 * command resolves to that command's usage (see parse-flags).
 */
export async function runCli(argv: readonly string[], io: CliIo = silentIo): Promise<string> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') return usage();
  const command = commands[name];
  if (command === undefined) {
    throw new CohortError(Code.InvalidArgument, `unknown command ${JSON.stringify(name)}\n\n${usage()}`, {
      reason: 'UNKNOWN_COMMAND',
    });
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    if (err instanceof HelpRequested) return err.usage;
    throw err;
  }
}
