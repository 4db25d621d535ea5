import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CohortError } from '@cohort/core';
import { chainSpecCandidates, loadChainSpec } from './chain-spec.js';
import { nextEpochBlock } from './subnet-setup.js';

test('a missing or different chain spec fails with a reason and says what to do', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-spec-'));
  try {
    assert.throws(
      () => loadChainSpec(join(dir, 'raonet.json')),
      (e) =>
        e instanceof CohortError && e.reason === 'CHAIN_SPEC_MISSING' && /COHORT_CHAIN_SPEC/.test(e.message),
    );
    const other = join(dir, 'other.json');
    writeFileSync(other, '{"genesis":{"raw":{"top":{}}}}');
    assert.throws(
      () => loadChainSpec(other),
      (e) => e instanceof CohortError && e.reason === 'CHAIN_SPEC_HASH_MISMATCH',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the spec is looked for beside the checkout, its ancestors, and the checkout it was cloned from', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-clone-'));
  try {
    const root = join(dir, 'a', 'clone');
    const gitDir = join(root, '.git');
    mkdirSync(gitDir, { recursive: true });
    writeFileSync(
      join(gitDir, 'config'),
      '[remote "origin"]\n\turl = /srv/repos/main\n\tfetch = +refs/heads/*\n',
    );
    const c = chainSpecCandidates(root);
    assert.equal(c[0], join(dir, 'a', 'shared', 'chain', 'raonet.json'));
    assert.ok(c.includes(join(dir, 'shared', 'chain', 'raonet.json')));
    assert.ok(c.includes('/srv/repos/shared/chain/raonet.json'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('epochs run where (block + netuid + 1) % (tempo + 1) == tempo', () => {
  for (const [netuid, tempo] of [
    [1, 10],
    [2, 10],
    [3, 360],
  ] as const) {
    let from = 0;
    for (let i = 0; i < 5; i++) {
      const next = nextEpochBlock(from, netuid, tempo);
      assert.ok(next > from);
      assert.equal((next + netuid + 1) % (tempo + 1), tempo);
      for (let b = from + 1; b < next; b++) assert.notEqual((b + netuid + 1) % (tempo + 1), tempo);
      from = next;
    }
  }
});
