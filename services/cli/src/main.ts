#!/usr/bin/env node
// The `cohort` command line: the only place that reads argv. Output on stdout, progress on stderr.
// Exit 0 on success, 2 on misuse (InvalidArgument), 1 on any other failure.
import { CohortError, Code } from '@cohort/core';
import { runCli } from './run-cli.js';

try {
  const output = await runCli(process.argv.slice(2), {
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${output}\n`);
} catch (err) {
  const e = CohortError.from(err);
  const reason = e.reason === undefined ? '' : ` [${e.reason}]`;
  process.stderr.write(`cohort: ${e.message}${reason}\n`);
  process.exitCode = e.code === Code.InvalidArgument ? 2 : 1;
}
