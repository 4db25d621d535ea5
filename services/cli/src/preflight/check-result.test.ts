import assert from 'node:assert/strict';
import { test } from 'node:test';
import { anyFailed, formatBytes, formatReport, inReportOrder, result, summaryLine } from './check-result.js';

test('a report has one aligned line per check: status, name, detail; advice', () => {
  const results = inReportOrder([
    result('disk', 'ok', '/var: 10 GB free'),
    result('chain', 'FAIL', 'ws://x unreachable', 'start the node'),
    result('bucket-read', 'warn', 'no key', 'give one'),
  ]);
  assert.deepEqual(formatReport(results).split('\n'), [
    'FAIL  chain        ws://x unreachable; start the node',
    'warn  bucket-read  no key; give one',
    'ok    disk         /var: 10 GB free',
  ]);
  assert.equal(anyFailed(results), true);
  assert.equal(summaryLine(results), 'preflight failed: 1 FAIL, 1 warn, 1 ok');
  assert.equal(anyFailed(results.slice(1)), false);
  assert.equal(summaryLine(results.slice(1)), 'preflight passed: 1 ok, 1 warn');
});

test('bytes print in decimal units', () => {
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(28_905_984), '28.9 MB');
  assert.equal(formatBytes(1.38e12), '1.4 TB');
});
