/**
 * The S3 backend against endpoints that are not (working) S3 servers, as a peer's bucket may be: a
 * port nobody listens on, an HTTP server answering something other than S3, a TCP server answering
 * something other than HTTP, one that never answers, and one that stalls or hangs up mid-body. Each
 * must end in its typed reason, within the configured timeout, never hang.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, describe, test } from 'node:test';
import { createS3Backend } from '@cohort/checkpoint-store/s3-backend';
import type { S3Backend } from '@cohort/checkpoint-store/s3-backend';

const TIMEOUT_MS = 400;
const servers: (http.Server | net.Server)[] = [];
const sockets = new Set<net.Socket>();
const backends: S3Backend[] = [];

async function listen(server: http.Server | net.Server): Promise<string> {
  servers.push(server);
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function backendAt(endpoint: string): Promise<S3Backend> {
  const backend = await createS3Backend({
    endpoint,
    bucket: 'peer-bucket',
    region: 'us-east-1',
    pathStyle: true,
    accessKeyId: 'key',
    secretAccessKey: 'secret',
    requestTimeoutMs: TIMEOUT_MS,
    createBucketIfMissing: false,
  });
  backends.push(backend);
  return backend;
}

async function rejectsWith(promise: Promise<unknown>, reason: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal((error as { reason?: unknown }).reason, reason, String(error));
    return true;
  });
}

async function collect(body: AsyncIterable<Uint8Array>): Promise<number> {
  let n = 0;
  for await (const chunk of body) n += chunk.length;
  return n;
}

async function* one(): AsyncGenerator<Uint8Array> {
  await Promise.resolve();
  yield new Uint8Array(10);
}

/** Headers of an object as our backend writes them, for servers that fake a GET. */
const objectHeaders = {
  'Content-Type': 'application/octet-stream',
  'Content-Length': '1000',
  'Last-Modified': new Date(0).toUTCString(),
  'x-amz-meta-blake2b256': 'ab'.repeat(32),
};

after(async () => {
  for (const backend of backends) await backend.close();
  for (const socket of sockets) socket.destroy();
  for (const server of servers) await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe('S3 backend faults', () => {
  test('nothing listening: PEER_UNREACHABLE', async () => {
    const server = net.createServer();
    const endpoint = await listen(server);
    await new Promise<void>((resolve) => server.close(() => resolve()));
    servers.pop();
    const backend = await backendAt(endpoint);
    await rejectsWith(backend.head('runs/a/x'), 'PEER_UNREACHABLE');
    await rejectsWith(backend.list('runs/'), 'PEER_UNREACHABLE');
    await rejectsWith(backend.put('runs/a/x', one(), { maxBytes: 100 }), 'PEER_UNREACHABLE');
  });

  test('an HTTP server that answers no S3: PEER_BAD_REPLY, or BACKEND_ERROR for a 5xx', async () => {
    const backend = await backendAt(
      await listen(
        http.createServer((req, res) => {
          const status = req.method === 'PUT' ? 500 : 200;
          res
            .writeHead(status, { 'Content-Type': 'text/html' })
            .end('<html><body>hello, not S3</body></html>');
        }),
      ),
    );
    await rejectsWith(backend.list('runs/'), 'PEER_BAD_REPLY');
    await rejectsWith(backend.head('runs/a/x'), 'PEER_BAD_REPLY');
    await rejectsWith(backend.get('runs/a/x'), 'PEER_BAD_REPLY');
    // A PUT (after a 404 HEAD: no such key) answered by an HTML page: a client error status with no S3
    // error in it is a bad reply; a server error status is the server failing, whatever its body.
    const htmlOnPut = await backendAt(
      await listen(
        http.createServer((req, res) => {
          const status = req.method === 'HEAD' ? 404 : Number(req.url?.slice(-3));
          res
            .writeHead(status, { 'Content-Type': 'text/html' })
            .end(req.method === 'HEAD' ? undefined : '<h1>Oops</h1>');
        }),
      ),
    );
    await rejectsWith(htmlOnPut.put('runs/a/x400', one(), { maxBytes: 100 }), 'PEER_BAD_REPLY');
    await rejectsWith(htmlOnPut.put('runs/a/x500', one(), { maxBytes: 100 }), 'BACKEND_ERROR');
    await rejectsWith(htmlOnPut.put('runs/a/x503', one(), { maxBytes: 100 }), 'BACKEND_ERROR');
  });

  test('a TCP server that answers no HTTP: PEER_BAD_REPLY', async () => {
    const backend = await backendAt(
      await listen(
        net.createServer((socket) => {
          socket.on('error', () => undefined);
          socket.once('data', () => socket.end('SSH-2.0-OpenSSH_9.2\r\ngarbage garbage\r\n\r\n'));
        }),
      ),
    );
    await rejectsWith(backend.head('runs/a/x'), 'PEER_BAD_REPLY');
  });

  test('a server that never answers: PEER_TIMEOUT within the configured timeout', async () => {
    const backend = await backendAt(
      await listen(
        net.createServer((socket) => {
          socket.on('error', () => undefined); // accepts, reads, never replies
        }),
      ),
    );
    for (const call of [
      () => backend.head('runs/a/x'),
      () => backend.list('runs/'),
      () => backend.get('runs/a/x'),
    ]) {
      const started = Date.now();
      await rejectsWith(call(), 'PEER_TIMEOUT');
      const took = Date.now() - started;
      assert.ok(took >= TIMEOUT_MS - 50 && took < TIMEOUT_MS + 1500, `took ${took} ms`);
    }
  });

  test('a body that stalls is PEER_TIMEOUT; one cut short is TRUNCATED', async () => {
    const backend = await backendAt(
      await listen(
        http.createServer((req, res) => {
          res.writeHead(200, objectHeaders);
          res.write(Buffer.alloc(100));
          if (req.url?.includes('cut') === true) setTimeout(() => res.destroy(), 20);
        }),
      ),
    );
    const stalled = await backend.get('runs/a/stall');
    assert.equal(stalled.meta.sizeBytes, 1000);
    const started = Date.now();
    await rejectsWith(collect(stalled.body), 'PEER_TIMEOUT');
    assert.ok(Date.now() - started < TIMEOUT_MS + 1500);
    await rejectsWith(collect((await backend.get('runs/a/cut')).body), 'TRUNCATED');
  });

  test('an abort while waiting for a reply is ABORTED at once', async () => {
    const backend = await backendAt(
      await listen(net.createServer((socket) => socket.on('error', () => undefined))),
    );
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const started = Date.now();
    await rejectsWith(backend.head('runs/a/x', controller.signal), 'ABORTED');
    assert.ok(Date.now() - started < TIMEOUT_MS, 'aborted before the timeout');
  });
});
