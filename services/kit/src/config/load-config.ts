/**
 * Load a service's configuration: defaults → file → environment → flags, each layer validated by the
 * field parsers, the result frozen. Only a service's main.ts calls this (libraries take options objects).
 */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, receivedValue } from './config-error.js';
import { FieldParseError } from './field.js';
import type { ConfigSource } from './field.js';
import type { ConfigOf, ConfigSpec, FieldMap, KeyInfo } from './spec.js';

/** Inputs of {@link loadConfig}; all injectable for tests. */
export interface LoadConfigOptions {
  /** Command-line arguments after the script (process.argv.slice(2)). */
  readonly argv?: readonly string[];
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly cwd?: string;
  readonly readFile?: (path: string) => string;
}

/** The outcome: the config, where each key came from, and whether `--help` was asked for. */
export interface LoadedConfig<F extends FieldMap> {
  readonly config: ConfigOf<F>;
  readonly sources: Readonly<Record<string, ConfigSource>>;
  readonly help: boolean;
}

interface Raw {
  value: unknown;
  source: ConfigSource;
  /** Set when the value came from a secret's *_FILE indirection (the value is the path). */
  fromFile?: boolean;
}

const defaultRead = (path: string): string => readFileSync(path, 'utf8');

/** Parse argv into raw flag values; `--key value`, `--key=value`, `--flag`, `--no-flag`. */
function parseFlags(
  spec: ConfigSpec<FieldMap>,
  argv: readonly string[],
): { values: Map<string, Raw>; configFile: string | undefined; help: boolean } {
  const byFlag = new Map<string, KeyInfo>(spec.keys.map((k) => [k.flag, k]));
  const values = new Map<string, Raw>();
  let configFile: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--help' || arg === '-h') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) {
      throw new ConfigError(
        `unexpected argument ${JSON.stringify(arg)}: every setting is a --flag`,
        'CONFIG_UNKNOWN_FLAG',
        undefined,
        'flag',
      );
    }
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg : arg.slice(0, eq);
    let inline: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    const takeValue = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) {
        throw new ConfigError(`flag ${name} needs a value`, 'CONFIG_MISSING_VALUE', undefined, 'flag');
      }
      i++;
      return next;
    };
    if (name === '--config') {
      configFile = takeValue();
      continue;
    }
    let fromFile = false;
    if (name.endsWith('-file') && !byFlag.has(name) && byFlag.get(name.slice(0, -5))?.field.secret) {
      name = name.slice(0, -5);
      fromFile = true;
    }
    const info = byFlag.get(name);
    if (info === undefined && name.startsWith('--no-') && inline === undefined) {
      const positive = byFlag.get(`--${name.slice(5)}`);
      if (positive?.field.kind === 'bool') {
        values.set(positive.key, { value: 'false', source: 'flag' });
        continue;
      }
    }
    if (info === undefined) {
      throw new ConfigError(`unknown flag ${name} (see --help)`, 'CONFIG_UNKNOWN_FLAG', undefined, 'flag');
    }
    if (info.field.kind === 'bool' && inline === undefined) {
      const next = argv[i + 1];
      inline = next !== undefined && !next.startsWith('--') ? (i++, next) : 'true';
    }
    if (values.has(info.key)) {
      throw new ConfigError(`flag ${name} is given twice`, 'CONFIG_CONFLICT', info.key, 'flag');
    }
    values.set(info.key, { value: takeValue(), source: 'flag', fromFile });
  }
  return { values, configFile, help };
}

function readConfigFile(
  path: string,
  spec: ConfigSpec<FieldMap>,
  read: (p: string) => string,
): Map<string, Raw> {
  let text: string;
  try {
    text = read(path);
  } catch (err) {
    throw new ConfigError(
      `cannot read config file ${path}: ${(err as Error).message}`,
      'CONFIG_FILE_UNREADABLE',
      undefined,
      'file',
      err,
    );
  }
  let doc: unknown;
  try {
    doc = ['.yaml', '.yml'].includes(extname(path).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    throw new ConfigError(
      `config file ${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'JSON or YAML'}: ${(err as Error).message}`,
      'CONFIG_FILE_INVALID',
      undefined,
      'file',
      err,
    );
  }
  if (doc === null || doc === undefined) return new Map();
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError(
      `config file ${path} must hold an object of camelCase keys`,
      'CONFIG_FILE_INVALID',
      undefined,
      'file',
    );
  }
  const known = new Map(spec.keys.map((k) => [k.key, k]));
  const values = new Map<string, Raw>();
  for (const [k, v] of Object.entries(doc)) {
    const secretFile = k.endsWith('File') ? known.get(k.slice(0, -4)) : undefined;
    if (secretFile?.field.secret) {
      if (values.has(secretFile.key)) {
        throw new ConfigError(
          `config file ${path} sets both ${secretFile.key} and ${k}`,
          'CONFIG_CONFLICT',
          secretFile.key,
          'file',
        );
      }
      values.set(secretFile.key, { value: v, source: 'file', fromFile: true });
      continue;
    }
    const info = known.get(k);
    if (info === undefined) {
      throw new ConfigError(
        `config file ${path} has unknown key ${JSON.stringify(k)} for ${spec.service}`,
        'CONFIG_UNKNOWN_KEY',
        k,
        'file',
      );
    }
    if (values.has(k)) {
      throw new ConfigError(`config file ${path} sets both ${k} and ${k}File`, 'CONFIG_CONFLICT', k, 'file');
    }
    values.set(k, { value: v, source: 'file' });
  }
  return values;
}

