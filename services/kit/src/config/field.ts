/**
 * Typed configuration fields. A field knows its type, default, documentation and how to parse a raw
 * value from a file, an environment variable or a flag; parse failures name the expected form so the
 * loader can produce one clear error per bad key.
 */

/** Where a raw value came from; parsers accept strings from env/flags and typed values from files. */
export type ConfigSource = 'default' | 'file' | 'env' | 'flag';

/** Raised by a field parser: `expected` is the human form, e.g. "an integer in [1, 65535]". */
export class FieldParseError extends Error {
  override readonly name = 'FieldParseError';
  constructor(readonly expected: string) {
    super(`expected ${expected}`);
  }
}

/** One typed configuration key. Build with the `field.*` helpers, never by hand. */
export interface Field<T> {
  /** Short type tag, shown in `--help` and the config reference. */
  readonly kind: string;
  /** What the key is for, one sentence. */
  readonly doc: string;
  /** The value when no source sets it; `undefined` makes the key required. */
  readonly defaultValue: T | undefined;
  /** Secrets are read from env or `*_FILE`, and are redacted in every log and dump. */
  readonly secret: boolean;
  /** The expected form, for error messages ("an integer in [0, 65535]"). */
  readonly expected: string;
  /** Parse and validate a raw value; throws {@link FieldParseError}. */
  parse(raw: unknown, source: ConfigSource): T;
}

interface Common<T> {
  readonly doc: string;
  readonly default?: T;
}

function make<T>(
  kind: string,
  expected: string,
  opts: Common<T> & { secret?: boolean },
  parse: (raw: unknown, source: ConfigSource) => T,
): Field<T> {
  // The default goes through the parser too: a bad default fails at definition time (a programming
  // error, not a user's), and parsed values come out normalised and frozen like any other.
  return Object.freeze({
    kind,
    doc: opts.doc,
    defaultValue: opts.default === undefined ? undefined : parse(opts.default, 'default'),
    secret: opts.secret ?? false,
    expected,
    parse,
  });
}

function fail(expected: string): never {
  throw new FieldParseError(expected);
}

function asText(raw: unknown, expected: string): string {
  if (typeof raw === 'string') return raw;
  return fail(expected);
}

function parseInteger(raw: unknown, min: number, max: number, expected: string): number {
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && /^[+-]?\d+$/.test(raw.trim())) n = Number(raw.trim());
  else return fail(expected);
  if (!Number.isSafeInteger(n) || n < min || n > max) return fail(expected);
  return n;
}

function parseNumber(raw: unknown, min: number, max: number, expected: string): number {
  let n: number;
  if (typeof raw === 'number') n = raw;
  else if (typeof raw === 'string' && raw.trim() !== '') n = Number(raw.trim());
  else return fail(expected);
  if (!Number.isFinite(n) || n < min || n > max) return fail(expected);
  return n;
}

