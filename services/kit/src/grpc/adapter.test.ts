import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CohortError, Code } from '@cohort/core';
import { TestingService } from '@cohort/proto/cohort/testing/v1/testing';
import { Health } from '@cohort/proto/grpc/health/v1/health';
import * as grpc from '@grpc/grpc-js';
import { createTestingService } from '../testing/testing-service.js';
import { createServiceClient, createTransport } from './client.js';
import type { Transport } from './client.js';
import { bindLoopback } from '../testing/loopback.js';
import { registerService } from './server.js';
import type { CallObservation } from './server.js';
import type { ServiceClient } from './types.js';

describe('gRPC adapter over a real loopback server', () => {
  const server = new grpc.Server();
  const { impl, probe } = createTestingService();
  const observed: CallObservation[] = [];
  let transport: Transport;
  let client: ServiceClient<typeof TestingService>;

  before(async () => {
    registerService(server, TestingService, impl, {
      draining: new AbortController().signal,
      onCallEnd: (c) => observed.push(c),
    });
    // Health registered with no handlers at all: every method must answer UNIMPLEMENTED.
    registerService(server, Health, {}, { draining: new AbortController().signal });
    ({ transport } = await bindLoopback(server));
    client = createServiceClient(TestingService, transport);
  });
  after(() => {
    transport.close();
    server.forceShutdown();
  });

  test('unary round trip', async () => {
    const res = await client.echo({ text: 'héllo' });
    assert.equal(res.text, 'héllo');
    assert.equal(res.$typeName, 'cohort.testing.v1.EchoResponse');
  });

  test('a thrown CohortError arrives with code, message, reason and details', async () => {
    await assert.rejects(
      client.echo({
        text: 'x',
        fail: { code: Code.FailedPrecondition, message: 'not now', reason: 'WINDOW_CLOSED' },
      }),
      (err) => {
        assert.ok(err instanceof CohortError);
        assert.equal(err.code, Code.FailedPrecondition);
        assert.equal(err.message, 'not now');
        assert.equal(err.reason, 'WINDOW_CLOSED');
        assert.deepEqual(err.details, { injected: true });
        return true;
      },
    );
    const last = observed.at(-1);
    assert.equal(last?.codeName, 'FailedPrecondition');
    assert.equal(last?.method, 'Echo');
  });

  test('a method without a handler answers Unimplemented with its name', async () => {
    const health = createServiceClient(Health, transport);
    await assert.rejects(health.check({ service: '' }), (err) => {
      assert.ok(err instanceof CohortError);
      assert.equal(err.code, Code.Unimplemented);
      assert.match(err.message, /grpc\.health\.v1\.Health\/Check/);
      return true;
    });
  });

  test('server streaming delivers every message in order', async () => {
    const got: number[] = [];
    for await (const m of client.serverStream({ count: 50 })) got.push(m.index);
    assert.deepEqual(
      got,
      Array.from({ length: 50 }, (_, i) => i),
    );
  });

  test('a server stream that fails mid-way delivers what came before, then the error', async () => {
    const got: number[] = [];
    await assert.rejects(
      (async () => {
        for await (const m of client.serverStream({
          count: 10,
          failAfter: 3,
          fail: { code: Code.DataLoss, message: 'torn', reason: 'TORN' },
        }))
          got.push(m.index);
      })(),
      (err) => err instanceof CohortError && err.code === Code.DataLoss && err.reason === 'TORN',
    );
    assert.deepEqual(got, [0, 1, 2]);
  });

  test('client streaming counts every chunk and byte (4 MiB through 64 chunks)', async () => {
    const chunk = new Uint8Array(64 * 1024).fill(7);
    const res = await client.clientStream(Array.from({ length: 64 }, () => ({ data: chunk })));
    assert.equal(res.count, 64);
    assert.equal(res.totalBytes, 64n * 64n * 1024n);
  });

  test('bidi streaming answers each request', async () => {
    async function* words() {
      await Promise.resolve();
      yield { text: 'a' };
      yield { text: 'bc' };
    }
    const got: string[] = [];
    for await (const m of client.bidiStream(words())) got.push(m.text);
    assert.deepEqual(got, ['A', 'BC']);
  });

  test('a failing request stream surfaces its own error', async () => {
    async function* broken(): AsyncGenerator<{ text: string }> {
      await Promise.resolve();
      yield { text: 'a' };
      throw new CohortError(Code.InvalidArgument, 'bad source', { reason: 'SOURCE' });
    }
    await assert.rejects(
      (async () => {
        for await (const m of client.bidiStream(broken())) void m;
      })(),
      (err) => err instanceof CohortError && err.reason === 'SOURCE',
    );
  });

  test('client abort cancels the call and the handler sees it', async () => {
    const before = probe.cancelled;
    const ac = new AbortController();
    const call = client.echo({ text: 'slow', delayMs: 5000 }, { signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    await assert.rejects(call, (err) => err instanceof CohortError && err.code === Code.Canceled);
    await waitFor(() => probe.cancelled > before);
  });

  test('a deadline ends the call with DeadlineExceeded', async () => {
    await assert.rejects(
      client.echo({ text: 'slow', delayMs: 5000 }, { timeoutMs: 100 }),
      (err) => err instanceof CohortError && err.code === Code.DeadlineExceeded,
    );
  });

  test('breaking out of a server stream early cancels it on the server', async () => {
    const before = probe.cancelled;
    for await (const m of client.serverStream({ count: 1000, delayMs: 20 })) if (m.index === 2) break;
    await waitFor(() => probe.cancelled > before);
  });

  test('waitForReady on a dead address fails with Unavailable', async () => {
    const dead = createTransport('127.0.0.1:1');
    await assert.rejects(
      dead.waitForReady(200),
      (err) => err instanceof CohortError && err.code === Code.Unavailable,
    );
    dead.close();
  });
});

async function waitFor(cond: () => boolean, timeoutMs = 3000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) assert.fail('condition not reached in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
