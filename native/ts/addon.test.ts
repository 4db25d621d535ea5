import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Code, CohortError } from '@cohort/core';

import { nativeAddon, openNativeAddon } from './addon.js';

function assertLoadError(error: unknown, reason: string): true {
  assert.ok(error instanceof CohortError);
  assert.equal(error.code, Code.FailedPrecondition);
  assert.equal(error.reason, reason);
  assert.match(error.message, /make build/);
  return true;
}

test('a missing addon is a FailedPrecondition NATIVE_ADDON_MISSING telling the user to build', () => {
  assert.throws(
    () => openNativeAddon('/nonexistent/cohort_native.node'),
    (error) => assertLoadError(error, 'NATIVE_ADDON_MISSING'),
  );
});

test('a file that is not an addon is NATIVE_ADDON_LOAD_FAILED, with the loader error as cause', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-native-'));
  try {
    const path = join(dir, 'broken.node');
    writeFileSync(path, 'not an ELF file');
    assert.throws(
      () => openNativeAddon(path),
      (error) =>
        assertLoadError(error, 'NATIVE_ADDON_LOAD_FAILED') &&
        error instanceof Error &&
        error.cause !== undefined,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the built addon loads once and exposes the expected exports', () => {
  const addon = nativeAddon();
  assert.equal(nativeAddon(), addon);
  assert.match(addon.path, /cohort_native\.node$/);
  assert.equal(typeof addon.binding.addScaled, 'function');
  assert.equal(typeof addon.binding.buildInfo, 'function');
});
