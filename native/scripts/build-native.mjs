#!/usr/bin/env node
// Configures (once) and builds native/ with CMake: the engine library, the C++ tests and the N-API addon
// (native/build/cohort_native.node). Idempotent: an existing build tree is only rebuilt, and reconfigured
// only when an override below differs from its CMakeCache.txt. Runs from any directory.
//
// Overrides: every COHORT_* and CMAKE_* environment variable becomes -D<NAME>=<value> (e.g.
// COHORT_WITH_CUDA=OFF, CMAKE_BUILD_TYPE=RelWithDebInfo, CMAKE_PREFIX_PATH=...), except the ones CMake or
// @cohort/native read from the environment themselves (RUNTIME_ONLY). COHORT_NATIVE_BUILD_DIR picks the
// build directory (default native/build). Parallelism: CMAKE_BUILD_PARALLEL_LEVEL, else every core.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const RUNTIME_ONLY = new Set([
  'COHORT_NATIVE_ADDON',
  'COHORT_NATIVE_BUILD_DIR',
  'CMAKE_BUILD_PARALLEL_LEVEL',
  'CMAKE_GENERATOR',
  'CMAKE_GENERATOR_PLATFORM',
  'CMAKE_GENERATOR_TOOLSET',
  'CMAKE_GENERATOR_INSTANCE',
]);

const sourceDir = fileURLToPath(new URL('..', import.meta.url));
const buildDir = resolve(process.env.COHORT_NATIVE_BUILD_DIR || resolve(sourceDir, 'build'));

function overrides() {
  return Object.entries(process.env)
    .filter(
      ([name, value]) => /^(COHORT|CMAKE)_/.test(name) && !RUNTIME_ONLY.has(name) && value !== undefined,
    )
    .sort(([a], [b]) => a.localeCompare(b));
}

function cachedValues() {
  const cache = resolve(buildDir, 'CMakeCache.txt');
  if (!existsSync(cache)) return undefined;
  const values = new Map();
  for (const line of readFileSync(cache, 'utf8').split('\n')) {
    const match = /^([A-Za-z0-9_]+):[A-Z]+=(.*)$/.exec(line);
    if (match) values.set(match[1], match[2]);
  }
  return values;
}

// A parent `make` passes its flags down (-w prints "Entering directory" for every sub-make): not ours.
const childEnv = Object.fromEntries(
  Object.entries(process.env).filter(([name]) => !['MAKEFLAGS', 'MFLAGS', 'MAKELEVEL'].includes(name)),
);

function run(step, args) {
  const result = spawnSync('cmake', args, { stdio: 'inherit', env: childEnv });
  if (result.error) {
    console.error(`build-native: cannot run cmake (${result.error.message}); install cmake >= 3.22.`);
    process.exit(1);
  }
  if (result.status !== 0) {
    console.error(
      `build-native: cmake ${step} failed (exit ${result.status ?? result.signal}); see the output above.`,
    );
    process.exit(result.status || 1);
  }
}

const requested = overrides();
const cached = cachedValues();
const stale = requested.filter(([name, value]) => cached?.get(name) !== value);
if (cached === undefined || stale.length > 0) {
  const defines = requested.map(([name, value]) => `-D${name}=${value}`);
  const buildType = requested.some(([name]) => name === 'CMAKE_BUILD_TYPE')
    ? []
    : ['-DCMAKE_BUILD_TYPE=Release'];
  run('configure', ['-S', sourceDir, '-B', buildDir, ...(cached === undefined ? buildType : []), ...defines]);
}
const jobs = process.env.CMAKE_BUILD_PARALLEL_LEVEL || String(availableParallelism());
run('build', ['--build', buildDir, '-j', jobs]);
