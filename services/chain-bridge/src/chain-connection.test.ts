/**
 * ChainConnection dials its endpoints in turn. Everything here is real except the chain: the connection
 * builds real polkadot.js providers over real sockets, against (a) a closed local port (refused) and
 * (b) a local HTTP server that completes a real WebSocket handshake and then drops the socket, the way a
 * node that dies during start-up does. No endpoint here can become ready (that needs a runtime's metadata),
 * so the tests observe which endpoint each failed attempt dialled through the `chain_connect_failed` log
 * events, and what each server saw.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import { CohortError } from '@cohort/core';
import { createLogger } from '@cohort/kit';
import { ChainConnection } from './chain-connection.js';

interface LogRecord {
  readonly event: string;
  readonly endpoint?: string;
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An endpoint that accepts the WebSocket upgrade (RFC 6455 handshake) and then closes the socket. */
async function droppingEndpoint(): Promise<{ url: string; upgrades: () => number; server: Server }> {
  let upgrades = 0;
  const server = createServer((_req, res) => res.writeHead(426).end());
  server.on('upgrade', (req, socket) => {
    upgrades++;
    const accept = createHash('sha1')
      .update(`${String(req.headers['sec-websocket-key'])}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
      .digest('base64');
    socket.end(
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `ws://127.0.0.1:${port}`, upgrades: () => upgrades, server };
}

/** Start a connection over `urls` and collect the endpoints of its first `count` failed attempts. */
async function failedAttempts(urls: string[], count: number): Promise<string[]> {
  const failed: string[] = [];
  let done!: () => void;
  const enough = new Promise<void>((resolve) => (done = resolve));
  const log = createLogger({
    service: 'test',
    level: 'debug',
    write: (line) => {
      const record = JSON.parse(line) as LogRecord;
      if (record.event !== 'chain_connect_failed' || failed.length >= count) return;
      failed.push(record.endpoint ?? '');
      if (failed.length === count) done();
    },
  });
  const connection = new ChainConnection({
    urls,
    minMs: 10,
    maxMs: 20,
    connectTimeoutMs: 5_000,
    requestTimeoutMs: 5_000,
    log,
    random: () => 0,
  });
  connection.start();
  try {
    await enough;
  } finally {
    await connection.close();
  }
  return failed;
}

describe('ChainConnection endpoints', () => {
  test('a dead first endpoint does not keep the connection from the second: attempts alternate', async () => {
    const dead = `ws://127.0.0.1:${await closedPort()}`;
    const second = await droppingEndpoint();
    try {
      const attempts = await failedAttempts([dead, second.url], 4);
      assert.deepEqual(attempts, [dead, second.url, dead, second.url]);
      // The second endpoint was really dialled, once per attempt aimed at it.
      assert.equal(second.upgrades(), 2);
    } finally {
      second.server.close();
    }
  });

  test('a connection dropped by the first endpoint moves on to the second', async () => {
    const first = await droppingEndpoint();
    const dead = `ws://127.0.0.1:${await closedPort()}`;
    try {
      assert.deepEqual(await failedAttempts([first.url, dead], 3), [first.url, dead, first.url]);
    } finally {
      first.server.close();
    }
  });

  test('one endpoint is retried on every attempt', async () => {
    const dead = `ws://127.0.0.1:${await closedPort()}`;
    assert.deepEqual(await failedAttempts([dead], 3), [dead, dead, dead]);
  });

  test('no endpoint at all is refused up front', () => {
    assert.throws(
      () =>
        new ChainConnection({
          urls: [],
          minMs: 10,
          maxMs: 20,
          connectTimeoutMs: 1000,
          requestTimeoutMs: 1000,
          log: createLogger({ service: 'test', write: () => undefined }),
        }),
      (e) => e instanceof CohortError && e.reason === 'NO_CHAIN_ENDPOINT',
    );
  });
});
