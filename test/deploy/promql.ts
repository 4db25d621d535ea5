/**
 * Metric names in a PromQL expression, without a full PromQL parser: strings, label matchers, ranges,
 * grouping label lists and Grafana variables are removed, then every identifier that is not a function,
 * an aggregation, a keyword or part of a number is a metric name. Enough for the dashboards and alert rules
 * under deploy/, whose names the tests check against the services' sources.
 */

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
  'atan2',
]);

/** Names Prometheus makes itself: no service exports them. */
export const PROMETHEUS_SYNTHETIC_METRICS: ReadonlySet<string> = new Set([
  'up',
  'scrape_duration_seconds',
  'scrape_samples_scraped',
  'scrape_samples_post_metric_relabeling',
  'scrape_series_added',
  'ALERTS',
  'ALERTS_FOR_STATE',
]);

/** The histogram series suffixes: `x_bucket`, `x_sum` and `x_count` belong to histogram `x`. */
export const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'] as const;

/** `x_bucket` → `x`; null for a name without a histogram suffix. */
export function histogramBase(name: string): string | null {
  const suffix = HISTOGRAM_SUFFIXES.find((s) => name.endsWith(s) && name.length > s.length);
  return suffix === undefined ? null : name.slice(0, -suffix.length);
}

/** The metric names `expr` selects (Grafana's `$var`, `${var}` and `[[var]]` allowed anywhere). */
export function metricNamesInPromQL(expr: string): Set<string> {
  const stripped = expr
    .replace(/\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[^\]]*\]\]/g, '5m')
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  const token = /(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?(?:ms|[smhdwy])*)|([A-Za-z_:][A-Za-z0-9_:]*)(\s*\()?/g;
  for (const m of stripped.matchAll(token)) {
    const name = m[2];
    if (name === undefined || m[3] !== undefined || KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return names;
}

/**
 * The metric names of a Grafana templating query: `label_values(metric{...}, label)` and
 * `query_result(expr)` select metrics; `label_values(label)`, `label_names()` and `metrics(re)` do not.
 */
export function metricNamesInTemplateQuery(query: string): Set<string> {
  const labelValues = /^\s*label_values\(\s*(.+?)\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$/.exec(query);
  if (labelValues !== null) return metricNamesInPromQL(labelValues[1] ?? '');
  const queryResult = /^\s*query_result\(\s*(.+)\)\s*$/.exec(query);
  if (queryResult !== null) return metricNamesInPromQL(queryResult[1] ?? '');
  return new Set();
}