function readEnv(
  spec: ConfigSpec<FieldMap>,
  env: Readonly<Record<string, string | undefined>>,
): Map<string, Raw> {
  const values = new Map<string, Raw>();
  for (const { key, env: name, field } of spec.keys) {
    const direct = env[name];
    const file = field.secret ? env[`${name}_FILE`] : undefined;
    if (direct !== undefined && file !== undefined) {
      throw new ConfigError(`both ${name} and ${name}_FILE are set; set one`, 'CONFIG_CONFLICT', key, 'env');
    }
    if (direct !== undefined) values.set(key, { value: direct, source: 'env' });
    else if (file !== undefined) values.set(key, { value: file, source: 'env', fromFile: true });
  }
  return values;
}

function describeKey(info: KeyInfo): string {
  const env = info.field.secret ? `${info.env} or ${info.env}_FILE` : info.env;
  return `${info.key} (env ${env}, flag ${info.flag})`;
}

/**
 * Load and validate a service's config. Throws {@link ConfigError} naming the key, its twins, the
 * expected form and the received value; the caller (the service runtime) exits with code 2 on it.
 */
export function loadConfig<F extends FieldMap>(
  spec: ConfigSpec<F>,
  options: LoadConfigOptions = {},
): LoadedConfig<F> {
  const env = options.env ?? {};
  const read = options.readFile ?? defaultRead;
  const cwd = options.cwd ?? process.cwd();
  const flags = parseFlags(spec, options.argv ?? []);
  const configPath = flags.configFile ?? env.COHORT_CONFIG_FILE;
  const layers = [
    configPath === undefined || configPath === ''
      ? new Map<string, Raw>()
      : readConfigFile(resolve(cwd, configPath), spec, read),
    readEnv(spec, env),
    flags.values,
  ];
  const config: Record<string, unknown> = {};
  const sources: Record<string, ConfigSource> = {};
  for (const info of spec.keys) {
    let raw: Raw | undefined;
    for (const layer of layers) raw = layer.get(info.key) ?? raw;
    if (raw === undefined) {
      if (info.field.defaultValue === undefined) {
        throw new ConfigError(
          `missing required config ${describeKey(info)}: ${info.field.expected}`,
          'CONFIG_MISSING_VALUE',
          info.key,
          undefined,
        );
      }
      config[info.key] = info.field.defaultValue;
      sources[info.key] = 'default';
      continue;
    }
    let value = raw.value;
    if (raw.fromFile) {
      if (typeof value !== 'string' || value === '') {
        throw new ConfigError(
          `${describeKey(info)}: expected a file path for the secret's _FILE form`,
          'CONFIG_INVALID_VALUE',
          info.key,
          raw.source,
        );
      }
      const path = resolve(cwd, value);
      try {
        value = read(path).replace(/\r?\n$/, '');
      } catch (err) {
        throw new ConfigError(
          `${describeKey(info)}: cannot read secret file ${path}: ${(err as Error).message}`,
          'CONFIG_FILE_UNREADABLE',
          info.key,
          raw.source,
          err,
        );
      }
    }
    try {
      config[info.key] = info.field.parse(value, raw.source);
    } catch (err) {
      if (!(err instanceof FieldParseError)) throw err;
      throw new ConfigError(
        `invalid config ${describeKey(info)}: expected ${err.expected} but received ${receivedValue(value, info.field.secret)} (from ${raw.source})`,
        'CONFIG_INVALID_VALUE',
        info.key,
        raw.source,
      );
    }
    sources[info.key] = raw.source;
  }
  return { config: Object.freeze(config) as ConfigOf<F>, sources: Object.freeze(sources), help: flags.help };
}
