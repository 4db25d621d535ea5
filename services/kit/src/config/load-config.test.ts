import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError } from './config-error.js';
import { field } from './field.js';
import { loadConfig } from './load-config.js';
import { defineConfig, envName, flagName, formatConfigHelp, redactConfig } from './spec.js';

const spec = defineConfig('demo', {
  grpcPort: field.port({ doc: 'port', default: 50051 }),
  logLevel: field.enum({ doc: 'level', default: 'info', values: ['debug', 'info'] as const }),
  verbose: field.bool({ doc: 'verbose', default: false }),
  ratio: field.number({ doc: 'ratio', default: 0.5, min: 0, max: 1 }),
  peers: field.list({ doc: 'peers', default: ['a'] }),
  apiToken: field.secret({ doc: 'token', optional: true }),
  endpoint: field.url({ doc: 'endpoint', protocols: ['http:', 'https:'] }),
});

const files: Record<string, string> = {
  '/cfg/a.json': JSON.stringify({ grpcPort: 6000, endpoint: 'https://file.example' }),
  '/cfg/a.yaml': 'grpcPort: 6001\nendpoint: https://yaml.example\npeers: [x, y]\n',
  '/cfg/bad.json': '{ nope',
  '/cfg/unknown.json': JSON.stringify({ grpcPrt: 1, endpoint: 'https://x.example' }),
  '/secrets/token': 's3cret\n',
};
const readFile = (p: string): string => {
  const text = files[p];
  if (text === undefined) throw new Error(`ENOENT: ${p}`);
  return text;
};
const load = (argv: string[], env: Record<string, string> = {}) =>
  loadConfig(spec, { argv, env, cwd: '/cfg', readFile });
const base = { COHORT_ENDPOINT: 'https://env.example' };

