import { CohortError, Code, describeValue } from '@cohort/core';
import type { ConfigSource } from './field.js';

/** Stable reasons a configuration is refused. */
export type ConfigReason =
  | 'CONFIG_INVALID_VALUE'
  | 'CONFIG_MISSING_VALUE'
  | 'CONFIG_UNKNOWN_KEY'
  | 'CONFIG_UNKNOWN_FLAG'
  | 'CONFIG_CONFLICT'
  | 'CONFIG_FILE_UNREADABLE'
  | 'CONFIG_FILE_INVALID';

/**
 * A configuration value that cannot be used. The message names the key, its env and flag twins,
 * the expected form and what was received (never for secrets), so an operator can fix it in one go.
 * Services exit with code 2 on it.
 */
export class ConfigError extends CohortError {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly reasonCode: ConfigReason,
    readonly key: string | undefined,
    readonly source: ConfigSource | undefined,
    cause?: unknown,
  ) {
    super(Code.InvalidArgument, message, {
      reason: reasonCode,
      cause,
      details: { ...(key === undefined ? {} : { key }), ...(source === undefined ? {} : { source }) },
    });
  }
}

/** Render a received value for a config error; secrets are never echoed. */
export function receivedValue(raw: unknown, secret: boolean): string {
  return secret ? 'a value (hidden: secret)' : describeValue(raw);
}
