/**
 * The two bounds on a call (client.ts): a deadline ends a call that a live server never answers with
 * DeadlineExceeded, whatever its shape; keepalive ends the calls on a connection whose peer went silent
 * (no FIN: a killed node, a partition) with Unavailable; and a grpc-js server takes pings far more often
 * than the transport sends them without telling the client to calm down.
 */
import assert from 'node:assert/strict';
import { createServer, connect } from 'node:net';
import type { Server as NetServer, Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CohortError, Code } from '@cohort/core';
import { TestingService } from '@cohort/proto/cohort/testing/v1/testing';
import * as grpc from '@grpc/grpc-js';
import { KEEPALIVE_TIMEOUT_MS, KEEPALIVE_TIME_MS, createServiceClient, createTransport } from './client.js';
import type { Transport } from './client.js';
import { bindLoopback } from '../testing/loopback.js';
import { registerService } from './server.js';
import type { ServiceImpl } from './types.js';

/** A handler stuck for good: it ignores the deadline and the cancellation, as a hung native call does. */
const never = (): Promise<never> => new Promise<never>(() => undefined);

/** TestingService whose Echo, ClientStream and ServerStream never answer (Echo answers `text: 'now'`). */
const hung: ServiceImpl<typeof TestingService> = {
  echo: (request) => (request.text === 'now' ? Promise.resolve({ text: 'now' }) : never()),
  async clientStream(requests) {
    for await (const r of requests) void r;
    return never();
  },
  async *serverStream() {
    yield* [];
    await never();
  },
  async *bidiStream() {
    yield* [];
    await never();
  },
};

/**
 * A TCP relay between the client and the server that can go silent: `freeze()` drops every byte both
 * ways while both sockets stay open, which is what a partition or a node lost without FIN looks like.
 */
function relay(target: number): Promise<{
  port: number;
  freeze(): void;
  connections(): number;
  /** Bytes relayed from the client to the server so far. */
  bytesUp(): number;
  close(): void;
}> {
  let frozen = false;
  let count = 0;
  let up = 0;
  const sockets = new Set<Socket>();
  const server: NetServer = createServer((inbound) => {
    count++;
    const outbound = connect(target, '127.0.0.1');
    for (const [from, to] of [
      [inbound, outbound],
      [outbound, inbound],
    ] as const) {
      sockets.add(from);
      from.on('data', (chunk: Buffer) => {
        if (frozen) return;
        if (from === inbound) up += chunk.length;
        to.write(chunk);
      });
      from.on('error', () => undefined);
      from.on('close', () => to.destroy());
    }
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as { port: number }).port,
        freeze: () => void (frozen = true),
        connections: () => count,
        bytesUp: () => up,
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      }),
    ),
  );
}

const isCode = (code: Code) => (err: unknown) => err instanceof CohortError && err.code === code;

async function elapsed(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

describe('deadlines and keepalive over a real loopback server', () => {
  const server = new grpc.Server();
  let port: number;
  let transport: Transport;
  let client: ReturnType<typeof createServiceClient<typeof TestingService>>;

  before(async () => {
    registerService(server, TestingService, hung, { draining: new AbortController().signal });
    ({ port, transport } = await bindLoopback(server));
    client = createServiceClient(TestingService, transport);
  });
  after(() => {
    transport.close();
    server.forceShutdown();
  });

  test('every transport carries the keepalive options; channel options still win', () => {
    assert.equal(transport.options['grpc.keepalive_time_ms'], KEEPALIVE_TIME_MS);
    assert.equal(transport.options['grpc.keepalive_timeout_ms'], KEEPALIVE_TIMEOUT_MS);
    assert.equal(transport.options['grpc.keepalive_permit_without_calls'], 1);
    const custom = createTransport('127.0.0.1:1', {
      keepaliveTimeMs: 5000,
      channelOptions: { 'grpc.keepalive_timeout_ms': 700 },
    });
    assert.equal(custom.options['grpc.keepalive_time_ms'], 5000);
    assert.equal(custom.options['grpc.keepalive_timeout_ms'], 700);
    custom.close();
  });

  test('a unary call the server never answers ends with DeadlineExceeded at its timeout', async () => {
    const ms = await elapsed(() =>
      assert.rejects(client.echo({ text: 'x' }, { timeoutMs: 200 }), isCode(Code.DeadlineExceeded)),
    );
    assert.ok(ms >= 150 && ms < 2000, `ended after ${ms} ms`);
  });

  test('so do client-streaming and server-streaming calls', async () => {
    const chunk = { data: new Uint8Array(1024) };
    await assert.rejects(
      client.clientStream([chunk, chunk], { timeoutMs: 200 }),
      isCode(Code.DeadlineExceeded),
    );
    const ms = await elapsed(() =>
      assert.rejects(async () => {
        for await (const m of client.serverStream({ count: 1 }, { timeoutMs: 200 })) void m;
      }, isCode(Code.DeadlineExceeded)),
    );
    assert.ok(ms < 2000, `ended after ${ms} ms`);
  });

  test('a deadline holds on a connection gone silent, even without keepalive', async () => {
    const r = await relay(port);
    const t = createTransport(`127.0.0.1:${r.port}`, { channelOptions: { 'grpc.keepalive_time_ms': -1 } });
    const c = createServiceClient(TestingService, t);
    try {
      assert.equal((await c.echo({ text: 'now' })).text, 'now');
      r.freeze();
      const ms = await elapsed(() =>
        assert.rejects(c.echo({ text: 'now' }, { timeoutMs: 300 }), isCode(Code.DeadlineExceeded)),
      );
      assert.ok(ms < 2000, `ended after ${ms} ms`);
    } finally {
      t.close();
      r.close();
    }
  });

  test('keepalive fails a call without deadline on a connection gone silent with Unavailable', async () => {
    const r = await relay(port);
    const t = createTransport(`127.0.0.1:${r.port}`, { keepaliveTimeMs: 200, keepaliveTimeoutMs: 200 });
    const c = createServiceClient(TestingService, t);
    try {
      assert.equal((await c.echo({ text: 'now' })).text, 'now');
      const call = c.echo({ text: 'waits for ever' });
      r.freeze();
      const ms = await elapsed(() => assert.rejects(call, isCode(Code.Unavailable)));
      assert.ok(ms < 3000, `ended after ${ms} ms`);
    } finally {
      t.close();
      r.close();
    }
  });

  test('the server takes pings every 20 ms, busy or idle, without a GOAWAY', async () => {
    const r = await relay(port);
    const t = createTransport(`127.0.0.1:${r.port}`, { keepaliveTimeMs: 20, keepaliveTimeoutMs: 1000 });
    const c = createServiceClient(TestingService, t);
    try {
      assert.equal((await c.echo({ text: 'now' })).text, 'now');
      await assert.rejects(c.echo({ text: 'x' }, { timeoutMs: 300 }), isCode(Code.DeadlineExceeded));
      const idleFrom = r.bytesUp();
      await new Promise((resolve) => setTimeout(resolve, 300)); // idle: permit_without_calls
      assert.ok(r.bytesUp() > idleFrom, 'pings went out while no call was open');
      assert.equal((await c.echo({ text: 'now' })).text, 'now');
      // too_many_pings would have closed the connection and the client would have opened another.
      assert.equal(r.connections(), 1);
      assert.equal(t.channel.getChannel().getConnectivityState(false), grpc.connectivityState.READY);
    } finally {
      t.close();
      r.close();
    }
  });
});
