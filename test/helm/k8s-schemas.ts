/**
 * Offline validation of rendered objects against the Kubernetes OpenAPI schemas, through the compiled
 * validators the kubernetes-models packages ship (core API, plus KEDA and prometheus-operator CRDs).
 * They check types, required fields and enums; like the OpenAPI documents they come from, they do not
 * reject unknown fields, which is why the chart tests also assert on the fields that matter.
 */
import * as keda from '@kubernetes-models/keda';
import * as prometheusOperator from '@kubernetes-models/prometheus-operator';
import * as kubernetes from 'kubernetes-models';

import type { K8sObject } from './chart.js';

interface ModelClass {
  readonly apiVersion: string;
  readonly kind: string;
  new (data: unknown): { validate(): void };
}

function isModelClass(value: unknown): value is ModelClass {
  if (typeof value !== 'function') return false;
  const cls = value as unknown as { apiVersion?: unknown; kind?: unknown };
  return typeof cls.apiVersion === 'string' && typeof cls.kind === 'string';
}

/** apiVersion/kind → model class, collected from the packages' nested namespaces. */
function collect(namespace: unknown, into: Map<string, ModelClass>, depth = 0): void {
  if (depth > 4 || namespace === null || typeof namespace !== 'object') return;
  for (const value of Object.values(namespace as Record<string, unknown>)) {
    if (isModelClass(value)) into.set(`${value.apiVersion}/${value.kind}`, value);
    else collect(value, into, depth + 1);
  }
}

const models = new Map<string, ModelClass>();
for (const pkg of [kubernetes, keda, prometheusOperator]) collect(pkg, models);

/** How many kinds the validators know (a guard that the packages loaded). */
export const knownKinds = models.size;

/** Validate one object; throws naming the object and the schema violations. */
export function validateObject(obj: K8sObject): void {
  const model = models.get(`${obj.apiVersion}/${obj.kind}`);
  if (model === undefined) throw new Error(`no schema for ${obj.apiVersion} ${obj.kind} (${obj.metadata.name})`);
  try {
    new model(obj).validate();
  } catch (error) {
    throw new Error(`${obj.kind} ${obj.metadata.name}: ${(error as Error).message}`, { cause: error });
  }
}
