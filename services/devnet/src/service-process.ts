/**
 * Run a service binary as a real child process (`node services/<name>/dist/main.js`) and follow its
 * JSON log by `event`, the way operators and end-to-end tests observe services.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { serviceEntry } from './repo.js';

/** One parsed log record. */
export type LogRecord = Readonly<Record<string, unknown>> & { readonly event: string };

/** A running service process. */
export interface ServiceProcess {
  readonly name: string;
  readonly child: ChildProcess;
  /** Every JSON record so far. */
  readonly records: LogRecord[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** Resolve with the first record with this event (already seen or future). */
  waitForEvent(event: string, timeoutMs?: number): Promise<LogRecord>;
  /** The exit code (or signal name) once the process ends. */
  readonly exited: Promise<number | string>;
  /** The bound ports, from the `service_listening` record. */
  ports(timeoutMs?: number): Promise<{ grpc: number; metrics: number }>;
  /** Send a signal and wait for the exit. */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

/** Options of {@link spawnService}. */
export interface SpawnServiceOptions {
  /** Extra environment (merged over a minimal one with ephemeral ports). */
  readonly env?: Readonly<Record<string, string>>;
  readonly args?: readonly string[];
}

/**
 * The parent's variables a child inherits: how this machine's math libraries must run, never a service's
 * configuration (COHORT_* is always explicit). On some processors `OPENBLAS_CORETYPE` (and
 * `OPENBLAS_L2_SIZE`) are set machine-wide because older OpenBLAS builds compute wrong results there:
 * a service started without them picks another kernel and measures losses that differ from its
 * parent's in the last bit, so bit-identical replicas would not be.
 */
const INHERITED = /^(OPENBLAS_\w+|OMP_\w+|GOTO_\w+|LD_LIBRARY_PATH|TMPDIR|CUDA_VISIBLE_DEVICES)$/;

/** {@link INHERITED} variables of `env`. */
export function platformEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && INHERITED.test(key)) out[key] = value;
  }
  return out;
}

/**
 * Start service `name` with ephemeral ports on loopback, in a minimal environment: PATH, the
 * platform's math-library variables ({@link platformEnv}) and `options.env`.
 */
export function spawnService(name: string, options: SpawnServiceOptions = {}): ServiceProcess {
  const child = spawn(process.execPath, [serviceEntry(name), ...(options.args ?? [])], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ...platformEnv(),
      COHORT_GRPC_PORT: '0',
      COHORT_METRICS_PORT: '0',
      ...options.env,
    },
  });
  const records: LogRecord[] = [];
  const waiters: { event: string; resolve: (r: LogRecord) => void }[] = [];
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (c: string) => (stderr += c));
  createInterface({ input: child.stdout }).on('line', (line) => {
    let rec: LogRecord;
    try {
      rec = JSON.parse(line) as LogRecord;
    } catch {
      stderr += `[non-JSON stdout] ${line}\n`;
      return;
    }
    records.push(rec);
    for (const w of waiters.filter((w) => w.event === rec.event)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(rec);
    }
  });
  const exited = new Promise<number | string>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')),
  );

  const waitForEvent = (event: string, timeoutMs = 15_000): Promise<LogRecord> => {
    const seen = records.find((r) => r.event === event);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `${name}: no "${event}" within ${timeoutMs} ms; events: ${records.map((r) => r.event).join(', ')}; stderr: ${stderr}`,
            ),
          ),
        timeoutMs,
      );
      const waiter = {
        event,
        resolve: (r: LogRecord) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      waiters.push(waiter);
      void exited.then((code) => {
        if (!waiters.includes(waiter)) return;
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code}) before "${event}"; stderr: ${stderr}`));
      });
    });
  };
  return {
    name,
    child,
    records,
    stderr: () => stderr,
    waitForEvent,
    exited,
    async ports(timeoutMs) {
      const rec = await waitForEvent('service_listening', timeoutMs);
      return { grpc: Number(rec.grpcPort), metrics: Number(rec.metricsPort) };
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
