/**
 * Flag parsing for subcommands: node's `util.parseArgs` in strict mode, with every misuse (unknown
 * flag, missing value, stray argument, a value of the wrong form) turned into an InvalidArgument
 * CohortError, so `main.ts` exits 2 with one line naming the flag. `--help` / `-h` is answered here for
 * every subcommand: {@link parseFlags} throws {@link HelpRequested} with the command's usage, and
 * `runCli` prints it (exit 0).
 */
import { parseArgs } from 'node:util';
import { CohortError, Code, expectedMessage } from '@cohort/core';

/**
 * Not a failure: the arguments asked for help. Thrown by {@link parseFlags} before anything runs, so a
 * command needs no help handling of its own; `runCli` catches it and returns `usage` as the output.
 */
export class HelpRequested extends Error {
  override readonly name = 'HelpRequested';
  constructor(readonly usage: string) {
    super('help requested');
  }
}

/** The flags a subcommand accepts: each takes a string value, or is a boolean switch. */
export type FlagSpec = Readonly<Record<string, { readonly type: 'string' | 'boolean' }>>;

/** Parsed flags (string values or `true`) and positional arguments. */
export interface ParsedFlags {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/**
 * Whether `args` hold `--help` or `-h` as a flag (not as the value of a string flag, nor after `--`),
 * whatever else they hold: help wins over misuse, as users expect of `cmd --bogus --help`.
 */
function asksForHelp(args: readonly string[], spec: FlagSpec): boolean {
  try {
    const { tokens } = parseArgs({
      args: [...args],
      options: spec,
      strict: false,
      allowPositionals: true,
      tokens: true,
    });
    return tokens.some((t) => t.kind === 'option' && (t.name === 'help' || t.name === 'h'));
  } catch {
    return false; // the strict parse that follows reports the misuse
  }
}

/**
 * Parse `args` against `spec`; `maxPositionals` bounds the positional arguments. `--help` or `-h`
 * throws {@link HelpRequested} carrying `usage`, the command's usage text.
 */
export function parseFlags(
  args: readonly string[],
  spec: FlagSpec,
  maxPositionals: number,
  usage: string,
): ParsedFlags {
  if (asksForHelp(args, spec)) throw new HelpRequested(usage);
  let parsed: ParsedFlags;
  try {
    parsed = parseArgs({ args: [...args], options: spec, strict: true, allowPositionals: true });
  } catch (err) {
    throw new CohortError(Code.InvalidArgument, CohortError.from(err).message, {
      reason: 'INVALID_FLAGS',
      cause: err,
    });
  }
  if (parsed.positionals.length > maxPositionals) {
    throw new CohortError(
      Code.InvalidArgument,
      `unexpected argument ${JSON.stringify(parsed.positionals[maxPositionals])}`,
      {
        reason: 'INVALID_FLAGS',
      },
    );
  }
  return parsed;
}

/** The string value of `--name`, or undefined when absent. */
export function stringFlag(flags: ParsedFlags, name: string): string | undefined {
  const value = flags.values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A numeric flag's value; `integer` demands digits only. Absent → undefined. */
export function numberFlag(flags: ParsedFlags, name: string, integer: boolean): number | undefined {
  const raw = stringFlag(flags, name);
  if (raw === undefined) return undefined;
  const ok = integer ? /^\d+$/.test(raw) : /^\d+(\.\d+)?$|^\.\d+$/.test(raw);
  if (!ok) {
    throw new CohortError(
      Code.InvalidArgument,
      expectedMessage(integer ? 'a non-negative integer' : 'a non-negative number', `--${name}`, raw),
      { reason: 'INVALID_FLAG_VALUE', details: { flag: name } },
    );
  }
  return Number(raw);
}
