/**
 * Flag parsing for subcommands: node's `util.parseArgs` in strict mode, with every misuse (unknown
 * flag, missing value, stray argument, a value of the wrong form) turned into an InvalidArgument
 * CohortError, so `main.ts` exits 2 with one line naming the flag.
 */
import { parseArgs } from 'node:util';
import { CohortError, Code, expectedMessage } from '@cohort/core';

/** The flags a subcommand accepts: each takes a string value, or is a boolean switch. */
export type FlagSpec = Readonly<Record<string, { readonly type: 'string' | 'boolean' }>>;

/** Parsed flags (string values or `true`) and positional arguments. */
export interface ParsedFlags {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
}

/** Parse `args` against `spec`; `maxPositionals` bounds the positional arguments. */
export function parseFlags(args: readonly string[], spec: FlagSpec, maxPositionals: number): ParsedFlags {
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
