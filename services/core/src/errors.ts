/**
 * cohort's one error model. Codes are numerically equal to gRPC status codes, so an error crosses a
 * gRPC boundary without a lookup table and a caller can branch on `code` wherever it was raised.
 * A stable `reason` (UPPER_SNAKE) says *which* rule failed; tests and metrics use it, never the message.
 */

/** The closed set of error codes: the gRPC status codes, same names, same numbers. */
export const Code = {
  Canceled: 1,
  Unknown: 2,
  InvalidArgument: 3,
  DeadlineExceeded: 4,
  NotFound: 5,
  AlreadyExists: 6,
  PermissionDenied: 7,
  ResourceExhausted: 8,
  FailedPrecondition: 9,
  Aborted: 10,
  OutOfRange: 11,
  Unimplemented: 12,
  Internal: 13,
  Unavailable: 14,
  DataLoss: 15,
  Unauthenticated: 16,
} as const;

/** One of {@link Code}'s values. */
export type Code = (typeof Code)[keyof typeof Code];

const codeNames = new Map<number, string>(Object.entries(Code).map(([name, value]) => [value, name]));

/** The name of a code (`InvalidArgument`), or `Code(n)` for a number outside the set. */
export function codeName(code: number): string {
  return codeNames.get(code) ?? `Code(${code})`;
}

/** True when `value` is one of the defined codes. */
export function isCode(value: unknown): value is Code {
  return typeof value === 'number' && codeNames.has(value);
}

/** Options of a {@link CohortError}. */
export interface CohortErrorOptions {
  /** Stable, machine-readable reason (e.g. `BAD_MAGIC`, `CONFIG_INVALID`). */
  readonly reason?: string | undefined;
  /** The error this one wraps. */
  readonly cause?: unknown;
  /** Structured, non-secret facts for logs and clients (e.g. the offending key). */
  readonly details?: Readonly<Record<string, string | number | boolean>> | undefined;
}

/**
 * The error every cohort package throws. Catch sites convert anything else with
 * {@link CohortError.from}, so code paths downstream only ever see one shape.
 */
export class CohortError extends Error {
  override readonly name: string = 'CohortError';
  readonly code: Code;
  readonly reason: string | undefined;
  readonly details: Readonly<Record<string, string | number | boolean>>;

  constructor(code: Code, message: string, options: CohortErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.reason = options.reason;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }

  /**
   * Wrap any thrown value: a CohortError is returned as is, anything else becomes `Unknown`
   * (or `fallback`) with the original kept as `cause`. Use at every catch site.
   */
  static from(value: unknown, fallback: Code = Code.Unknown): CohortError {
    if (value instanceof CohortError) return value;
    if (value instanceof Error) {
      const err = new CohortError(fallback, value.message, { cause: value });
      if (value.stack !== undefined) err.stack = value.stack;
      return err;
    }
    return new CohortError(
      fallback,
      typeof value === 'string' ? value : `non-error thrown: ${String(value)}`,
      {
        cause: value,
      },
    );
  }

  /** `InvalidArgument: message [REASON]`: the form used in logs and CLI output. */
  override toString(): string {
    const reason = this.reason === undefined ? '' : ` [${this.reason}]`;
    return `${codeName(this.code)}: ${this.message}${reason}`;
  }
}

/** Bad input from a caller or peer; `reason` says which rule it broke. */
export class InvalidArgumentError extends CohortError {
  override readonly name: string = 'InvalidArgumentError';
  constructor(message: string, options: CohortErrorOptions = {}) {
    super(Code.InvalidArgument, message, options);
  }
}

/** A call that is valid in general but not in the current state (use after dispose, wrong window). */
export class IllegalStateError extends CohortError {
  override readonly name: string = 'IllegalStateError';
  constructor(message: string, options: CohortErrorOptions = {}) {
    super(Code.FailedPrecondition, message, options);
  }
}

/** A bug or broken invariant inside cohort itself. */
export class InternalError extends CohortError {
  override readonly name: string = 'InternalError';
  constructor(message: string, options: CohortErrorOptions = {}) {
    super(Code.Internal, message, options);
  }
}

/**
 * `Expected <expected> for <what> but received <received>`: the one phrasing of a validation
 * failure, so users see the same shape from config, the native bridge and the wire decoder.
 */
export function expectedMessage(expected: string, what: string, received: unknown): string {
  return `Expected ${expected} for ${what} but received ${describeValue(received)}`;
}

/** A short, safe rendering of an arbitrary value for error messages (never a whole buffer). */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined';
  if (value === null) return 'null';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.byteLength} bytes)`;
  if (Array.isArray(value)) return `array(${value.length})`;
  if (typeof value === 'function') return 'a function';
  return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
}
