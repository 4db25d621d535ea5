/**
 * The process entry of every service binary: load config (exit 2 on a bad value, with one clear line
 * naming the key), start, and turn SIGTERM/SIGINT into a graceful shutdown (exit 0 when drained, 1 when
 * work had to be cut or the service failed).
 */
import { CohortError } from '@cohort/core';
import { ConfigError } from './config/config-error.js';
import { loadConfig } from './config/load-config.js';
import { formatConfigHelp, redactConfig } from './config/spec.js';
import type { ConfigOf, FieldMap } from './config/spec.js';
import { createLogger } from './log.js';
import { startService } from './service-runtime.js';
import type { RuntimeConfig, ServiceDefinition } from './service-runtime.js';
import { COHORT_VERSION } from './version.js';

/** Exit codes of service binaries. */
export const ExitCode = { Ok: 0, Failed: 1, BadConfig: 2 } as const;

/** Process inputs, injectable for tests. */
export interface MainOptions {
  readonly argv?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** Run a service as this process. Never resolves normally: it ends the process with an exit code. */
export async function runServiceMain<F extends FieldMap>(
  definition: ServiceDefinition<F>,
  options: MainOptions = {},
): Promise<never> {
  const argv = options.argv ?? process.argv.slice(2);
  const env = options.env ?? process.env;
  if (argv.includes('--version')) {
    process.stdout.write(`cohort-${definition.name} ${COHORT_VERSION}\n`);
    process.exit(ExitCode.Ok);
  }
  let config: ConfigOf<F> & RuntimeConfig;
  try {
    const loaded = loadConfig(definition.spec, { argv, env });
    if (loaded.help) {
      process.stdout.write(`${formatConfigHelp(definition.spec)}\n`);
      process.exit(ExitCode.Ok);
    }
    definition.validate?.(loaded.config);
    config = loaded.config as ConfigOf<F> & RuntimeConfig;
  } catch (err) {
    const message = err instanceof ConfigError ? err.message : `cannot load config: ${String(err)}`;
    process.stderr.write(`cohort-${definition.name}: ${message}\n`);
    process.exit(err instanceof ConfigError ? ExitCode.BadConfig : ExitCode.Failed);
  }

  const log = createLogger({ service: definition.name, level: config.logLevel, base: { run: config.runId } });
  log.info('config_loaded', { config: redactConfig(definition.spec, config) });

  let shutdown: ((reason: string) => Promise<{ forced: boolean }>) | undefined;
  let exiting = false;
  const exit = (code: number): never => {
    // Let stdout flush (piped stdout is async) before the process ends.
    process.stdout.write('', () => process.exit(code));
    return undefined as never;
  };
  const stop = (reason: string, failed: boolean): void => {
    if (exiting) {
      log.warn('shutdown_signal_repeated', { reason }, 'second signal: exiting now');
      process.exit(ExitCode.Failed);
    }
    exiting = true;
    if (shutdown === undefined) {
      exit(failed ? ExitCode.Failed : ExitCode.Ok);
      return;
    }
    shutdown(reason).then(
      (result) => exit(failed || result.forced ? ExitCode.Failed : ExitCode.Ok),
      (err: unknown) => {
        log.error('shutdown_failed', { error: CohortError.from(err) });
        exit(ExitCode.Failed);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM', false));
  process.on('SIGINT', () => stop('SIGINT', false));
  process.on('uncaughtException', (err) => {
    log.error('fatal_error', { error: CohortError.from(err), kind: 'uncaughtException' });
    stop('fatal_error', true);
  });
  process.on('unhandledRejection', (err) => {
    log.error('fatal_error', { error: CohortError.from(err), kind: 'unhandledRejection' });
    stop('fatal_error', true);
  });

  try {
    const running = await startService(definition, config, log);
    shutdown = (reason) => running.shutdown(reason);
    running.started.catch((err: unknown) => {
      if (exiting) return; // a signal interrupted the start: the shutdown in progress decides the exit code
      exiting = true;
      log.error('start_failed', { error: CohortError.from(err) });
      exit(ExitCode.Failed);
    });
  } catch (err) {
    if (!exiting) {
      exiting = true;
      log.error('start_failed', { error: CohortError.from(err) });
      exit(ExitCode.Failed);
    }
  }
  return new Promise<never>(() => undefined);
}