function rejects(fn: () => unknown, reason: string, includes: readonly string[] = []): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    assert.equal(err.reasonCode, reason, err.message);
    for (const text of includes)
      assert.ok(err.message.includes(text), `message lacks ${JSON.stringify(text)}: ${err.message}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

describe('config twins', () => {
  test('env and flag names derive from camelCase keys', () => {
    assert.equal(envName('grpcMaxMessageBytes'), 'COHORT_GRPC_MAX_MESSAGE_BYTES');
    assert.equal(flagName('grpcMaxMessageBytes'), '--grpc-max-message-bytes');
  });
  test('help lists every key with its env twin', () => {
    const help = formatConfigHelp(spec);
    for (const k of spec.keys) assert.ok(help.includes(k.env) && help.includes(k.flag), k.key);
  });
});

describe('loadConfig layering', () => {
  test('defaults apply and the result is frozen', () => {
    const { config, sources } = load([], base);
    assert.equal(config.grpcPort, 50051);
    assert.equal(sources.grpcPort, 'default');
    assert.equal(config.endpoint, 'https://env.example');
    assert.ok(Object.isFrozen(config));
    assert.ok(Object.isFrozen(config.peers));
  });
  test('file < env < flags', () => {
    const fromFile = load(['--config', 'a.json'], {});
    assert.equal(fromFile.config.grpcPort, 6000);
    assert.equal(fromFile.sources.grpcPort, 'file');
    const fromEnv = load(['--config', 'a.json'], { COHORT_GRPC_PORT: '7000' });
    assert.equal(fromEnv.config.grpcPort, 7000);
    assert.equal(fromEnv.config.endpoint, 'https://file.example');
    const fromFlag = load(['--config=a.json', '--grpc-port', '8000'], { COHORT_GRPC_PORT: '7000' });
    assert.equal(fromFlag.config.grpcPort, 8000);
    assert.equal(fromFlag.sources.grpcPort, 'flag');
  });
  test('YAML files and COHORT_CONFIG_FILE', () => {
    const { config } = load([], { COHORT_CONFIG_FILE: '/cfg/a.yaml' });
    assert.equal(config.grpcPort, 6001);
    assert.deepEqual(config.peers, ['x', 'y']);
  });
  test('boolean flags: bare, --no-, explicit', () => {
    assert.equal(load(['--verbose'], base).config.verbose, true);
    assert.equal(load(['--verbose', 'false'], base).config.verbose, false);
    assert.equal(load(['--no-verbose'], { ...base, COHORT_VERBOSE: 'yes' }).config.verbose, false);
    assert.equal(load([], { ...base, COHORT_VERBOSE: 'on' }).config.verbose, true);
  });
  test('lists from env are comma-separated', () => {
    assert.deepEqual(load([], { ...base, COHORT_PEERS: 'p1, p2,,p3' }).config.peers, ['p1', 'p2', 'p3']);
  });
  test('--help is reported, not an error', () => {
    assert.equal(load(['--help'], base).help, true);
  });
});

describe('loadConfig refusals', () => {
  test('a bad value names the key, its twins, the expected form and what was received', () => {
    const err = rejects(() => load([], { ...base, COHORT_GRPC_PORT: 'abc' }), 'CONFIG_INVALID_VALUE', [
      'grpcPort',
      'COHORT_GRPC_PORT',
      '--grpc-port',
      'an integer in [0, 65535]',
      '"abc"',
      'from env',
    ]);
    assert.equal(err.key, 'grpcPort');
    assert.equal(err.source, 'env');
  });
  test('out-of-range numbers and enums are refused', () => {
    rejects(() => load(['--grpc-port', '70000'], base), 'CONFIG_INVALID_VALUE', ['70000']);
    rejects(() => load(['--ratio', '1.5'], base), 'CONFIG_INVALID_VALUE', ['[0, 1]']);
    rejects(() => load(['--ratio', 'NaN'], base), 'CONFIG_INVALID_VALUE');
    rejects(() => load(['--log-level', 'trace'], base), 'CONFIG_INVALID_VALUE', ['"debug", "info"']);
    rejects(() => load([], { COHORT_ENDPOINT: 'ftp://x' }), 'CONFIG_INVALID_VALUE', ['http or https']);
  });
  test('a required key without a value', () => {
    rejects(() => load([]), 'CONFIG_MISSING_VALUE', ['endpoint', 'COHORT_ENDPOINT']);
  });
  test('unknown flags and file keys are refused, not ignored', () => {
    rejects(() => load(['--grpc-prt', '1'], base), 'CONFIG_UNKNOWN_FLAG', ['--grpc-prt']);
    rejects(() => load(['stray'], base), 'CONFIG_UNKNOWN_FLAG');
    rejects(() => load(['--config', 'unknown.json']), 'CONFIG_UNKNOWN_KEY', ['grpcPrt']);
  });
  test('unreadable and malformed files', () => {
    rejects(() => load(['--config', 'missing.json'], base), 'CONFIG_FILE_UNREADABLE', ['missing.json']);
    rejects(() => load(['--config', 'bad.json'], base), 'CONFIG_FILE_INVALID', ['bad.json']);
  });
  test('a flag given twice and a value-less flag', () => {
    rejects(() => load(['--grpc-port', '1', '--grpc-port', '2'], base), 'CONFIG_CONFLICT');
    rejects(() => load(['--grpc-port'], base), 'CONFIG_MISSING_VALUE');
  });
});

describe('secrets', () => {
  test('from the env var or from *_FILE (trailing newline dropped)', () => {
    assert.equal(load([], { ...base, COHORT_API_TOKEN: 'abc' }).config.apiToken, 'abc');
    assert.equal(load([], { ...base, COHORT_API_TOKEN_FILE: '/secrets/token' }).config.apiToken, 's3cret');
    assert.equal(load(['--api-token-file', '/secrets/token'], base).config.apiToken, 's3cret');
  });
  test('both forms at once is a conflict; a missing file is named', () => {
    rejects(
      () => load([], { ...base, COHORT_API_TOKEN: 'a', COHORT_API_TOKEN_FILE: '/secrets/token' }),
      'CONFIG_CONFLICT',
    );
    rejects(() => load([], { ...base, COHORT_API_TOKEN_FILE: '/secrets/nope' }), 'CONFIG_FILE_UNREADABLE', [
      '/secrets/nope',
    ]);
  });
  test('never echoed in errors or redacted dumps', () => {
    const err = rejects(() => load([], { ...base, COHORT_API_TOKEN: '' }), 'CONFIG_INVALID_VALUE');
    assert.ok(err.message.includes('hidden'));
    const { config } = load([], { ...base, COHORT_API_TOKEN: 'topsecret' });
    const dump = JSON.stringify(redactConfig(spec, config));
    assert.ok(!dump.includes('topsecret'));
    assert.ok(dump.includes('[redacted]'));
  });
});

test('a bad default is refused at definition time', () => {
  assert.throws(
    () => field.int({ doc: 'x', default: 5, min: 10, max: 20 }),
    /expected an integer in \[10, 20\]/,
  );
});
