/**
 * A service's configuration spec: its typed fields, plus the derived env-var and flag names. One spec
 * per service (in its config.ts) is the single source for the loader, `--help`, the config reference
 * and the Helm chart's env keys.
 */
import type { Field } from './field.js';

/** The fields of a spec, by camelCase key. */
export type FieldMap = Readonly<Record<string, Field<unknown>>>;

/** The frozen config object a spec produces. */
export type ConfigOf<F extends FieldMap> = {
  readonly [K in keyof F]: F[K] extends Field<infer T> ? T : never;
};

/** One key with its derived names. */
export interface KeyInfo {
  readonly key: string;
  /** `COHORT_GRPC_PORT` for `grpcPort`. */
  readonly env: string;
  /** `--grpc-port` for `grpcPort`. */
  readonly flag: string;
  readonly field: Field<unknown>;
}

/** A service's typed configuration. Build with {@link defineConfig}. */
export interface ConfigSpec<F extends FieldMap> {
  readonly service: string;
  readonly fields: F;
  readonly keys: readonly KeyInfo[];
}

/** Environment variable twin of a key: `grpcPort` → `COHORT_GRPC_PORT`. */
export function envName(key: string): string {
  return `COHORT_${key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/** Flag twin of a key: `grpcPort` → `--grpc-port`. */
export function flagName(key: string): string {
  return `--${key.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase()}`;
}

const keyPattern = /^[a-z][a-zA-Z0-9]*$/;

/**
 * Define a service's config spec. Keys are camelCase; each gets an env twin and a flag twin.
 * Throws at definition time on a malformed key (a programming error, not a user's).
 */
export function defineConfig<F extends FieldMap>(service: string, fields: F): ConfigSpec<F> {
  const keys = Object.entries(fields).map(([key, field]) => {
    if (!keyPattern.test(key) || key === 'config' || key === 'help') {
      throw new Error(`config key ${JSON.stringify(key)} of ${service} is not a usable camelCase key`);
    }
    return Object.freeze({ key, env: envName(key), flag: flagName(key), field });
  });
  return Object.freeze({ service, fields, keys: Object.freeze(keys) });
}

/** A config object with every secret replaced by "[redacted]": the only form that may be logged. */
export function redactConfig<F extends FieldMap>(
  spec: ConfigSpec<F>,
  config: ConfigOf<F>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, field } of spec.keys) {
    const value = (config as Record<string, unknown>)[key];
    out[key] = field.secret && value !== '' ? '[redacted]' : value;
  }
  return out;
}

/** `--help` text: every key with its flag, env twin, type, default and purpose. */
export function formatConfigHelp<F extends FieldMap>(spec: ConfigSpec<F>): string {
  const lines = [
    `cohort-${spec.service}: configuration (precedence: flags > environment > --config file > defaults)`,
    '',
    '  --config <file>   JSON or YAML file with camelCase keys (env: COHORT_CONFIG_FILE)',
    '',
  ];
  for (const { key, env, flag, field } of spec.keys) {
    const def = field.secret
      ? ''
      : field.defaultValue === undefined
        ? ' (required)'
        : ` [default ${JSON.stringify(field.defaultValue)}]`;
    const envs = field.secret ? `${env} or ${env}_FILE` : env;
    lines.push(
      `  ${flag} <${field.kind}>  ${key}: ${field.doc}${def}`,
      `      env ${envs}; ${field.expected}`,
    );
  }
  return lines.join('\n');
}
