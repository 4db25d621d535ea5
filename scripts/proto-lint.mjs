#!/usr/bin/env node
// buf lint (STANDARD) over proto/.
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
execFileSync(resolve(root, 'node_modules/.bin/buf'), ['lint'], {
  cwd: resolve(root, 'proto'),
  stdio: 'inherit',
});
