/**
 * The workspace as the image builds see it: the packages under proto/, native/ and services/*, their
 * production `workspace:` dependencies, and the service binaries (`services/<svc>/dist/main.js`).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './repo-root.js';

/** One workspace package. */
export interface WorkspacePackage {
  readonly name: string;
  /** Folder relative to the repository root. */
  readonly dir: string;
  readonly version: string;
  readonly dependencies: Readonly<Record<string, string>>;
  readonly bin: Readonly<Record<string, string>>;
}

/** The fields of a package.json these checks read. */
export interface Manifest {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  bin?: string | Record<string, string>;
  engines?: Record<string, string>;
}

function readManifest(dir: string): Manifest {
  return JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as Manifest;
}

/** Every workspace package (not the root, not test/), by name. */
export function workspacePackages(): Map<string, WorkspacePackage> {
  const dirs = ['proto', 'native', ...readdirSync(join(repoRoot, 'services')).map((d) => `services/${d}`)];
  const out = new Map<string, WorkspacePackage>();
  for (const dir of dirs) {
    if (!existsSync(join(repoRoot, dir, 'package.json'))) continue;
    const m = readManifest(dir);
    if (m.name === undefined) continue;
    const bin = typeof m.bin === 'string' ? { [m.name]: m.bin } : (m.bin ?? {});
    out.set(m.name, { name: m.name, dir, version: m.version ?? '', dependencies: m.dependencies ?? {}, bin });
  }
  return out;
}

/** `name` and every workspace package it depends on in production, transitively; sorted by folder. */
export function runtimeClosure(name: string, packages = workspacePackages()): WorkspacePackage[] {
  const seen = new Map<string, WorkspacePackage>();
  const visit = (n: string): void => {
    const pkg = packages.get(n);
    if (pkg === undefined) throw new Error(`${n} is not a workspace package`);
    if (seen.has(n)) return;
    seen.set(n, pkg);
    for (const [dep, range] of Object.entries(pkg.dependencies)) {
      if (range.startsWith('workspace:')) visit(dep);
    }
  };
  visit(name);
  return [...seen.values()].sort((a, b) => a.dir.localeCompare(b.dir));
}

/**
 * The service binaries: folders under services/ whose package has a `bin` or a src/main.ts (each builds
 * to `services/<svc>/dist/main.js`), by folder name.
 */
export function serviceBinaries(packages = workspacePackages()): Map<string, WorkspacePackage> {
  const out = new Map<string, WorkspacePackage>();
  for (const pkg of packages.values()) {
    if (!pkg.dir.startsWith('services/')) continue;
    const hasMain = existsSync(join(repoRoot, pkg.dir, 'src', 'main.ts'));
    if (Object.keys(pkg.bin).length > 0 || hasMain) out.set(pkg.dir.slice('services/'.length), pkg);
  }
  return out;
}

/** The root package.json (engines, version). */
export function rootManifest(): Manifest {
  return readManifest('.');
}
