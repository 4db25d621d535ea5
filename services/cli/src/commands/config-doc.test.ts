import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { configDoc } from './config-doc.js';

test('docs/configuration.md matches the services config specs (regenerate: node scripts/gen-config-doc.mjs)', () => {
  const path = resolve(fileURLToPath(import.meta.url), '../../../../../docs/configuration.md');
  assert.equal(readFileSync(path, 'utf8'), configDoc());
});
