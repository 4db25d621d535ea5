import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CohortError, Code } from '@cohort/core';
import { createLogger } from './log.js';

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'info') {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger({
    service: 'demo',
    level,
    base: { run: 'r1' },
    now: () => Date.UTC(2026, 0, 2, 3, 4, 5),
    write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>),
  });
  return { log, lines };
}

test('records are JSON with service, event, context and an ISO timestamp', () => {
  const { log, lines } = capture();
  log.child({ window: 7 }).info('window_started', { hotkey: '5Fabc' }, 'hello');
  assert.deepEqual(lines, [
    {
      ts: '2026-01-02T03:04:05.000Z',
      level: 'info',
      service: 'demo',
      event: 'window_started',
      msg: 'hello',
      run: 'r1',
      window: 7,
      hotkey: '5Fabc',
    },
  ]);
});

test('records below the level are dropped', () => {
  const { log, lines } = capture('warn');
  log.info('a');
  log.debug('b');
  log.warn('c');
  assert.deepEqual(
    lines.map((l) => l.event),
    ['c'],
  );
});

test('errors serialise with code name and reason; bigint and bytes are rendered', () => {
  const { log, lines } = capture();
  log.error('failed', {
    error: new CohortError(Code.NotFound, 'gone', { reason: 'NO_OBJECT' }),
    big: 2n ** 70n,
    bytes: new Uint8Array([1, 255]),
  });
  const rec = lines[0] ?? {};
  const error = rec.error as Record<string, unknown>;
  assert.equal(error.code, 'NotFound');
  assert.equal(error.reason, 'NO_OBJECT');
  assert.equal(error.message, 'gone');
  assert.equal(rec.big, '1180591620717411303424');
  assert.equal(rec.bytes, '01ff');
});
