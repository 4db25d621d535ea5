/**
 * `cohort config [service] [--json]`: every configuration key of every service with its env twin,
 * flag, type, default and purpose. Operators read it; the Helm chart's env keys are checked against
 * the JSON form.
 */
import { CohortError, Code } from '@cohort/core';
import type { ConfigSpec, FieldMap } from '@cohort/kit';
import { serviceSpecs } from '../service-specs.js';
import { parseFlags } from './parse-flags.js';

/** Usage of `cohort config`. */
export const configUsage = `usage: cohort config [service...] [--json]

  service   only these services (default: all): ${serviceSpecs.map((s) => s.service).join(', ')}
  --json    one JSON array of rows instead of Markdown tables`;

/** One row of the reference. */
export interface ConfigRow {
  readonly service: string;
  readonly key: string;
  readonly env: string;
  readonly flag: string;
  readonly kind: string;
  readonly secret: boolean;
  readonly required: boolean;
  readonly default: unknown;
  readonly expected: string;
  readonly doc: string;
}

/** The rows of one spec. Secrets never show a default. */
export function configRows(spec: ConfigSpec<FieldMap>): ConfigRow[] {
  return spec.keys.map(({ key, env, flag, field }) => ({
    service: spec.service,
    key,
    env,
    flag,
    kind: field.kind,
    secret: field.secret,
    required: field.defaultValue === undefined,
    default: field.secret ? null : (field.defaultValue ?? null),
    expected: field.expected,
    doc: field.doc,
  }));
}

function markdown(rows: readonly ConfigRow[]): string {
  const lines: string[] = [];
  let service = '';
  for (const r of rows) {
    if (r.service !== service) {
      service = r.service;
      lines.push(
        '',
        `## cohort-${service}`,
        '',
        '| key | env | default | accepts | meaning |',
        '|---|---|---|---|---|',
      );
    }
    const env = r.secret ? `\`${r.env}\` or \`${r.env}_FILE\`` : `\`${r.env}\``;
    const def = r.secret ? '(secret)' : r.required ? '(required)' : `\`${JSON.stringify(r.default)}\``;
    lines.push(`| \`${r.key}\` | ${env} | ${def} | ${r.expected} | ${r.doc} |`);
  }
  return lines.join('\n').trimStart();
}

/** Run the command; returns the text to print. */
export function configReference(args: readonly string[]): string {
  const flags = parseFlags(args, { json: { type: 'boolean' } }, Infinity, configUsage);
  const json = flags.values.json === true;
  const names = flags.positionals;
  const specs =
    names.length === 0
      ? serviceSpecs
      : names.map((n) => {
          const spec = serviceSpecs.find((s) => s.service === n);
          if (spec === undefined) {
            throw new CohortError(
              Code.InvalidArgument,
              `unknown service ${JSON.stringify(n)}; one of ${serviceSpecs.map((s) => s.service).join(', ')}`,
              { reason: 'UNKNOWN_SERVICE' },
            );
          }
          return spec;
        });
  const rows = specs.flatMap(configRows);
  return json ? JSON.stringify(rows, null, 2) : markdown(rows);
}
