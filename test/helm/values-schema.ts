/**
 * The per-service `config` blocks of values.schema.json are derived from the services' config reference
 * (`cohort config --json`): each lists exactly the service's keys, typed by their kind, less those the
 * chart owns (ports, bind hosts, run id, NATS URLs, roles) and the secrets (they come from Secrets). So a
 * misspelt or misplaced key fails `helm install` instead of being ignored, and a key added to a service
 * reaches the chart's schema: `COHORT_WRITE_SCHEMA=1` rewrites these definitions after such a change.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { chartDir } from './chart.js';

export const schemaPath = join(chartDir, 'values.schema.json');

/** Keys the chart sets itself for every service (or from another value), never through `config`. */
export const CHART_OWNED_KEYS = ['runId', 'grpcHost', 'grpcPort', 'metricsHost', 'metricsPort', 'natsUrl', 'roles'];

/** One entry of `cohort config --json` as far as the schema needs it. */
export interface ConfigReferenceEntry {
  readonly service: string;
  readonly key: string;
  readonly kind: string;
  readonly secret: boolean;
  readonly doc?: string;
}

const TYPES: Record<string, unknown> = {
  string: { type: 'string' },
  enum: { type: 'string' },
  port: { type: 'integer', minimum: 0, maximum: 65535 },
  int: { type: 'integer' },
  number: { type: 'number' },
  bool: { type: 'boolean' },
  list: { type: ['array', 'string'], items: { type: 'string' } },
};

/** definitions name of a service's config block, e.g. config-gpu-worker. */
export const definitionName = (service: string): string => `config-${service}`;

/** The `definitions` the schema must hold, from the config reference. */
export function expectedDefinitions(entries: readonly ConfigReferenceEntry[]): Record<string, unknown> {
  const services = [...new Set(entries.map((e) => e.service))].sort();
  const out: Record<string, unknown> = {};
  for (const service of services) {
    const properties: Record<string, unknown> = {};
    for (const entry of entries.filter((e) => e.service === service)) {
      if (entry.secret || CHART_OWNED_KEYS.includes(entry.key)) continue;
      const type = TYPES[entry.kind];
      if (type === undefined) throw new Error(`no schema type for config kind ${entry.kind} (${service}.${entry.key})`);
      properties[entry.key] = entry.doc === undefined ? type : { ...(type as object), description: entry.doc };
    }
    out[definitionName(service)] = {
      type: 'object',
      description: `Further cohort-${service} config keys by name (docs/configuration.md); generated, see test/helm/values-schema.ts`,
      additionalProperties: false,
      properties,
    };
  }
  return out;
}

/** The schema file as an object. */
export function readSchema(): { definitions?: Record<string, unknown> } & Record<string, unknown> {
  return JSON.parse(readFileSync(schemaPath, 'utf8')) as { definitions?: Record<string, unknown> };
}

/** Replace the schema's definitions with `definitions` (COHORT_WRITE_SCHEMA=1). */
export function writeDefinitions(definitions: Record<string, unknown>): void {
  const schema = readSchema();
  schema.definitions = definitions;
  writeFileSync(schemaPath, `${JSON.stringify(schema, null, 2)}\n`);
}
