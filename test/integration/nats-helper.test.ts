/**
 * The kit's NATS helper against a real nats-server with JetStream: stream declaration is idempotent
 * across concurrent replicas, a work-queue stream hands each job out once, and close() drains.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CohortError, runSubjects, scoreJobsStream } from '@cohort/core';
import { connectNats, createLogger, ensureStream, HealthState } from '@cohort/kit';
import type { NatsHandle } from '@cohort/kit';
import { AckPolicy, RetentionPolicy } from '@nats-io/jetstream';
import { startNatsServer } from '../harness/index.js';
import type { NatsServer } from '../harness/index.js';

const log = createLogger({ service: 'test', level: 'error' });
let server: NatsServer;
const handles: NatsHandle[] = [];

async function open(health?: HealthState): Promise<NatsHandle> {
  const h = await connectNats({ servers: [server.url], name: 'test', log, ...(health ? { health } : {}) });
  handles.push(h);
  return h;
}

before(async () => {
  server = await startNatsServer();
});
after(async () => {
  for (const h of handles) await h.close();
  await server.dispose();
});

test('connecting marks the nats dependency up; close() drains and marks it down', async () => {
  const health = new HealthState();
  health.markStarted();
  const h = await open(health);
  assert.equal(health.status(), 'SERVING');
  await Promise.all([h.close(), h.close()]);
  assert.ok(h.nc.isClosed());
  assert.deepEqual(health.downDependencies(), ['nats']);
});

test('concurrent ensureStream calls from several replicas converge on one stream', async () => {
  const replicas = await Promise.all([open(), open(), open()]);
  const name = scoreJobsStream('t1');
  const subjects = [runSubjects('t1').scoreJobs];
  const infos = await Promise.all(
    replicas.map((r) => ensureStream(r.jsm, { name, subjects, retention: RetentionPolicy.Workqueue })),
  );
  for (const info of infos) {
    assert.equal(info.config.name, name);
    assert.deepEqual(info.config.subjects, subjects);
    assert.equal(info.config.retention, RetentionPolicy.Workqueue);
  }
  const again = await ensureStream(replicas[0].jsm, {
    name,
    subjects,
    retention: RetentionPolicy.Workqueue,
    max_msgs: 1000,
  });
  assert.equal(again.config.max_msgs, 1000);
  const streams: string[] = [];
  for await (const s of replicas[0].jsm.streams.list()) streams.push(s.config.name);
  assert.deepEqual(
    streams.filter((s) => s === name),
    [name],
  );
});

test('a stream whose subjects another stream owns is refused, not merged into it', async () => {
  const h = await open();
  await ensureStream(h.jsm, { name: 'owner', subjects: ['taken.>'] });
  await assert.rejects(
    ensureStream(h.jsm, { name: 'intruder', subjects: ['taken.>'] }),
    (e) => e instanceof CohortError && /subjects overlap/.test(e.message),
  );
  const names: string[] = [];
  for await (const s of h.jsm.streams.list()) names.push(s.config.name);
  assert.ok(names.includes('owner') && !names.includes('intruder'));
});

test('a work-queue stream hands each job to one consumer and forgets it once acknowledged', async () => {
  const h = await open();
  const name = scoreJobsStream('t2');
  const subject = runSubjects('t2').scoreJobs;
  await ensureStream(h.jsm, { name, subjects: [subject], retention: RetentionPolicy.Workqueue });
  for (let i = 0; i < 5; i++) await h.js.publish(subject, new TextEncoder().encode(`job-${i}`));
  await h.jsm.consumers.add(name, { durable_name: 'evaluators', ack_policy: AckPolicy.Explicit });
  const consumer = await h.js.consumers.get(name, 'evaluators');
  const seen: string[] = [];
  const batch = await consumer.fetch({ max_messages: 5, expires: 2000 });
  for await (const m of batch) {
    seen.push(m.string());
    m.ack();
  }
  assert.deepEqual(seen, ['job-0', 'job-1', 'job-2', 'job-3', 'job-4']);
  await waitFor(async () => (await h.jsm.streams.info(name)).state.messages === 0);
});

async function waitFor(cond: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) assert.fail('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
