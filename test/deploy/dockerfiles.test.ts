/**
 * The images (deploy/docker/<svc>.Dockerfile) agree with the real build, checked without a container
 * engine: one image per service binary, each running that binary with its default ports exposed, built the
 * way the repository builds (pnpm from scripts/setup.sh, the lockfile frozen, `tsc -b`, the native engine
 * by build-native.mjs against a CPU or a CUDA libtorch), pinned base images, and a non-root final stage.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Dockerfile, Stage } from './dockerfile.js';
import {
  argsForFrom,
  argsInStage,
  expand,
  finalStage,
  instructionsOf,
  parseDockerfile,
} from './dockerfile.js';
import { repoRoot } from './repo-root.js';
import { rootManifest, runtimeClosure, serviceBinaries, workspacePackages } from './workspace.js';

/** Binaries that are no deployable service, and why. */
const NOT_IMAGED: Readonly<Record<string, string>> = {
  devchain: 'the local subtensor chain for tests and the devnet (docs/chain.md), never deployed',
};
/** Values of the VARIANT build ARG of images that load the native engine. */
const VARIANTS = ['cpu', 'cuda'] as const;

interface ConfigRow {
  service: string;
  key: string;
  default: unknown;
}

const dockerDir = join(repoRoot, 'deploy', 'docker');
const packages = workspacePackages();
const binaries = serviceBinaries(packages);
const imaged = [...binaries.keys()].filter((s) => !(s in NOT_IMAGED)).sort();

let configRows: ConfigRow[] | undefined;
/** `cohort config --json`: every service's keys with their defaults (needs services/cli built). */
function config(): ConfigRow[] {
  if (configRows === undefined) {
    const cli = join(repoRoot, 'services/cli/dist/main.js');
    assert.ok(existsSync(cli), `${cli} is not built: run pnpm exec tsc -b`);
    configRows = JSON.parse(
      execFileSync(process.execPath, [cli, 'config', '--json'], { encoding: 'utf8' }),
    ) as ConfigRow[];
  }
  return configRows;
}

function load(service: string): Dockerfile {
  return parseDockerfile(readFileSync(join(dockerDir, `${service}.Dockerfile`), 'utf8'));
}

/** All RUN commands of the file, ARGs expanded with the defaults in scope (VARIANT overridable). */
function runs(file: Dockerfile, stage?: Stage): string[] {
  return (stage === undefined ? file.stages : [stage]).flatMap((s) =>
    instructionsOf(s, 'RUN').map((i) => expand(i.args, argsInStage(file, s))),
  );
}

function loadsNative(service: string): boolean {
  const pkg = binaries.get(service);
  assert.ok(pkg !== undefined);
  return runtimeClosure(pkg.name, packages).some((p) => p.name === '@cohort/native');
}

test('one Dockerfile per service binary', () => {
  assert.ok(imaged.includes('coordinator') && imaged.includes('cli'), imaged.join());
  const files = readdirSync(dockerDir)
    .filter((f) => f.endsWith('.Dockerfile'))
    .map((f) => f.slice(0, -'.Dockerfile'.length))
    .sort();
  assert.deepEqual(files, imaged);
  for (const service of imaged) {
    const bin = Object.values(binaries.get(service)?.bin ?? {});
    assert.ok(bin.includes('./dist/main.js'), `${service}: bin ${bin.join()}`);
    assert.ok(existsSync(join(repoRoot, 'services', service, 'src', 'main.ts')), service);
  }
});

