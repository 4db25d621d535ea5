/**
 * Coordinator replicas on one machine elect exactly one leader through the local lock directory: the
 * real binary twice, over a real nats-server. The leader's SIGTERM releases the lease (the other takes over
 * at once); a SIGKILLed leader is replaced once its lease expires. (The Kubernetes Lease path is tested
 * against recorded API exchanges in services/coordinator/src/leader/k8s-lease-store.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createServiceClient, createTransport } from '@cohort/kit';
import type { ServiceClient, Transport } from '@cohort/kit';
import { CoordinatorService } from '@cohort/proto/cohort/coordinator/v1/coordinator';
import { spawnService, startNatsServer } from '../harness/index.js';
import type { NatsServer, ServiceProcess } from '../harness/index.js';

interface Replica {
  proc: ServiceProcess;
  transport: Transport;
  client: ServiceClient<typeof CoordinatorService>;
}

describe('coordinator leader election (local lock)', { timeout: 120_000 }, () => {
  let nats: NatsServer;
  let lockDir: string;
  const replicas: Replica[] = [];

  const start = async (name: string): Promise<Replica> => {
    const proc = spawnService('coordinator', {
      env: {
        COHORT_NATS_URL: nats.url,
        // The validator role, idle: no window ever begins here (clients connect lazily).
        COHORT_ROLES: 'validator',
        COHORT_STORE_ADDRESS: '127.0.0.1:9',
        COHORT_CHAIN_BRIDGE_ADDRESS: '127.0.0.1:9',
        COHORT_HOTKEY_ADDRESS: '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY',
        COHORT_LEADER_ELECTION: 'local',
        COHORT_LEADER_IDENTITY: name,
        COHORT_LOCK_DIR: lockDir,
        COHORT_LEASE_DURATION_MS: '2000',
        COHORT_RENEW_DEADLINE_MS: '1500',
        COHORT_RETRY_PERIOD_MS: '200',
      },
    });
    const ports = await proc.ports();
    await proc.waitForEvent('service_serving');
    const transport = createTransport(`127.0.0.1:${ports.grpc}`);
    const replica = { proc, transport, client: createServiceClient(CoordinatorService, transport) };
    replicas.push(replica);
    return replica;
  };
  const leaderCount = async (of: readonly Replica[]): Promise<number> => {
    let n = 0;
    for (const r of of) if ((await r.client.getStatus({})).leader) n++;
    return n;
  };
  const until = async (what: string, ok: () => Promise<boolean>): Promise<void> => {
    const deadline = Date.now() + 30_000;
    while (!(await ok())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  before(async () => {
    nats = await startNatsServer();
    lockDir = mkdtempSync(join(tmpdir(), 'cohort-leader-'));
  });
  after(async () => {
    for (const r of replicas) {
      r.transport.close();
      await r.proc.stop('SIGKILL');
    }
    await nats?.dispose();
    rmSync(lockDir, { recursive: true, force: true });
  });

  test('exactly one leader; SIGTERM hands over at once, SIGKILL after the lease expires', async () => {
    const a = await start('replica-a');
    const b = await start('replica-b');
    await until('one leader', async () => (await leaderCount([a, b])) === 1);
    // It stays exactly one over several renewals.
    for (let i = 0; i < 10; i++) {
      assert.equal(await leaderCount([a, b]), 1);
      await new Promise((r) => setTimeout(r, 150));
    }
    const [first, second] = (await a.client.getStatus({})).leader ? [a, b] : [b, a];
    await first.proc.waitForEvent('leader_elected');

    first.transport.close();
    assert.equal(await first.proc.stop('SIGTERM'), 0, first.proc.stderr());
    await until(
      'the follower to lead after a release',
      async () => (await second.client.getStatus({})).leader,
    );

    const third = await start('replica-c');
    assert.equal((await third.client.getStatus({})).leader, false);
    second.transport.close();
    await second.proc.stop('SIGKILL');
    const killedAt = Date.now();
    await until(
      'the new replica to lead after the lease expired',
      async () => (await third.client.getStatus({})).leader,
    );
    assert.ok(Date.now() - killedAt >= 1000, 'not before the dead leader’s lease ran out');
  });
});
