import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import { Code, CohortError, InvalidArgumentError, IllegalStateError } from '@cohort/core';
import type { LeaseRecord } from '@cohort/core';
import { createLeaderElector, defaultLeaderIdentity } from './elector.js';
import type { ElectorClock, LeaseLeaderElector, LeaseStore, VersionedLease } from './elector.js';
import { LocalLockStore } from './local-lock-store.js';

/** A clock that moves only when told; sleepers wake on advance() or abort. */
class FakeClock implements ElectorClock {
  #sleepers: { at: number; wake: () => void }[] = [];
  constructor(public t: number) {}
  now(): number {
    return this.t;
  }
  sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted || ms <= 0) return resolve();
      this.#sleepers.push({ at: this.t + ms, wake: resolve });
      signal.addEventListener('abort', () => resolve());
    });
  }
  advance(ms: number): void {
    this.t += ms;
    for (const s of this.#sleepers.filter((s) => s.at <= this.t)) s.wake();
    this.#sleepers = this.#sleepers.filter((s) => s.at > this.t);
  }
}

const T0 = Date.UTC(2026, 10, 23, 5, 0, 0);
const dirs: string[] = [];
after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

async function lockDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'cohort-elector-'));
  dirs.push(dir);
  return dir;
}

interface Candidate {
  elector: LeaseLeaderElector;
  changes: boolean[];
  errors: CohortError[];
}

function candidate(identity: string, store: LeaseStore, clock: ElectorClock): Candidate {
  const errors: CohortError[] = [];
  const elector = createLeaderElector({ identity, store, clock, onError: (e) => errors.push(e) });
  const changes: boolean[] = [];
  elector.onChange((leader) => changes.push(leader));
  return { elector, changes, errors };
}

const leaders = (cs: Candidate[]) => cs.filter((c) => c.elector.isLeader).map((c) => c.elector.identity);

test('two electors on one lock directory: exactly one leader, the other takes over on release', async () => {
  const dir = await lockDir();
  const clock = new FakeClock(T0);
  const a = candidate('a', new LocalLockStore({ dir, name: 'coordinator' }), clock);
  const b = candidate('b', new LocalLockStore({ dir, name: 'coordinator' }), clock);
  for (let round = 0; round < 5; round++) {
    await Promise.all([a.elector.tick(), b.elector.tick()]);
    assert.equal(leaders([a, b]).length, 1, `round ${round}: exactly one leader`);
    clock.advance(2_000);
  }
  const [leader, follower] = a.elector.isLeader ? [a, b] : [b, a];
  assert.equal(follower.elector.holderIdentity, leader.elector.identity);
  await leader.elector.stop();
  assert.deepEqual(leader.changes, [true, false]);
  assert.equal((await new LocalLockStore({ dir, name: 'coordinator' }).get())?.record.holderIdentity, '');
  await follower.elector.tick();
  assert.equal(follower.elector.isLeader, true, 'a released lease is taken at once');
  const record = (await new LocalLockStore({ dir, name: 'coordinator' }).get())?.record;
  assert.equal(record?.holderIdentity, follower.elector.identity);
  assert.equal(record?.leaseTransitions, 1);
  assert.deepEqual([...a.errors, ...b.errors], []);
  assert.throws(
    () => leader.elector.start(),
    (e) => e instanceof IllegalStateError && e.reason === 'ELECTOR_STOPPED',
  );
});

test('a crashed leader is replaced only after the lease expires on the follower clock', async () => {
  const dir = await lockDir();
  const clock = new FakeClock(T0);
  const a = candidate('a', new LocalLockStore({ dir, name: 'coordinator' }), clock);
  const b = candidate('b', new LocalLockStore({ dir, name: 'coordinator' }), clock);
  await a.elector.tick();
  await b.elector.tick();
  assert.deepEqual(leaders([a, b]), ['a']);
  // `a` crashes: it never ticks again. `b` first saw the current version at T0, so it waits 15 s from then.
  clock.advance(14_999);
  await b.elector.tick();
  assert.equal(b.elector.isLeader, false);
  clock.advance(1);
  await b.elector.tick();
  assert.equal(b.elector.isLeader, true);
  assert.equal((await new LocalLockStore({ dir, name: 'coordinator' }).get())?.record.leaseTransitions, 1);
  // The old leader wakes up: its own deadline has long passed, so it steps down, then sees b's lease.
  await a.elector.tick();
  assert.equal(a.elector.isLeader, false);
  assert.deepEqual(a.changes, [true, false]);
  assert.ok(a.errors.some((e) => e.reason === 'LEASE_RENEW_DEADLINE'));
});

