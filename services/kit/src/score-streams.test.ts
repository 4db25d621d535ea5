/**
 * The score streams against a real nats-server with JetStream (the Debian package, as every NATS test
 * here): both get the age limit, also when a declarer from before the limit created them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runSubjects, scoreJobsStream, scoreResultsStream } from '@cohort/core';
import { RetentionPolicy, StorageType } from '@nats-io/jetstream';

import { createLogger } from './log.js';
import { connectNats, ensureStream } from './nats.js';
import type { NatsHandle } from './nats.js';
import {
  SCORE_RESULTS_DUPLICATE_WINDOW_MS,
  SCORE_STREAMS_MAX_AGE_MS,
  declareScoreStreams,
} from './score-streams.js';

const NS = 1_000_000;
let server: ChildProcess;
let storeDir: string;
let nats: NatsHandle;

/** nats-server with JetStream on a free loopback port; resolves with its URL once it is ready. */
function startServer(): Promise<string> {
  storeDir = mkdtempSync(join(tmpdir(), 'cohort-kit-nats-'));
  server = spawn('nats-server', ['-a', '127.0.0.1', '-p', '-1', '-js', '-sd', storeDir], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let log = '';
    const timer = setTimeout(() => reject(new Error(`nats-server did not start:\n${log}`)), 10_000);
    server.once('error', (e) => reject(new Error(`cannot run nats-server (Debian package): ${e.message}`)));
    server.stderr!.setEncoding('utf8');
    server.stderr!.on('data', (chunk: string) => {
      log += chunk;
      const m = /Listening for client connections on [\d.]+:(\d+)/.exec(log);
      if (m && /Server is ready/.test(log)) {
        clearTimeout(timer);
        server.stderr!.removeAllListeners('data');
        server.stderr!.resume();
        resolve(`nats://127.0.0.1:${m[1]}`);
      }
    });
  });
}

before(async () => {
  const url = await startServer();
  nats = await connectNats({
    servers: [url],
    name: 'score-streams-test',
    log: createLogger({ service: 'test', level: 'error' }),
  });
});

after(async () => {
  await nats?.close();
  if (server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  rmSync(storeDir, { recursive: true, force: true });
});

test('both score streams are declared with the age limit', async () => {
  await declareScoreStreams(nats.jsm, 'fresh');
  const jobs = await nats.jsm.streams.info(scoreJobsStream('fresh'));
  const results = await nats.jsm.streams.info(scoreResultsStream('fresh'));
  assert.equal(jobs.config.max_age, SCORE_STREAMS_MAX_AGE_MS * NS);
  assert.equal(jobs.config.retention, RetentionPolicy.Workqueue);
  assert.equal(results.config.max_age, SCORE_STREAMS_MAX_AGE_MS * NS);
  assert.equal(results.config.retention, RetentionPolicy.Limits);
  assert.equal(results.config.duplicate_window, SCORE_RESULTS_DUPLICATE_WINDOW_MS * NS);
  assert.ok(SCORE_STREAMS_MAX_AGE_MS >= 4 * SCORE_RESULTS_DUPLICATE_WINDOW_MS);
});

test('streams declared before the limit get it, and keep it when an old declarer starts again', async () => {
  const run = 'upgraded';
  const subjects = runSubjects(run);
  // How a declarer from before the limit creates them: no max_age (kept forever).
  const old = async (): Promise<void> => {
    await ensureStream(nats.jsm, {
      name: scoreJobsStream(run),
      subjects: [subjects.scoreJobs],
      retention: RetentionPolicy.Workqueue,
      storage: StorageType.File,
    });
    await ensureStream(nats.jsm, {
      name: scoreResultsStream(run),
      subjects: [subjects.scoreResults],
      retention: RetentionPolicy.Limits,
      storage: StorageType.File,
      duplicate_window: SCORE_RESULTS_DUPLICATE_WINDOW_MS * NS,
    });
  };
  await old();
  await nats.js.publish(subjects.scoreResults, new Uint8Array([1]), { msgID: 'kept' });
  assert.equal((await nats.jsm.streams.info(scoreResultsStream(run))).config.max_age, 0, 'unlimited');
  await declareScoreStreams(nats.jsm, run);
  await old(); // an evaluator not yet upgraded restarts
  for (const name of [scoreJobsStream(run), scoreResultsStream(run)]) {
    const info = await nats.jsm.streams.info(name);
    assert.equal(info.config.max_age, SCORE_STREAMS_MAX_AGE_MS * NS, name);
  }
  const results = await nats.jsm.streams.info(scoreResultsStream(run));
  assert.equal(results.state.messages, 1, 'a message younger than the limit stays');
});
