#!/usr/bin/env node
// The `cohort` command line: the only place that reads argv. Exit 0 on success, 2 on misuse.
import { CohortError, Code } from '@cohort/core';
import { runCli } from './run-cli.js';

try {
  process.stdout.write(`${runCli(process.argv.slice(2))}\n`);
} catch (err) {
  const e = CohortError.from(err);
  process.stderr.write(`cohort: ${e.message}\n`);
  process.exitCode = e.code === Code.InvalidArgument ? 2 : 1;
}
