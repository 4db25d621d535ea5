/**
 * helm/cohort/files/grpc-health-check.mjs, the `helm test` probe, against an HTTP/2 server that answers
 * like a gRPC health service (SERVING, NOT_SERVING, an error status) and against a closed port.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http2';
import type { Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chartDir } from './chart.js';

const script = join(chartDir, 'files/grpc-health-check.mjs');
let server: Http2Server;
let port = 0;
/** What the fake health service answers next. */
let mode: 'serving' | 'not-serving' | 'error' = 'serving';

before(async () => {
  server = createServer();
  server.on('stream', (stream, headers) => {
    assert.equal(headers[':path'], '/grpc.health.v1.Health/Check');
    stream.on('data', () => undefined);
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': mode === 'error' ? '5' : '0' }));
      if (mode === 'error') stream.end();
      else stream.end(Buffer.from([0, 0, 0, 0, 2, 0x08, mode === 'serving' ? 1 : 2]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(() => {
  server.close();
});

/** Run the script (asynchronously: the fake server answers from this process). */
function run(...addresses: string[]): Promise<{ status: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [script, ...addresses], {
      env: { ...process.env, TIMEOUT_MS: '3000' },
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.on('close', (status) => resolve({ status, out }));
  });
}

test('exits 0 when every address answers SERVING', async () => {
  mode = 'serving';
  const res = await run(`127.0.0.1:${port}`, `localhost:${port}`);
  assert.equal(res.status, 0, res.out);
  assert.match(res.out, /ok {3}127\.0\.0\.1:\d+ SERVING/);
});

test('exits 1 when a service is NOT_SERVING or answers an error status', async () => {
  mode = 'not-serving';
  const notServing = await run(`127.0.0.1:${port}`);
  assert.equal(notServing.status, 1, notServing.out);
  assert.match(notServing.out, /NOT_SERVING/);
  mode = 'error';
  const error = await run(`127.0.0.1:${port}`);
  assert.equal(error.status, 1, error.out);
  assert.match(error.out, /grpc-status 5/);
});

test('exits 1 when an address is down', async () => {
  mode = 'serving';
  const res = await run(`127.0.0.1:${port}`, '127.0.0.1:1');
  assert.equal(res.status, 1, res.out);
  assert.match(res.out, /FAIL 127\.0\.0\.1:1 /);
});

test('exits 1 without addresses', async () => {
  assert.equal((await run()).status, 1);
});
