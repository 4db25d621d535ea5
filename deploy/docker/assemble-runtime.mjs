#!/usr/bin/env node
// Copies what one service needs at run time out of a built workspace into OUT, keeping the workspace layout
// (so `node services/<svc>/dist/main.js` and pnpm's relative node_modules links work unchanged):
//   package.json and node_modules/ of the root (pnpm's virtual store, .pnpm/),
//   package.json, dist/ and node_modules/ of the package and of every workspace package it depends on
//   (`dependencies` with a `workspace:` range, transitively; devDependencies never),
//   and @cohort/native's addon (build/cohort_native.node) when the service loads the engine.
// Run after `pnpm install --prod --filter "<package>..."`, so node_modules holds production packages only.
//   node deploy/docker/assemble-runtime.mjs <package> <out>      e.g. @cohort/gpu-worker /out
//   node deploy/docker/assemble-runtime.mjs --list <package>     print the workspace folders it would copy
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(import.meta.url), '../../..');

/** Files a package needs at run time besides package.json, dist/ and node_modules/. */
const EXTRA_FILES = { '@cohort/native': ['build/cohort_native.node'] };

/** Workspace folders (pnpm-workspace.yaml: proto, native, services/*) by package name. */
function workspacePackages() {
  const dirs = ['proto', 'native', ...readdirSync(join(root, 'services')).map((d) => `services/${d}`)];
  const byName = new Map();
  for (const dir of dirs) {
    const manifest = join(root, dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
    byName.set(pkg.name, { dir, dependencies: pkg.dependencies ?? {} });
  }
  return byName;
}

/** The package and its workspace dependencies, transitively, as workspace folders (sorted). */
function runtimeFolders(name, packages = workspacePackages()) {
  const seen = new Set();
  const visit = (n) => {
    if (seen.has(n)) return;
    const pkg = packages.get(n);
    if (pkg === undefined) throw new Error(`assemble-runtime: ${n} is not a workspace package`);
    seen.add(n);
    for (const [dep, range] of Object.entries(pkg.dependencies)) {
      if (String(range).startsWith('workspace:')) visit(dep);
    }
  };
  visit(name);
  return [...seen]
    .map((n) => ({ name: n, dir: packages.get(n).dir }))
    .sort((a, b) => a.dir.localeCompare(b.dir));
}

function copy(relative, out, required) {
  const from = join(root, relative);
  if (!existsSync(from)) {
    if (required) throw new Error(`assemble-runtime: ${relative} is missing (build it first)`);
    return;
  }
  const to = join(out, relative);
  mkdirSync(dirname(to), { recursive: true });
  // verbatimSymlinks: pnpm's links are relative and stay valid in the same layout.
  cpSync(from, to, { recursive: true, verbatimSymlinks: true });
}

function assemble(name, out) {
  copy('package.json', out, true);
  copy('node_modules', out, true);
  for (const { name: pkg, dir } of runtimeFolders(name)) {
    copy(`${dir}/package.json`, out, true);
    copy(`${dir}/dist`, out, true);
    copy(`${dir}/node_modules`, out, false);
    for (const file of EXTRA_FILES[pkg] ?? []) copy(`${dir}/${file}`, out, true);
  }
}

const args = process.argv.slice(2);
if (args[0] === '--list' && args[1]) {
  for (const { dir } of runtimeFolders(args[1])) console.log(dir);
} else if (args.length === 2) {
  assemble(args[0], resolve(args[1]));
} else {
  console.error('usage: assemble-runtime.mjs <package> <out> | --list <package>');
  process.exit(2);
}