/** Constructors for every field kind the services use. */
export const field = {
  /** Free text, optionally constrained by a regular expression (anchored by the caller). */
  string(
    opts: Common<string> & { pattern?: RegExp; patternDoc?: string; allowEmpty?: boolean },
  ): Field<string> {
    const expected = opts.pattern
      ? `a string matching ${opts.patternDoc ?? String(opts.pattern)}`
      : opts.allowEmpty
        ? 'a string'
        : 'a non-empty string';
    return make('string', expected, opts, (raw) => {
      const s = asText(raw, expected);
      if (!opts.allowEmpty && s.length === 0) return fail(expected);
      if (opts.pattern && !opts.pattern.test(s)) return fail(expected);
      return s;
    });
  },

  /** An integer within [min, max] (inclusive). */
  int(opts: Common<number> & { min: number; max: number; unit?: string }): Field<number> {
    const unit = opts.unit ? ` (${opts.unit})` : '';
    const expected = `an integer in [${opts.min}, ${opts.max}]${unit}`;
    return make('int', expected, opts, (raw) => parseInteger(raw, opts.min, opts.max, expected));
  },

  /** A finite number within [min, max]. */
  number(opts: Common<number> & { min: number; max: number }): Field<number> {
    const expected = `a finite number in [${opts.min}, ${opts.max}]`;
    return make('number', expected, opts, (raw) => parseNumber(raw, opts.min, opts.max, expected));
  },

  /** A TCP port; 0 asks the OS for a free one (tests, devnet). */
  port(opts: Common<number>): Field<number> {
    const expected = 'a TCP port: an integer in [0, 65535] (0 picks a free port)';
    return make('port', expected, opts, (raw) => parseInteger(raw, 0, 65535, expected));
  },

  /** true/false (also 1/0, yes/no, on/off from env and flags). */
  bool(opts: Common<boolean>): Field<boolean> {
    const expected = 'a boolean (true/false, 1/0, yes/no, on/off)';
    return make('bool', expected, opts, (raw) => {
      if (typeof raw === 'boolean') return raw;
      if (typeof raw === 'string') {
        const s = raw.trim().toLowerCase();
        if (['true', '1', 'yes', 'on'].includes(s)) return true;
        if (['false', '0', 'no', 'off'].includes(s)) return false;
      }
      return fail(expected);
    });
  },

  /** One of a closed set of strings. */
  enum<const V extends string>(opts: Common<V> & { values: readonly V[] }): Field<V> {
    const expected = `one of ${opts.values.map((v) => JSON.stringify(v)).join(', ')}`;
    return make('enum', expected, opts, (raw) => {
      const s = asText(raw, expected);
      return (opts.values as readonly string[]).includes(s) ? (s as V) : fail(expected);
    });
  },

  /** A URL whose scheme is one of `protocols` (e.g. ['nats:', 'tls:']). */
  url(opts: Common<string> & { protocols: readonly string[] }): Field<string> {
    const expected = `a URL with scheme ${opts.protocols.map((p) => p.replace(/:$/, '')).join(' or ')}`;
    return make('url', expected, opts, (raw) => {
      const s = asText(raw, expected).trim();
      let u: URL;
      try {
        u = new URL(s);
      } catch {
        return fail(expected);
      }
      return opts.protocols.includes(u.protocol) ? s : fail(expected);
    });
  },

  /** A list of strings; comma-separated in env and flags, an array in files. */
  list(
    opts: Common<readonly string[]> & { item?: RegExp; itemDoc?: string; min?: number },
  ): Field<readonly string[]> {
    const item = opts.item ? ` matching ${opts.itemDoc ?? String(opts.item)}` : '';
    const min = opts.min ?? 0;
    const expected = `a comma-separated list of${min > 0 ? ` at least ${min}` : ''} strings${item}`;
    return make('list', expected, opts, (raw) => {
      let items: unknown[];
      if (Array.isArray(raw)) items = raw;
      else if (typeof raw === 'string')
        items = raw
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
      else return fail(expected);
      if (items.length < min) return fail(expected);
      const out = items.map((v) => {
        if (typeof v !== 'string' || v === '') return fail(expected);
        if (opts.item && !opts.item.test(v)) return fail(expected);
        return v;
      });
      return Object.freeze(out);
    });
  },

  /**
   * A secret (token, mnemonic, key). Read from `COHORT_X` or from the file named by `COHORT_X_FILE`
   * (the Kubernetes Secret volume pattern); redacted everywhere. Optional secrets default to ''.
   */
  secret(opts: { doc: string; optional?: boolean }): Field<string> {
    const expected = 'a non-empty secret (set the variable, or *_FILE to a file holding it)';
    return make(
      'secret',
      expected,
      { doc: opts.doc, secret: true, ...(opts.optional ? { default: '' } : {}) },
      (raw, source) => {
        const s = asText(raw, expected);
        if (s === '' && source !== 'default') return fail(expected);
        return s;
      },
    );
  },
};
