/**
 * Which metrics the operations files use: every PromQL expression of the Grafana dashboards
 * (deploy/grafana/*.json: panel targets and templating queries) and of the alert rules
 * (deploy/prometheus/*.yaml: `groups[].rules[].expr`). The static test checks each name against the
 * services' sources; the end-to-end test checks them against what a running devnet really exposes.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  PROMETHEUS_SYNTHETIC_METRICS,
  histogramBase,
  metricNamesInPromQL,
  metricNamesInTemplateQuery,
} from './promql.js';
import { repoRoot } from './repo-root.js';
import { parseYaml } from './yaml.js';

/** One use of a metric name: the file (relative to the repository root) and where in it. */
export interface MetricReference {
  readonly name: string;
  readonly file: string;
  /** Panel title or alert name. */
  readonly where: string;
  readonly expr: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Every `expr` string in a dashboard, with the title of the panel around it, plus templating queries. */
function dashboardExpressions(dashboard: unknown): { where: string; expr: string; template: boolean }[] {
  const out: { where: string; expr: string; template: boolean }[] = [];
  const walk = (node: unknown, title: string): void => {
    if (Array.isArray(node)) {
      for (const item of node) walk(item, title);
      return;
    }
    if (!isRecord(node)) return;
    const here = typeof node['title'] === 'string' ? node['title'] : title;
    if (typeof node['expr'] === 'string') out.push({ where: here, expr: node['expr'], template: false });
    for (const [key, value] of Object.entries(node)) if (key !== 'templating') walk(value, here);
  };
  walk(dashboard, '');
  const templating = isRecord(dashboard) ? dashboard['templating'] : undefined;
  const variables = isRecord(templating) && Array.isArray(templating['list']) ? templating['list'] : [];
  for (const v of variables) {
    if (!isRecord(v) || v['type'] !== 'query') continue;
    const query = isRecord(v['query']) ? v['query']['query'] : v['query'];
    if (typeof query === 'string') out.push({ where: `$${String(v['name'])}`, expr: query, template: true });
  }
  return out;
}

/** Every alert or recording rule expression of a rule file (`groups[].rules[].expr`). */
function ruleExpressions(rules: unknown): { where: string; expr: string }[] {
  const out: { where: string; expr: string }[] = [];
  const groups = isRecord(rules) && Array.isArray(rules['groups']) ? rules['groups'] : [];
  for (const group of groups) {
    const list = isRecord(group) && Array.isArray(group['rules']) ? group['rules'] : [];
    for (const rule of list) {
      if (!isRecord(rule) || typeof rule['expr'] !== 'string') continue;
      const name = rule['alert'] ?? rule['record'];
      const where = typeof name === 'string' ? name : '';
      out.push({ where, expr: rule['expr'] });
    }
  }
  return out;
}

function filesIn(dir: string, extensions: readonly string[]): string[] {
  return readdirSync(join(repoRoot, dir))
    .filter((f) => extensions.some((e) => f.endsWith(e)))
    .sort()
    .map((f) => `${dir}/${f}`);
}

/** Every metric name use in deploy/grafana/*.json and deploy/prometheus/*.yaml, Prometheus' own included. */
export function metricReferences(): MetricReference[] {
  const out: MetricReference[] = [];
  for (const file of filesIn('deploy/grafana', ['.json'])) {
    const dashboard = JSON.parse(readFileSync(join(repoRoot, file), 'utf8')) as unknown;
    for (const { where, expr, template } of dashboardExpressions(dashboard)) {
      const names = template ? metricNamesInTemplateQuery(expr) : metricNamesInPromQL(expr);
      for (const name of names) out.push({ name, file, where, expr });
    }
  }
  for (const file of filesIn('deploy/prometheus', ['.yaml', '.yml'])) {
    for (const { where, expr } of ruleExpressions(parseYaml(readFileSync(join(repoRoot, file), 'utf8')))) {
      for (const name of metricNamesInPromQL(expr)) out.push({ name, file, where, expr });
    }
  }
  return out;
}

/**
 * The metric names the dashboards and alert rules reference that a service must export: series names as
 * written (`cohort_x_bucket`) and, for histogram series, their base name as well (`cohort_x`, the name in
 * the exposition's `# TYPE` line). Names Prometheus makes itself (`up`, ...) are left out.
 */
export function metricNamesReferenced(): Set<string> {
  const names = new Set<string>();
  for (const { name } of metricReferences()) {
    if (PROMETHEUS_SYNTHETIC_METRICS.has(name)) continue;
    names.add(name);
    const base = histogramBase(name);
    if (base !== null) names.add(base);
  }
  return names;
}
