import assert from 'node:assert/strict';
import { test } from 'node:test';
import { histogramBase, metricNamesInPromQL, metricNamesInTemplateQuery } from './promql.js';

const names = (expr: string): string[] => [...metricNamesInPromQL(expr)].sort();

test('selectors, functions, aggregations and grouping', () => {
  assert.deepEqual(
    names(
      'histogram_quantile(0.9, sum by (le, phase) (rate(cohort_miner_phase_seconds_bucket{namespace=~"$namespace", result="ok"}[$__rate_interval])))',
    ),
    ['cohort_miner_phase_seconds_bucket'],
  );
  assert.deepEqual(
    names('scalar(max(cohort_chain_window{a="b"})) - on (namespace) group_left (x) max by (namespace) (up)'),
    ['cohort_chain_window', 'up'],
  );
  assert.deepEqual(names('sum(rate(a_total[5m] offset 1h)) / ignoring(x) b > bool 1e6 and c unless d'), [
    'a_total',
    'b',
    'c',
    'd',
  ]);
  assert.deepEqual(names('label_replace(x, "dst", "$1", "src", "(.*)") or vector(0)'), ['x']);
  assert.deepEqual(names('sum without (instance) (increase(y[1h30m]))'), ['y']);
});

test('template queries', () => {
  assert.deepEqual(
    [...metricNamesInTemplateQuery('label_values(cohort_build_info, namespace)')],
    ['cohort_build_info'],
  );
  assert.deepEqual(
    [...metricNamesInTemplateQuery('label_values(m{namespace=~"$namespace"}, instance)')],
    ['m'],
  );
  assert.deepEqual([...metricNamesInTemplateQuery('label_values(namespace)')], []);
});

test('histogram bases', () => {
  assert.equal(histogramBase('x_seconds_bucket'), 'x_seconds');
  assert.equal(histogramBase('x_count'), 'x');
  assert.equal(histogramBase('x_total'), null);
});
