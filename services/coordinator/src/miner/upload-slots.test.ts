/** When window w's upload slot closes: `uploadSlotMs` after the first window past w began. */
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { UploadSlots } from './upload-slots.js';

test('the slot of w opens with w + 1 and lasts uploadSlotMs from its start', () => {
  const slots = new UploadSlots(1500);
  slots.began(5, 1000);
  assert.equal(slots.closesAt(5), undefined, 'not open while the chain is in w');
  slots.began(6, 9000);
  assert.equal(slots.closesAt(5), 10_500);
  assert.equal(slots.closesAt(4), 2500, "4's slot was timed from 5's start");
  slots.began(6, 9999);
  assert.equal(slots.closesAt(5), 10_500, 'a repeated window keeps its first start');
});

test('a skipped window is timed from the first window seen past it; the chain going back forgets', () => {
  const slots = new UploadSlots(100);
  slots.began(5, 0);
  slots.began(7, 50);
  assert.equal(slots.closesAt(5), 150);
  assert.equal(slots.closesAt(6), 150);
  slots.began(6, 80); // a reorg back to 6: 7 never was
  assert.equal(slots.closesAt(6), undefined);
  assert.equal(slots.closesAt(5), 180);
});
