/**
 * Every metric the dashboards and alert rules use is one a service defines, so a typo or a renamed metric
 * fails here, without a devnet (the end-to-end test checks the same names against live scrapes). A name is
 * defined when services/<svc>/src holds it as a string literal (histogram series: their base name), or it
 * is one of prom-client's default process metrics, which @cohort/kit registers for every service.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { metricNamesReferenced, metricReferences } from './metric-refs.js';
import { PROMETHEUS_SYNTHETIC_METRICS, histogramBase } from './promql.js';
import { repoRoot } from './repo-root.js';
import { parseYaml } from './yaml.js';

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (entry.endsWith('.ts') && !entry.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/** The quoted string literals of the services' sources (test files excluded). */
function serviceLiterals(): Set<string> {
  const literals = new Set<string>();
  for (const service of readdirSync(join(repoRoot, 'services'))) {
    const src = join(repoRoot, 'services', service, 'src');
    if (!statSync(join(repoRoot, 'services', service)).isDirectory()) continue;
    let files: string[];
    try {
      files = sourceFiles(src);
    } catch {
      continue; // a folder without src/
    }
    for (const file of files) {
      for (const m of readFileSync(file, 'utf8').matchAll(/(['"`])([A-Za-z_:][A-Za-z0-9_:]*)\1/g)) {
        literals.add(m[2] ?? '');
      }
    }
  }
  return literals;
}

/** prom-client's default metric names (collectDefaultMetrics), from its own sources. */
function defaultMetricNames(): Set<string> {
  const require = createRequire(import.meta.url);
  const dir = join(dirname(require.resolve('prom-client')), 'lib', 'metrics');
  const names = new Set<string>();
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.js'))) {
    for (const m of readFileSync(join(dir, file), 'utf8').matchAll(/'((?:process|nodejs)_[a-z0-9_]+)'/g)) {
      names.add(m[1] ?? '');
    }
  }
  return names;
}

test('the dashboards and alert rules reference metrics', () => {
  const names = metricNamesReferenced();
  assert.ok(names.size > 40, `only ${names.size} names found: is the extraction broken?`);
  for (const file of ['network-overview', 'miner', 'validator', 'chain']) {
    assert.ok(
      metricReferences().some((r) => r.file === `deploy/grafana/${file}.json`),
      `deploy/grafana/${file}.json`,
    );
  }
  assert.ok(metricReferences().some((r) => r.file === 'deploy/prometheus/alerts.yaml'));
});

test('every referenced metric is defined by a service (or is a default process metric)', () => {
  const kit = readFileSync(join(repoRoot, 'services/kit/src/metrics.ts'), 'utf8');
  assert.match(
    kit,
    /collectDefaultMetrics\(\{ register: registry \}\)/,
    'kit registers the defaults, unprefixed',
  );
  const defined = new Set([...serviceLiterals(), ...defaultMetricNames()]);
  const undefinedRefs = metricReferences()
    .filter((r) => !PROMETHEUS_SYNTHETIC_METRICS.has(r.name))
    .filter((r) => {
      const base = histogramBase(r.name);
      return !defined.has(r.name) && (base === null || !defined.has(base));
    })
    .map((r) => `${r.file} (${r.where}): ${r.name}`);
  assert.deepEqual(undefinedRefs, []);
});

test('histogram series are only used with histograms', () => {
  // `x_count` of a counter or gauge named x would be a typo that still finds a base name.
  const literals = serviceLiterals();
  for (const name of metricNamesReferenced()) {
    const base = histogramBase(name);
    if (base === null || literals.has(name)) continue;
    const source = readFileSync(join(repoRoot, metricSourceFile(base)), 'utf8');
    const at = source.indexOf(`'${base}'`);
    const before = source.slice(Math.max(0, at - 200), at);
    assert.match(before, /Histogram|histogram\(/, `${name}: ${base} is not a Histogram`);
  }
});

function metricSourceFile(name: string): string {
  for (const service of readdirSync(join(repoRoot, 'services'))) {
    let files: string[];
    try {
      files = sourceFiles(join(repoRoot, 'services', service, 'src'));
    } catch {
      continue;
    }
    const file = files.find((f) => readFileSync(f, 'utf8').includes(`'${name}'`));
    if (file !== undefined) return file.slice(repoRoot.length + 1);
  }
  throw new Error(`${name} is defined nowhere`);
}

test('only Prometheus-made series besides the services: up', () => {
  const synthetic = new Set(
    metricReferences()
      .filter((r) => PROMETHEUS_SYNTHETIC_METRICS.has(r.name))
      .map((r) => r.name),
  );
  assert.deepEqual([...synthetic], ['up']);
  assert.ok(!metricNamesReferenced().has('up'));
});

test('histogram series come with their base name', () => {
  const names = metricNamesReferenced();
  assert.ok(names.has('cohort_miner_phase_seconds_bucket'));
  assert.ok(names.has('cohort_miner_phase_seconds'));
});

interface Rule {
  alert?: string;
  expr?: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

test('every alert rule has a severity, a summary and a description, and a unique name', () => {
  const doc = parseYaml(readFileSync(join(repoRoot, 'deploy/prometheus/alerts.yaml'), 'utf8')) as {
    groups: { name: string; rules: Rule[] }[];
  };
  const names = new Set<string>();
  for (const group of doc.groups) {
    assert.match(group.name, /^cohort\./);
    for (const rule of group.rules) {
      assert.ok(rule.alert !== undefined && /^Cohort[A-Za-z]+$/.test(rule.alert), JSON.stringify(rule));
      assert.ok(!names.has(rule.alert), `duplicate alert ${rule.alert}`);
      names.add(rule.alert);
      assert.ok(['critical', 'warning', 'info'].includes(rule.labels?.['severity'] ?? ''), rule.alert);
      assert.ok((rule.annotations?.['summary'] ?? '').length > 10, `${rule.alert} summary`);
      assert.ok((rule.annotations?.['description'] ?? '').length > 40, `${rule.alert} description`);
      assert.ok(rule.for === undefined || /^\d+[smh]$/.test(rule.for), `${rule.alert} for`);
    }
  }
  for (const wanted of [
    'CohortTargetDown',
    'CohortChainHeadStale',
    'CohortMinerNotUploading',
    'CohortStoreBucketFull',
  ]) {
    assert.ok(names.has(wanted), wanted);
  }
});

interface Panel {
  type: string;
  title: string;
  datasource?: { type?: string; uid?: string };
  targets?: { expr?: string; datasource?: { uid?: string } }[];
  gridPos?: { x: number; y: number; w: number; h: number };
}

test('dashboards use the templated Prometheus data source and a unique uid', () => {
  const uids = new Set<string>();
  for (const file of readdirSync(join(repoRoot, 'deploy/grafana')).filter((f) => f.endsWith('.json'))) {
    const d = JSON.parse(readFileSync(join(repoRoot, 'deploy/grafana', file), 'utf8')) as {
      uid: string;
      schemaVersion: number;
      panels: Panel[];
      templating: { list: { name: string; type: string; query: unknown }[] };
    };
    assert.ok(!uids.has(d.uid), `${file}: duplicate uid`);
    uids.add(d.uid);
    assert.ok(d.schemaVersion >= 37, `${file}: Grafana 10+ schema`);
    const ds = d.templating.list.find((v) => v.name === 'DS_PROMETHEUS');
    assert.deepEqual([ds?.type, ds?.query], ['datasource', 'prometheus'], file);
    for (const panel of d.panels.filter((p) => p.type !== 'row')) {
      assert.equal(panel.datasource?.uid, '${DS_PROMETHEUS}', `${file}: ${panel.title}`);
      assert.ok((panel.targets ?? []).length > 0, `${file}: ${panel.title} has no query`);
      for (const t of panel.targets ?? []) assert.equal(t.datasource?.uid, '${DS_PROMETHEUS}');
      const g = panel.gridPos;
      assert.ok(g !== undefined && g.x >= 0 && g.x + g.w <= 24, `${file}: ${panel.title} layout`);
    }
  }
  assert.equal(uids.size, 4);
});

test('panel ids are unique and no two panels overlap', () => {
  for (const file of readdirSync(join(repoRoot, 'deploy/grafana')).filter((f) => f.endsWith('.json'))) {
    const d = JSON.parse(readFileSync(join(repoRoot, 'deploy/grafana', file), 'utf8')) as {
      panels: (Panel & { id: number })[];
    };
    const ids = d.panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `${file}: duplicate panel id`);
    const taken = new Map<string, string>();
    for (const panel of d.panels) {
      const g = panel.gridPos;
      assert.ok(g !== undefined, `${file}: ${panel.title} has no gridPos`);
      for (let y = g.y; y < g.y + g.h; y++) {
        for (let x = g.x; x < g.x + g.w; x++) {
          const other = taken.get(`${x},${y}`);
          assert.equal(other, undefined, `${file}: ${panel.title} overlaps ${other ?? ''}`);
          taken.set(`${x},${y}`, panel.title);
        }
      }
    }
  }
});

test('the training and scoring metrics are on the dashboards and in the alerts', () => {
  const usedIn = (file: string): Set<string> =>
    new Set(
      metricReferences()
        .filter((r) => r.file === file)
        .map((r) => r.name),
    );
  const validator = usedIn('deploy/grafana/validator.json');
  for (const name of [
    'cohort_validator_final_score',
    'cohort_validator_penalties_total',
    'cohort_validator_miners',
    'cohort_validator_weight',
    'cohort_validator_weight_sets_total',
    'cohort_validator_model_loss',
    'cohort_validator_last_scored_window',
    'cohort_validator_windows_scored_total',
  ]) {
    assert.ok(validator.has(name), `validator.json: ${name}`);
  }
  const overview = usedIn('deploy/grafana/network-overview.json');
  for (const name of ['cohort_validator_model_loss', 'cohort_miner_train_loss', 'cohort_validator_miners']) {
    assert.ok(overview.has(name), `network-overview.json: ${name}`);
  }
  assert.ok(usedIn('deploy/grafana/miner.json').has('cohort_miner_train_loss'));
  const alerts = new Map(
    metricReferences()
      .filter((r) => r.file === 'deploy/prometheus/alerts.yaml')
      .map((r) => [`${r.where} ${r.name}`, r.expr]),
  );
  for (const [alert, name] of [
    ['CohortValidatorNotScoring', 'cohort_validator_last_scored_window'],
    ['CohortValidatorNotScoring', 'cohort_chain_window'],
    ['CohortValidatorSetWeightsFailing', 'cohort_validator_weight_sets_total'],
    ['CohortRunModelLossRising', 'cohort_validator_model_loss'],
  ]) {
    assert.ok(alerts.has(`${alert} ${name}`), `${alert} uses ${name}`);
  }
});
