import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CohortError, InvalidArgumentError } from '@cohort/core';
import type { LeaseRecord } from '@cohort/core';
import { LocalLockStore } from './local-lock-store.js';

const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function lockDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cohort-lock-'));
  dirs.push(dir);
  return dir;
}

const rec = (holderIdentity: string, renewTimeMs = 1_000): LeaseRecord => ({
  holderIdentity,
  leaseDurationSeconds: 15,
  acquireTimeMs: 1_000,
  renewTimeMs,
  leaseTransitions: 0,
});

test('create, read, compare-and-swap on the version', async () => {
  const dir = join(await lockDir(), 'nested');
  const store = new LocalLockStore({ dir, name: 'coordinator' });
  assert.equal(await store.get(), undefined, 'a missing directory is no lease');
  assert.deepEqual(await store.write(rec('a'), undefined), { record: rec('a'), version: '1' });
  assert.equal(await store.write(rec('b'), undefined), undefined, 'create loses when one exists');
  assert.deepEqual(await store.get(), { record: rec('a'), version: '1' });
  assert.deepEqual(await store.write(rec('a', 2_000), '1'), { record: rec('a', 2_000), version: '2' });
  assert.equal(await store.write(rec('b'), '1'), undefined, 'a stale version loses');
  for (let v = 2; v < 6; v++) await store.write(rec('a', v * 1_000), String(v));
  assert.deepEqual((await readdir(dir)).sort(), ['coordinator.lease.5.json', 'coordinator.lease.6.json']);
  assert.equal(await store.write(rec('b'), '2'), undefined, 'a read so stale its successor was cleaned up');
  assert.equal(await store.write(rec('b'), undefined), undefined);
  assert.deepEqual(await store.get(), { record: rec('a', 5_000), version: '6' });
  assert.deepEqual((await readdir(dir)).sort(), ['coordinator.lease.5.json', 'coordinator.lease.6.json']);
});

test('many concurrent writers of one version: exactly one wins, every round', async () => {
  const dir = await lockDir();
  const stores = Array.from({ length: 16 }, () => new LocalLockStore({ dir, name: 'coordinator' }));
  let version: string | undefined;
  for (let round = 0; round < 20; round++) {
    const results = await Promise.all(stores.map((s, i) => s.write(rec(`c${i}`, round), version)));
    const winners = results.filter((r) => r !== undefined);
    assert.equal(winners.length, 1, `round ${round}`);
    assert.deepEqual(await stores[0]?.get(), winners[0]);
    version = winners[0]?.version;
  }
});

test('separate processes on one directory: exactly one wins', async () => {
  const dir = await lockDir();
  const url = new URL('./local-lock-store.js', import.meta.url).href;
  const script = `
    const { LocalLockStore } = await import(${JSON.stringify(url)});
    const store = new LocalLockStore({ dir: process.argv[1], name: 'coordinator' });
    const record = { holderIdentity: process.argv[2], leaseDurationSeconds: 15, acquireTimeMs: 1, renewTimeMs: 1, leaseTransitions: 0 };
    const won = await store.write(record, undefined);
    process.stdout.write(won === undefined ? 'lost' : 'won');`;
  const run = (id: string) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, dir, id]);
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}`))));
    });
  const outcomes = await Promise.all(['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map(run));
  assert.equal(outcomes.filter((o) => o === 'won').length, 1, outcomes.join(','));
  assert.equal(outcomes.filter((o) => o === 'lost').length, 5);
});

test('a corrupt lock file and a bad name are typed errors', async () => {
  const dir = await lockDir();
  await writeFile(join(dir, 'coordinator.lease.3.json'), '{"version":3,"record":{"holderIdentity":1}}');
  await assert.rejects(
    new LocalLockStore({ dir, name: 'coordinator' }).get(),
    (e) => e instanceof CohortError && e.reason === 'LOCK_CORRUPT',
  );
  assert.throws(
    () => new LocalLockStore({ dir, name: '../escape' }),
    (e) => e instanceof InvalidArgumentError && e.reason === 'BAD_LEASE_NAME',
  );
});
