/**
 * The chart ships deploy/grafana's dashboards as ConfigMaps from its own dashboards/ folder (Helm cannot
 * read files outside the chart): every canonical dashboard must have an identical copy there, and each
 * copy renders as a ConfigMap labelled for the Grafana sidecar. The alert rules likewise ship as a copy of
 * deploy/prometheus/alerts.yaml, rendered as a PrometheusRule when asked for.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';

import { parse as parseYaml } from 'yaml';

import { chartDir, render, repoRoot } from './chart.js';
import { validateObject } from './k8s-schemas.js';

const canonicalDir = join(repoRoot, 'deploy/grafana');
const copyDir = join(chartDir, 'dashboards');
const jsonIn = (dir: string): string[] =>
  existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : [];

test('every deploy/grafana/*.json has an identical copy in helm/cohort/dashboards', () => {
  for (const file of jsonIn(canonicalDir)) {
    const copy = join(copyDir, file);
    assert.ok(existsSync(copy), `helm/cohort/dashboards/${file} is missing: cp deploy/grafana/${file} ${copy}`);
    assert.ok(
      readFileSync(copy).equals(readFileSync(join(canonicalDir, file))),
      `helm/cohort/dashboards/${file} differs from deploy/grafana/${file}`,
    );
  }
  for (const file of jsonIn(copyDir)) {
    assert.ok(existsSync(join(canonicalDir, file)), `helm/cohort/dashboards/${file} has no deploy/grafana source`);
  }
});

test('each dashboard renders as a ConfigMap for the Grafana sidecar', () => {
  const files = jsonIn(copyDir);
  const maps = render().filter((o) => o.kind === 'ConfigMap' && o.metadata.labels?.['grafana_dashboard'] === '1');
  assert.equal(maps.length, files.length);
  for (const file of files) {
    const map = maps.find((m) => (m['data'] as Record<string, string> | undefined)?.[file] !== undefined);
    assert.ok(map, `no ConfigMap carries ${file}`);
    const data = (map['data'] as Record<string, string>)[file] ?? '';
    assert.deepEqual(JSON.parse(data), JSON.parse(readFileSync(join(copyDir, file), 'utf8')));
  }
  assert.ok(!render({ set: { 'dashboards.enabled': false } }).some((o) => o.metadata.labels?.['grafana_dashboard']));
});

test('the alert rules ship as an identical copy and render as a PrometheusRule', () => {
  const canonical = readFileSync(join(repoRoot, 'deploy/prometheus/alerts.yaml'));
  const copy = join(chartDir, 'files/alerts.yaml');
  assert.ok(readFileSync(copy).equals(canonical), `${copy} differs: cp deploy/prometheus/alerts.yaml ${copy}`);
  assert.equal(
    render().filter((o) => o.kind === 'PrometheusRule').length,
    0,
    'off by default',
  );
  const rules = render({ set: { 'metrics.prometheusRule.enabled': true, 'metrics.prometheusRule.labels.release': 'kps' } });
  const rule = rules.find((o) => o.kind === 'PrometheusRule');
  assert.ok(rule);
  validateObject(rule);
  assert.equal(rule.metadata.labels?.['release'], 'kps');
  const spec = rule['spec'] as { groups: { name: string; rules: { alert: string }[] }[] };
  const expected = (parseYaml(canonical.toString('utf8')) as typeof spec).groups;
  assert.deepEqual(spec.groups, expected);
  assert.ok(spec.groups.flatMap((g) => g.rules).some((r) => r.alert === 'CohortDatasetBadBytes'));
});
