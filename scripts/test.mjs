#!/usr/bin/env node
// Run every test suite of the repo and print one summary line CI can read:
//   native (ctest, C++ without Node) then every compiled *.test.js under node's test runner.
// Usage: node scripts/test.mjs [--only node|native] [file filters...]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;
const filters = args.filter((a, i) => !a.startsWith('--') && args[i - 1] !== '--only');

/** dist/ folders that hold compiled tests. */
const distRoots = [
  'proto/dist',
  'native/dist',
  'test/dist',
  ...readdirSync(join(root, 'services')).map((s) => `services/${s}/dist`),
];

function findTests(dir, out = []) {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (name === 'node_modules') continue;
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.js')) out.push(p);
  }
  return out;
}

function runNative() {
  const build = join(root, 'native/build');
  if (!existsSync(join(build, 'CTestTestfile.cmake'))) {
    console.error('test: native/build has no ctest suite; run `make build` first');
    return { passed: 0, failed: 1, skipped: 0 };
  }
  console.log('\n== native (ctest) ==');
  const res = spawnSync('ctest', ['--test-dir', build, '--output-on-failure', '--timeout', '600'], {
    encoding: 'utf8',
  });
  process.stdout.write(res.stdout);
  process.stderr.write(res.stderr);
  const total = Number(/out of (\d+)/.exec(res.stdout)?.[1] ?? 0);
  const failed = Number(/(\d+) tests? failed out of/.exec(res.stdout)?.[1] ?? (res.status === 0 ? 0 : 1));
  const skipped = (res.stdout.match(/\*\*\*Skipped|Not Run/g) ?? []).length;
  return {
    passed: Math.max(0, total - failed - skipped),
    failed: res.status === 0 ? 0 : Math.max(failed, 1),
    skipped,
  };
}

function runNode() {
  const files = distRoots
    .flatMap((d) => findTests(join(root, d)))
    .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)))
    .sort();
  console.log(`\n== node (${files.length} test files) ==`);
  if (files.length === 0) return { passed: 0, failed: 1, skipped: 0 };
  const tapDir = mkdtempSync(join(tmpdir(), 'cohort-test-'));
  const tap = join(tapDir, 'results.tap');
  const res = spawnSync(
    process.execPath,
    [
      '--test',
      // Per test file: the longest (the SparseLoCo loop on Brown) trains five devnet replicas for about
      // five minutes on the 2-core CI machine while other files run beside it.
      '--test-timeout=900000',
      '--test-reporter=spec',
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tap}`,
      ...files.map((f) => relative(root, f)),
    ],
    { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const text = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
  rmSync(tapDir, { recursive: true, force: true });
  const count = (key) => Number(new RegExp(`^# ${key} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  const failed = count('fail') + count('cancelled');
  return {
    passed: count('pass'),
    failed: res.status === 0 ? failed : Math.max(failed, 1),
    skipped: count('skipped') + count('todo'),
  };
}

const results = {};
if (only !== 'node') results.native = runNative();
if (only !== 'native') results.node = runNode();
const sum = (k) => Object.values(results).reduce((n, r) => n + r[k], 0);
const parts = Object.entries(results).map(([k, r]) => `${k} ${r.passed}/${r.failed}/${r.skipped}`);
console.log(
  `\ncohort tests: ${sum('passed')} passed, ${sum('failed')} failed, ${sum('skipped')} skipped (passed/failed/skipped: ${parts.join(', ')})`,
);
process.exit(sum('failed') === 0 ? 0 : 1);
