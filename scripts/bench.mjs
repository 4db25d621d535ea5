#!/usr/bin/env node
// `pnpm bench <name> [--quick]`: runs test/bench/<name>.mjs, which writes test/bench/results/<name>.json.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const benchDir = resolve(root, 'test/bench');
const [name, ...rest] = process.argv.slice(2);
const available = readdirSync(benchDir)
  .filter((f) => f.endsWith('.mjs'))
  .map((f) => f.slice(0, -4));
if (name === undefined || !available.includes(name)) {
  console.error(`usage: pnpm bench <${available.join('|')}> [--quick]`);
  process.exit(2);
}
const script = resolve(benchDir, `${name}.mjs`);
if (!existsSync(script)) process.exit(2);
const res = spawnSync(process.execPath, [script, ...rest], { stdio: 'inherit', cwd: root });
process.exit(res.status ?? 1);