for (const service of imaged) {
  test(`${service}: runs its binary, exposes its default ports, as a non-root user`, () => {
    const file = load(service);
    const last = finalStage(file);
    const entry = instructionsOf(last, 'ENTRYPOINT');
    assert.equal(entry.length, 1);
    assert.deepEqual(JSON.parse(entry[0]?.args ?? ''), ['node', `services/${service}/dist/main.js`]);
    assert.deepEqual(instructionsOf(last, 'WORKDIR').at(-1)?.args, '/app');

    const rows = config().filter((r) => r.service === service);
    const ports = ['grpcPort', 'metricsPort'].flatMap((key) =>
      rows.filter((r) => r.key === key).map((r) => String(r.default)),
    );
    if (service !== 'cli')
      assert.equal(ports.length, 2, `${service}: no default ports in cohort config --json`);
    const exposed = instructionsOf(last, 'EXPOSE').flatMap((i) =>
      i.args.split(/\s+/).map((p) => p.replace(/\/tcp$/, '')),
    );
    assert.deepEqual(exposed.sort(), ports.sort());

    const user = instructionsOf(last, 'USER').at(-1)?.args ?? 'root';
    assert.ok(!/^(root|0)(:|$)/.test(user), `${service}: final stage runs as ${user}`);
    assert.ok(instructionsOf(last, 'USER').length > 0);
    const userLine = instructionsOf(last, 'USER').at(-1)?.line ?? Infinity;
    assert.ok(userLine < (entry[0]?.line ?? 0), 'USER before ENTRYPOINT');

    for (const stage of file.stages)
      assert.equal(instructionsOf(stage, 'HEALTHCHECK').length, 0, 'probes use gRPC health');
  });

  test(`${service}: builds like the repository (pnpm, frozen lockfile, tsc -b)`, () => {
    const file = load(service);
    const all = runs(file);
    const setup = readFileSync(join(repoRoot, 'scripts/setup.sh'), 'utf8');
    const pnpmVersion = /^PNPM_VERSION=(\S+)$/m.exec(setup)?.[1];
    assert.ok(pnpmVersion !== undefined);
    assert.ok(
      all.some((r) => r.includes(`npm install -g "pnpm@${pnpmVersion}"`)),
      `pnpm@${pnpmVersion} from setup.sh`,
    );
    const installs = all.filter((r) => /\bpnpm install\b/.test(r));
    assert.ok(installs.length >= 2, 'the workspace install and the production install');
    for (const install of installs) {
      assert.match(install, /pnpm install --frozen-lockfile/);
      assert.doesNotMatch(install, /--no-frozen-lockfile/);
    }
    const pkg = binaries.get(service)?.name ?? '';
    assert.ok(
      installs.some((r) => r.includes(`--prod`) && r.includes(`--filter "${pkg}..."`)),
      'production install of the service',
    );
    assert.ok(
      all.some((r) => r.includes(`pnpm exec tsc -b services/${service}`)),
      'tsc -b',
    );
    assert.ok(all.some((r) => r.includes(`node deploy/docker/assemble-runtime.mjs ${pkg} /out`)));
    const copies = file.stages.flatMap((s) => instructionsOf(s, 'COPY'));
    assert.ok(
      copies.some((c) =>
        c.args.startsWith('pnpm-lock.yaml pnpm-workspace.yaml package.json .npmrc .pnpmfile.cjs '),
      ),
      'the lockfile and what pnpm reads with it come first',
    );
  });

  test(`${service}: pinned base images, Node major of package.json engines`, () => {
    const file = load(service);
    const engines = rootManifest().engines?.['node'] ?? '';
    const major = /(\d+)/.exec(engines)?.[1];
    assert.ok(major !== undefined, `engines.node ${engines}`);
    const nvmrc = readFileSync(join(repoRoot, '.nvmrc'), 'utf8').trim();
    assert.equal(nvmrc.split('.')[0], major, '.nvmrc');
    const variants: (string | undefined)[] = file.globalArgs.has('VARIANT') ? [...VARIANTS] : [undefined];
    for (const variant of variants) {
      const overrides = new Map(variant === undefined ? [] : [['VARIANT', variant]]);
      const names = new Set<string>();
      for (const stage of file.stages) {
        const from = expand(stage.from, argsForFrom(file, overrides));
        if (!names.has(from)) {
          assert.doesNotMatch(from, /\$/, `${from}: an ARG without a default`);
          const tag = /^[^@]+:([^:/@]+)$/.exec(from)?.[1];
          assert.ok(tag !== undefined && tag !== 'latest', `${service}: ${from} is not pinned to a tag`);
          if (from.startsWith('node:')) assert.equal(tag.split('.')[0], major, `${from}: Node ${major}`);
        } else {
          assert.ok(stage.from.includes('$') || names.has(stage.from));
        }
        if (stage.name !== null) names.add(stage.name);
      }
      assert.ok(
        file.stages.some((s) => expand(s.from, argsForFrom(file, overrides)).startsWith(`node:${major}.`)),
      );
    }
  });

  test(`${service}: every COPY --from names an earlier stage`, () => {
    const file = load(service);
    const seen = new Set<string>();
    for (const stage of file.stages) {
      for (const copy of instructionsOf(stage, 'COPY')) {
        const from = copy.flags.get('from');
        if (from !== undefined) assert.ok(seen.has(from), `${service} line ${copy.line}: --from=${from}`);
      }
      if (stage.name !== null) seen.add(stage.name);
      seen.add(String(stage.index));
    }
  });

  test(`${service}: labels, listening address and writable state directories`, () => {
    const file = load(service);
    const last = finalStage(file);
    const labels = instructionsOf(last, 'LABEL')
      .map((l) => l.args)
      .join(' ');
    for (const key of ['title', 'description', 'version', 'revision']) {
      assert.match(labels, new RegExp(`org\\.opencontainers\\.image\\.${key}=`), key);
    }
    assert.equal(last.args.get('VERSION'), rootManifest().version, 'VERSION defaults to the package version');
    const env = instructionsOf(last, 'ENV')
      .map((e) => e.args)
      .join(' ');
    if (service !== 'cli') assert.match(env, /COHORT_GRPC_HOST=0\.0\.0\.0 COHORT_METRICS_HOST=0\.0\.0\.0/);
    // Relative directories among the defaults (./chain-bridge-state, ...) resolve under WORKDIR /app.
    const mkdirs = runs(file, last).filter((r) => r.startsWith('mkdir -p'));
    for (const row of config().filter((r) => r.service === service)) {
      if (typeof row.default !== 'string' || !row.default.startsWith('./')) continue;
      const top = row.default.slice(2).split('/')[0] ?? '';
      assert.ok(
        mkdirs.some((r) => r.split(/\s+/).includes(top) && r.includes(`chown cohort:cohort`)),
        `${service}: ${row.key} default ${row.default} needs a writable /app/${top}`,
      );
    }
  });

  test(`${service}: the native engine exactly when the service loads it`, () => {
    const file = load(service);
    const all = runs(file);
    const builds = all.filter((r) => r.includes('node native/scripts/build-native.mjs'));
    if (!loadsNative(service)) {
      assert.equal(builds.length, 0);
      assert.equal(file.globalArgs.has('VARIANT'), false);
      return;
    }
    assert.equal(file.globalArgs.get('VARIANT'), 'cpu');
    const stage = (name: string): Stage => {
      const s = file.stages.find((x) => x.name === name);
      assert.ok(s !== undefined, `${service}: stage ${name}`);
      return s;
    };
    const cpu = stage('native-cpu');
    assert.ok(
      runs(file, cpu).some((r) => /apt-get install .*\blibtorch-dev\b.*\blibopenblas0-pthread\b/.test(r)),
    );
    assert.ok(runs(file, cpu).some((r) => r.includes('node native/scripts/build-native.mjs')));
    assert.match(
      instructionsOf(cpu, 'ENV')
        .map((e) => e.args)
        .join(' '),
      /COHORT_WITH_CUDA=OFF/,
    );
    const cuda = stage('native-cuda');
    assert.match(expand(cuda.from, argsForFrom(file)), /^nvidia\/cuda:[\d.]+-devel-/);
    const cudaRuns = runs(file, cuda);
    assert.ok(
      cudaRuns.some((r) => /pip install .*"torch==[\d.]+"/.test(r)),
      'PyTorch wheel',
    );
    assert.ok(
      cudaRuns.some(
        (r) =>
          r.includes(
            `CMAKE_PREFIX_PATH="$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')"`,
          ) && r.includes('node native/scripts/build-native.mjs'),
      ),
      'build-native.mjs against the bundled libtorch',
    );
    assert.match(
      instructionsOf(cuda, 'ENV')
        .map((e) => e.args)
        .join(' '),
      /COHORT_WITH_CUDA=ON/,
    );
    assert.ok(file.stages.some((s) => s.from === 'native-${VARIANT}'));
    assert.equal(finalStage(file).from, 'runtime-${VARIANT}');
    assert.ok(runs(file, stage('runtime-cpu')).some((r) => /apt-get install .*\blibtorch1\.13\b/.test(r)));
    assert.match(
      expand(stage('runtime-cuda').from, argsForFrom(file)),
      /^nvidia\/cuda:[\d.]+-(base|runtime)-/,
    );
    // The addon goes where @cohort/native loads it from (native/ts/addon.ts: ../build/cohort_native.node).
    const prod = stage('prod');
    assert.ok(
      instructionsOf(prod, 'COPY').some(
        (c) => c.flags.get('from') === 'native' && c.args.endsWith(' native/build/cohort_native.node'),
      ),
    );
  });

  test(`${service}: the runtime holds the service's workspace packages`, () => {
    const pkg = binaries.get(service)?.name ?? '';
    const listed = execFileSync(process.execPath, [join(dockerDir, 'assemble-runtime.mjs'), '--list', pkg], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n');
    assert.deepEqual(
      listed,
      runtimeClosure(pkg, packages).map((p) => p.dir),
    );
  });
}

test('the .dockerignore content keeps host builds out and what the images copy in', () => {
  const patterns = readFileSync(join(dockerDir, 'dockerignore'), 'utf8')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'));
  for (const wanted of ['**/node_modules', '**/dist', 'native/build', '.git'])
    assert.ok(patterns.includes(wanted), wanted);
  for (const needed of [
    'pnpm-lock.yaml',
    'pnpm-workspace.yaml',
    'package.json',
    '.npmrc',
    '.pnpmfile.cjs',
    'deploy',
    'native',
    'services',
    'proto',
    'scripts',
  ]) {
    assert.ok(!patterns.includes(needed), `${needed} must stay in the build context`);
  }
});
