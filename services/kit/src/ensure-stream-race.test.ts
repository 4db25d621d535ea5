/**
 * ensureStream's answer to a create race it loses. The real nats-server (test/integration/nats-helper.test.ts)
 * rarely shows the interleaving where a concurrent create is still being applied, so this stand-in for the
 * JetStream manager scripts it: our `add` fails with "subjects overlap", then the other replica's stream
 * appears. (A stub only for the ordering no real server can be made to produce on demand.)
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CohortError } from '@cohort/core';
import type { JetStreamManager, StreamConfig, StreamInfo } from '@nats-io/jetstream';
import { ensureStream } from './nats.js';

function scripted(appearsAfterLooks: number): { jsm: JetStreamManager; calls: string[] } {
  const calls: string[] = [];
  let looks = 0;
  const notFound = Object.assign(new Error('stream not found'), { name: 'StreamNotFoundError' });
  const streams = {
    info: (name: string): Promise<StreamInfo> => {
      calls.push('info');
      looks += 1;
      // The first look is ensureStream's own, before its add.
      if (looks <= 1 + appearsAfterLooks) return Promise.reject(notFound);
      return Promise.resolve({ config: { name, subjects: ['s.>'] } } as unknown as StreamInfo);
    },
    add: (): Promise<StreamInfo> => {
      calls.push('add');
      return Promise.reject(new Error('subjects overlap with an existing stream'));
    },
    update: (name: string, config: Partial<StreamConfig>): Promise<StreamInfo> => {
      calls.push('update');
      return Promise.resolve({ config: { ...config, name } } as unknown as StreamInfo);
    },
  };
  return { jsm: { streams } as unknown as JetStreamManager, calls };
}

test('a lost create race ("subjects overlap" while the other create lands) converges on update', async () => {
  const { jsm, calls } = scripted(2);
  const info = await ensureStream(jsm, { name: 'jobs', subjects: ['s.>'], max_msgs: 10 });
  assert.equal(info.config.max_msgs, 10);
  assert.deepEqual(calls, ['info', 'add', 'info', 'info', 'info', 'update']);
});

test("when no stream of our name appears, the overlap is another stream's and the error stands", async () => {
  const { jsm, calls } = scripted(Number.POSITIVE_INFINITY);
  await assert.rejects(
    ensureStream(jsm, { name: 'jobs', subjects: ['s.>'] }),
    (e) => e instanceof CohortError && /subjects overlap/.test(e.message),
  );
  assert.ok(!calls.includes('update'));
});
