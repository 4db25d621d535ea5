/**
 * The local subtensor chain as its own process (`cohort-devchain`), with a setup connection: tests keep
 * chopsticks' runtime worker out of the test process, and can kill and restart the chain on the same port
 * (a restarted chain starts again from genesis).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { resolve } from 'node:path';
import { attachLocalChain } from '@cohort/devchain';
import type { BlockMode, LocalChain } from '@cohort/devchain';
import { repoRoot } from './repo.js';

/** A chain process and a connection to it. */
export interface DevchainProcess {
  /** The setup connection (replaced after a restart). */
  readonly chain: LocalChain;
  readonly port: number;
  /** PID of the chain process now (changes on restart). */
  readonly pid: number | undefined;
  /** SIGSTOP the chain: sockets stay open, nothing answers, no blocks (a stalled node). */
  pause(): void;
  /** SIGCONT after {@link DevchainProcess.pause}. */
  resume(): void;
  /** SIGKILL the chain (a crash). */
  kill(): Promise<void>;
  /** Start it again on the same port, from genesis. */
  restart(): Promise<void>;
  /** Stop it (SIGTERM) and disconnect. */
  stop(): Promise<void>;
}

async function launch(
  port: number,
  mode: BlockMode,
  blockMs: number,
): Promise<{ child: ChildProcess; port: number }> {
  const entry = resolve(repoRoot, 'services', 'devchain', 'dist', 'main.js');
  const child = spawn(
    process.execPath,
    [entry, '--port', String(port), '--mode', mode, '--block-ms', String(blockMs)],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  return new Promise((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`devchain did not start in 120 s: ${stderr}`)), 120_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`devchain exited with ${code}: ${stderr}`));
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        const rec = JSON.parse(line) as { event?: string; port?: number };
        if (rec.event === 'devchain_ready' && typeof rec.port === 'number') {
          clearTimeout(timer);
          resolvePort({ child, port: rec.port });
        }
      } catch {
        // not a JSON line
      }
    });
  });
}

async function terminate(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Start `cohort-devchain` on a free port (`blockMs` > 0 adds its block clock) and attach to it. */
export async function startDevchainProcess(
  mode: BlockMode = 'manual',
  blockMs = 0,
): Promise<DevchainProcess> {
  let current = await launch(0, mode, blockMs);
  const port = current.port;
  let chain = await attachLocalChain(`ws://127.0.0.1:${port}`, mode);
  return {
    get chain() {
      return chain;
    },
    port,
    get pid() {
      return current.child.pid;
    },
    pause() {
      current.child.kill('SIGSTOP');
    },
    resume() {
      current.child.kill('SIGCONT');
    },
    async kill() {
      await chain.close();
      await terminate(current.child, 'SIGKILL');
    },
    async restart() {
      current = await launch(port, mode, blockMs);
      chain = await attachLocalChain(`ws://127.0.0.1:${port}`, mode);
    },
    async stop() {
      await chain.close();
      await terminate(current.child, 'SIGTERM');
    },
  };
}