/** Wraps a store; `mode` makes calls fail (API unreachable) or hang forever. */
class FlakyStore implements LeaseStore {
  mode: 'ok' | 'fail' | 'hang' = 'ok';
  readonly description = 'flaky';
  constructor(private readonly inner: LeaseStore) {}
  get(): Promise<VersionedLease | undefined> {
    return this.#gate(() => this.inner.get());
  }
  write(record: LeaseRecord, version: string | undefined): Promise<VersionedLease | undefined> {
    return this.#gate(() => this.inner.write(record, version));
  }
  #gate<T>(call: () => Promise<T>): Promise<T> {
    if (this.mode === 'hang') return new Promise<T>(() => undefined);
    if (this.mode === 'fail')
      return Promise.reject(
        new CohortError(Code.Unavailable, 'connect ECONNREFUSED', { reason: 'LEASE_API_UNREACHABLE' }),
      );
    return call();
  }
}

test('a leader that cannot renew steps down at the renew deadline (API unreachable)', async () => {
  const clock = new FakeClock(T0);
  const store = new FlakyStore(new LocalLockStore({ dir: await lockDir(), name: 'coordinator' }));
  const a = candidate('a', store, clock);
  await a.elector.tick();
  assert.equal(a.elector.isLeader, true);
  store.mode = 'fail';
  for (let t = 2_000; t < 10_000; t += 2_000) {
    clock.advance(2_000);
    await a.elector.tick();
    assert.equal(a.elector.isLeader, true, `still leader ${t} ms after the last renewal`);
  }
  clock.advance(2_000);
  await a.elector.tick();
  assert.equal(a.elector.isLeader, false);
  assert.deepEqual(a.changes, [true, false]);
  assert.deepEqual(
    a.errors.map((e) => e.reason),
    [...Array<string>(4).fill('LEASE_API_UNREACHABLE'), 'LEASE_RENEW_DEADLINE', 'LEASE_API_UNREACHABLE'],
  );
  store.mode = 'ok';
  clock.advance(2_000);
  await a.elector.tick();
  assert.equal(a.elector.isLeader, true, 'the lease still names a, so it renews and leads again');
});

test('a hung API call is cut at the renew deadline', async () => {
  const clock = new FakeClock(T0);
  const store = new FlakyStore(new LocalLockStore({ dir: await lockDir(), name: 'coordinator' }));
  const a = candidate('a', store, clock);
  await a.elector.tick();
  store.mode = 'hang';
  clock.advance(2_000);
  const round = a.elector.tick();
  await delay(5);
  assert.equal(a.elector.isLeader, true);
  clock.advance(8_000); // 10 s after the last renewal
  await round;
  assert.equal(a.elector.isLeader, false);
  assert.equal(a.errors.at(-1)?.reason, 'LEASE_RENEW_DEADLINE');
  const stopping = a.elector.stop(); // the release hangs too: bounded by the renew deadline
  await delay(5);
  clock.advance(10_000);
  await stopping;
  assert.equal(a.errors.at(-1)?.reason, 'LEASE_RELEASE_TIMEOUT');
});

test('timing and identity are validated', () => {
  const store = new LocalLockStore({ dir: tmpdir(), name: 'unused' });
  const bad = (reason: string) => (e: unknown) => e instanceof InvalidArgumentError && e.reason === reason;
  assert.throws(
    () => createLeaderElector({ store, identity: 'a', leaseDurationMs: 1500 }),
    bad('BAD_LEADER_TIMING'),
  );
  assert.throws(
    () => createLeaderElector({ store, identity: 'a', renewDeadlineMs: 15_000 }),
    bad('BAD_LEADER_TIMING'),
  );
  assert.throws(
    () => createLeaderElector({ store, identity: 'a', retryPeriodMs: 10_000 }),
    bad('BAD_LEADER_TIMING'),
  );
  assert.throws(() => createLeaderElector({ store, identity: '' }), bad('BAD_IDENTITY'));
  assert.notEqual(defaultLeaderIdentity(), defaultLeaderIdentity());
});

test('start/stop on the real clock: one leader, hand-over on stop, lease released at the end', async () => {
  const dir = await lockDir();
  const timing = { leaseDurationMs: 1_000, renewDeadlineMs: 600, retryPeriodMs: 50 };
  const make = (identity: string) => {
    const elector = createLeaderElector({
      identity,
      store: new LocalLockStore({ dir, name: 'coordinator' }),
      ...timing,
    });
    elector.start();
    elector.start(); // idempotent
    return elector;
  };
  const electors = [make('p'), make('q'), make('r')];
  const until = async (what: () => boolean) => {
    for (let i = 0; i < 100 && !what(); i++) await delay(20);
    assert.ok(what());
  };
  await until(() => electors.some((e) => e.isLeader));
  await delay(200);
  assert.equal(electors.filter((e) => e.isLeader).length, 1);
  const first = electors.find((e) => e.isLeader);
  await first?.stop();
  const rest = electors.filter((e) => e !== first);
  await until(() => rest.some((e) => e.isLeader));
  assert.equal(rest.filter((e) => e.isLeader).length, 1);
  await Promise.all(rest.map((e) => e.stop()));
  assert.equal((await new LocalLockStore({ dir, name: 'coordinator' }).get())?.record.holderIdentity, '');
});
