/**
 * Structured JSON logging: one line per record with `ts`, `level`, `service`, a stable `event` name
 * (tests and alerts match on it, never on message text) and context fields (`run`, `window`, `hotkey`).
 */
import { CohortError, codeName } from '@cohort/core';

/** Severity, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const levelRank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Context and facts attached to a record; errors are serialised with code and reason. */
export type LogFields = Readonly<Record<string, unknown>>;

/** A structured logger. `event` is snake_case and stable; `msg` is for humans. */
export interface Logger {
  debug(event: string, fields?: LogFields, msg?: string): void;
  info(event: string, fields?: LogFields, msg?: string): void;
  warn(event: string, fields?: LogFields, msg?: string): void;
  error(event: string, fields?: LogFields, msg?: string): void;
  /** A logger whose records also carry `fields` (e.g. `{ window: 12 }`). */
  child(fields: LogFields): Logger;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  readonly service: string;
  readonly level?: LogLevel;
  /** Fields on every record (e.g. `{ run: 'devnet' }`). */
  readonly base?: LogFields;
  /** Where lines go; defaults to stdout. */
  readonly write?: (line: string) => void;
  /** Clock for `ts`, injectable for tests. */
  readonly now?: () => number;
}

function serialiseError(err: unknown): Record<string, unknown> {
  if (err instanceof CohortError) {
    return {
      name: err.name,
      code: codeName(err.code),
      ...(err.reason === undefined ? {} : { reason: err.reason }),
      message: err.message,
      ...(Object.keys(err.details).length > 0 ? { details: err.details } : {}),
      ...(err.stack === undefined ? {} : { stack: err.stack }),
    };
  }
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { message: String(err) };
}

function normalise(value: unknown): unknown {
  if (value instanceof Error) return serialiseError(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  return value;
}

/** Create the process's logger. Services get one from the runtime; libraries receive it as an option. */
export function createLogger(options: LoggerOptions): Logger {
  const threshold = levelRank[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => void process.stdout.write(line));
  const now = options.now ?? Date.now;

  const build = (base: LogFields): Logger => {
    const emit = (level: LogLevel, event: string, fields?: LogFields, msg?: string): void => {
      if (levelRank[level] < threshold) return;
      const record: Record<string, unknown> = {
        ts: new Date(now()).toISOString(),
        level,
        service: options.service,
        event,
      };
      if (msg !== undefined) record.msg = msg;
      for (const [k, v] of Object.entries(base)) record[k] = normalise(v);
      if (fields) for (const [k, v] of Object.entries(fields)) record[k] = normalise(v);
      let line: string;
      try {
        line = JSON.stringify(record);
      } catch {
        line = JSON.stringify({
          ts: record.ts,
          level,
          service: options.service,
          event,
          msg: 'unserialisable log fields',
        });
      }
      write(`${line}\n`);
    };
    return {
      debug: (e, f, m) => emit('debug', e, f, m),
      info: (e, f, m) => emit('info', e, f, m),
      warn: (e, f, m) => emit('warn', e, f, m),
      error: (e, f, m) => emit('error', e, f, m),
      child: (fields) => build({ ...base, ...fields }),
    };
  };
  return build(options.base ?? {});
}
