/**
 * What a new term takes off its worker before the JOIN resync: the update of the chain's window or the
 * one before it, when the worker holds one; and how the held update is then sent exactly once.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Code, CohortError, IllegalStateError } from '@cohort/core';
import { createLogger } from '@cohort/kit';

import { Handover, takeHeldPayload } from './payload-handover.js';

function logs() {
  const records: Record<string, unknown>[] = [];
  const log = createLogger({
    service: 'test',
    level: 'debug',
    write: (line) => void records.push(JSON.parse(line) as Record<string, unknown>),
  });
  return { log, events: (event: string) => records.filter((r) => r.event === event) };
}

const PAYLOAD = new Uint8Array([1, 2, 3]);

function worker(
  stateWindow: number,
  encode: (w: number) => Promise<Uint8Array> = () => Promise.resolve(PAYLOAD),
) {
  const encoded: number[] = [];
  return {
    encoded,
    link: {
      info: () => Promise.resolve({ stateWindow, trainSamples: 100, hotkey: '' }),
      encode: (w: number) => {
        encoded.push(w);
        return encode(w);
      },
    },
  };
}

test('the update of the chain window or the one before it is taken; other windows are not asked for', async () => {
  const { log } = logs();
  for (const [state, chain, asked] of [
    [7, 7, true],
    [7, 8, true],
    [7, 9, false],
    [7, 6, false],
    [-1, 0, false],
  ] as const) {
    const w = worker(state);
    const held = await takeHeldPayload(w.link, chain, log);
    assert.deepEqual(
      held,
      asked ? { window: state, bytes: PAYLOAD } : undefined,
      `state ${state}, chain ${chain}`,
    );
    assert.deepEqual(w.encoded, asked ? [state] : []);
  }
});

test('nothing trained (NOT_TRAINED) is quiet; a busy or absent worker is logged; neither is taken', async () => {
  const { log, events } = logs();
  const none = worker(7, () =>
    Promise.reject(new IllegalStateError('not trained', { reason: 'NOT_TRAINED' })),
  );
  assert.equal(await takeHeldPayload(none.link, 8, log), undefined);
  assert.deepEqual(events('payload_handover_failed'), []);
  const busy = worker(7, () => Promise.reject(new CohortError(Code.Aborted, 'busy', { reason: 'BUSY' })));
  assert.equal(await takeHeldPayload(busy.link, 8, log), undefined);
  const down = {
    info: () => Promise.reject(new CohortError(Code.Unavailable, 'down')),
    encode: busy.link.encode,
  };
  assert.equal(await takeHeldPayload(down, 8, log), undefined);
  assert.equal(events('payload_handover_failed').length, 2);
});

test('a held update goes once: to the machine that trains its window, or put when its slot opens', async () => {
  const { log, events } = logs();
  const claimed = new Handover();
  await claimed.take(worker(7).link, 7, log);
  assert.equal(events('payload_taken_over').length, 1);
  assert.equal(claimed.window, 7);
  assert.ok(claimed.holds(7));
  assert.equal(claimed.due(undefined, 0, log), undefined, 'the slot is not open yet');
  assert.equal(claimed.claim(6), undefined);
  assert.deepEqual(claimed.claim(7), PAYLOAD);
  assert.equal(claimed.claim(7), undefined, 'claimed once');
  assert.equal(claimed.due(5000, 0, log), undefined, 'nothing left to put');
  assert.equal(claimed.sent(7), false);

  const put = new Handover();
  await put.take(worker(7).link, 8, log);
  assert.deepEqual(put.due(5000, 4999, log), { window: 7, bytes: PAYLOAD });
  assert.ok(put.sent(7));
  assert.equal(put.holds(7), false);

  const late = new Handover();
  await late.take(worker(7).link, 8, log);
  assert.equal(late.due(5000, 5000, log), undefined, 'past its slot: late, dropped');
  assert.deepEqual(
    events('upload_abandoned').map((r) => [r.window, r.bytes, r.reason]),
    [[7, 3, 'UPLOAD_SLOT_CLOSED']],
  );
  assert.equal(late.sent(7), false);
});
