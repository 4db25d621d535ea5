import assert from 'node:assert/strict';
import { test } from 'node:test';
import { platformEnv } from './service-process.js';

test("a child inherits the machine's math-library variables, never a service's configuration", () => {
  const env = platformEnv({
    OPENBLAS_CORETYPE: 'Haswell',
    OPENBLAS_L2_SIZE: '512',
    OMP_NUM_THREADS: '1',
    LD_LIBRARY_PATH: '/opt/torch/lib',
    TMPDIR: '/scratch',
    COHORT_STORE_ADDRESS: '10.0.0.1:50053',
    HOME: '/root',
    OPENBLAS: 'no suffix',
    XOPENBLAS_CORETYPE: 'x',
    UNSET: undefined,
  });
  assert.deepEqual(env, {
    OPENBLAS_CORETYPE: 'Haswell',
    OPENBLAS_L2_SIZE: '512',
    OMP_NUM_THREADS: '1',
    LD_LIBRARY_PATH: '/opt/torch/lib',
    TMPDIR: '/scratch',
  });
});
