import assert from 'node:assert/strict';
import { test } from 'node:test';
import { heldOutCount, heldOutDocuments } from './held-out-split.js';

test('the held-out count rounds half up', () => {
  assert.equal(heldOutCount(500, 0.1), 50);
  assert.equal(heldOutCount(5, 0.1), 1);
  assert.equal(heldOutCount(4, 0.1), 0);
  assert.equal(heldOutCount(10, 0), 0);
  assert.equal(heldOutCount(3, 0.99), 3);
});

test('the held-out documents are a seeded, reproducible choice', () => {
  const a = heldOutDocuments(500, 0.1, 0);
  assert.equal(a.size, 50);
  assert.ok([...a].every((i) => Number.isInteger(i) && i >= 0 && i < 500));
  assert.deepEqual([...heldOutDocuments(500, 0.1, 0)], [...a]);
  assert.notDeepEqual([...heldOutDocuments(500, 0.1, 1)].sort(), [...a].sort());
  assert.equal(heldOutDocuments(500, 0, 0).size, 0);
});
