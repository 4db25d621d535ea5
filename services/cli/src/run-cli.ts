/** The `cohort` command's dispatcher: a subcommand name to its implementation and help. */
import { CohortError, Code } from '@cohort/core';
import { COHORT_VERSION } from '@cohort/kit';
import { configReference } from './commands/config-reference.js';

interface Command {
  readonly summary: string;
  run(args: readonly string[]): string;
}

const commands: Readonly<Record<string, Command>> = {
  version: { summary: 'print the cohort version', run: () => `cohort ${COHORT_VERSION}` },
  config: {
    summary: 'configuration reference of the services: cohort config [service...] [--json]',
    run: configReference,
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

/** Run `argv` (without node and script); returns the output, throws CohortError on misuse. */
export function runCli(argv: readonly string[]): string {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') return usage();
  const command = commands[name];
  if (command === undefined) {
    throw new CohortError(Code.InvalidArgument, `unknown command ${JSON.stringify(name)}\n\n${usage()}`, {
      reason: 'UNKNOWN_COMMAND',
    });
  }
  return command.run(rest);
}
