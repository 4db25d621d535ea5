/**
 * A real `nats-server` (Debian package) with JetStream on a free loopback port, its store in a temp
 * directory. Restartable on the same port and store, for reconnect tests.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A running nats-server. */
export interface NatsServer {
  readonly url: string;
  readonly port: number;
  /** PID of the server process now (changes on restart). */
  readonly pid: number | undefined;
  /** Stop the server (SIGTERM, then SIGKILL after 5 s). */
  stop(): Promise<void>;
  /** Start it again on the same port with the same JetStream store. */
  restart(): Promise<void>;
  /** Stop and delete the store. */
  dispose(): Promise<void>;
}

function launch(args: string[]): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn('nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    const timer = setTimeout(() => fail(new Error(`nats-server did not start within 10 s:\n${log}`)), 10_000);
    const fail = (err: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(err);
    };
    child.once('error', (err) =>
      fail(
        new Error(
          `cannot run nats-server (${err.message}); install it with \`make setup\` (Debian package nats-server)`,
        ),
      ),
    );
    child.once('exit', (code) => fail(new Error(`nats-server exited with ${code}:\n${log}`)));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      log += chunk;
      const m = /Listening for client connections on [\d.]+:(\d+)/.exec(log);
      if (m && /Server is ready/.test(log)) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stderr?.removeAllListeners('data');
        child.stderr?.resume();
        resolve({ child, port: Number(m[1]) });
      }
    });
  });
}

async function terminate(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** Start nats-server with JetStream on 127.0.0.1 and a random free port. */
export async function startNatsServer(): Promise<NatsServer> {
  const storeDir = mkdtempSync(join(tmpdir(), 'cohort-nats-'));
  let current = await launch(['-a', '127.0.0.1', '-p', '-1', '-js', '-sd', storeDir]);
  const port = current.port;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    get pid() {
      return current.child.pid;
    },
    stop: () => terminate(current.child),
    async restart() {
      await terminate(current.child);
      current = await launch(['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir]);
    },
    async dispose() {
      await terminate(current.child);
      rmSync(storeDir, { recursive: true, force: true });
    },
  };
}
