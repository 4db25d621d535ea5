/**
 * `cohort preflight`: what a new operator usually gets wrong, checked before joining. The chain endpoint
 * and its runtime, the subnet and the hotkey's registration (and a validator's permit), the bucket with
 * the write key and with the read-only key that will be committed, the clock, free disk, the GPU, and the
 * bandwidth to the bucket. One line per check, `ok|warn|FAIL  <check>  <detail>; <what to do>`, or
 * `--json`; exit 0 without a FAIL, 1 with one, 2 on misuse. docs/preflight.md explains every check.
 */
import type { CliIo } from '../cli-io.js';
import { anyFailed, formatReport, summaryLine } from '../preflight/check-result.js';
import { runPreflight } from '../preflight/run-preflight.js';
import { parsePreflightArgs, preflightUsage } from './preflight-options.js';

export { preflightUsage };

/** The report and whether any check failed. */
export interface PreflightReport {
  readonly output: string;
  readonly failed: boolean;
}

/**
 * Run `cohort preflight <args>`; secrets may come from `env`. Throws InvalidArgument on misuse only, and
 * HelpRequested (parse-flags) for `--help`, which `runCli` answers with the usage.
 */
export async function preflightCommand(
  args: readonly string[],
  io: CliIo,
  env: NodeJS.ProcessEnv = process.env,
): Promise<PreflightReport> {
  const { options, json } = parsePreflightArgs(args, env);
  const results = await runPreflight({
    ...options,
    onResult: (r) => io.progress(`preflight: ${r.check} ${r.status}`),
  });
  const failed = anyFailed(results);
  const output = json
    ? JSON.stringify({ ok: !failed, role: options.role, preset: options.preset, checks: results }, null, 2)
    : `${formatReport(results)}\n${summaryLine(results)}`;
  return { output, failed };
}

/**
 * The CLI's entry: the report goes to stdout either way, so a failing run still prints it (and its JSON)
 * there; a FAIL sets the process's exit code to 1, which `main.ts` keeps since nothing was thrown.
 */
export async function preflightCli(args: readonly string[], io: CliIo): Promise<string> {
  const report = await preflightCommand(args, io);
  if (report.failed) process.exitCode = 1;
  return report.output;
}
