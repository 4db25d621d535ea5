import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { InvalidArgumentError } from '@cohort/core';

import { buildInfo, cudaMemory } from './build-info.js';

interface CMakeBuildConfig {
  readonly torchVersion: string;
  readonly cudaKernelsCompiled: boolean;
  readonly cudaCompilerVersion: string | null;
}

const packageJson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

test('buildInfo sets every field, consistently', () => {
  const info = buildInfo();
  assert.equal(info.engineVersion, packageJson.version);
  assert.match(info.torchVersion, /^\d+\.\d+\.\d+/);
  assert.equal(info.cudaCompilerVersion !== null, info.cudaKernelsCompiled);
  assert.equal(info.cudaArchitectures !== null, info.cudaKernelsCompiled);
  assert.ok(Number.isInteger(info.cudaDeviceCount) && info.cudaDeviceCount >= 0);
  if (!info.cudaKernelsCompiled) assert.equal(info.cudaDeviceCount, 0);
  assert.ok(Object.isFrozen(info));
  for (const [key, value] of Object.entries(info)) assert.notEqual(value, undefined, key);
});

test('buildInfo reports the libtorch and nvcc that CMake found for this build', (t) => {
  const info = buildInfo();
  const configPath = join(dirname(info.addonPath), 'build-config.json');
  if (!existsSync(configPath)) {
    t.skip(`no ${configPath} beside the addon`);
    return;
  }
  const config = JSON.parse(readFileSync(configPath, 'utf8')) as CMakeBuildConfig;
  t.diagnostic(
    `torch ${info.torchVersion}, CUDA kernels ${String(info.cudaKernelsCompiled)}, ${info.cudaDeviceCount} devices`,
  );
  // CMake's version may carry a local suffix (2.5.1+cu124); the header's does not.
  assert.equal(info.torchVersion, config.torchVersion.split('+')[0]);
  assert.equal(info.cudaKernelsCompiled, config.cudaKernelsCompiled);
  assert.equal(info.cudaCompilerVersion, config.cudaCompilerVersion);
});

test('when nvcc is on this machine, the CUDA kernels were compiled into the build (CI proves they compile)', (t) => {
  const nvcc = spawnSync('nvcc', ['--version'], { encoding: 'utf8' });
  if (nvcc.status !== 0) {
    t.skip('no nvcc on PATH: a CPU-only build is expected');
    return;
  }
  if (process.env.COHORT_WITH_CUDA === 'OFF') {
    t.skip('COHORT_WITH_CUDA=OFF');
    return;
  }
  const info = buildInfo();
  assert.equal(
    info.cudaKernelsCompiled,
    true,
    'nvcc is installed but the build has no CUDA kernels: check CMake output',
  );
  assert.ok(
    nvcc.stdout.includes(`V${info.cudaCompilerVersion ?? '?'}`),
    `built with nvcc ${String(info.cudaCompilerVersion)}, PATH has ${nvcc.stdout}`,
  );
});

test('cudaMemory: null where there is no such device, free <= total on a real one, bad ids refused', () => {
  const devices = buildInfo().cudaDeviceCount;
  assert.equal(cudaMemory(devices), null, 'one past the last device');
  if (devices === 0) {
    assert.equal(cudaMemory(), null, 'no device here: no memory to report');
  } else {
    const memory = cudaMemory(0);
    assert.ok(memory !== null && memory.totalBytes > 0 && memory.freeBytes <= memory.totalBytes);
  }
  for (const bad of [-1, 1.5, 1e6, Number.NaN])
    assert.throws(() => cudaMemory(bad), InvalidArgumentError, String(bad));
});
