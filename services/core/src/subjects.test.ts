import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scoreResultMsgId } from './subjects.js';

test('score and sample jobs of one update have distinct message ids, stable across number types', () => {
  const hotkey = '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY';
  assert.equal(scoreResultMsgId(7, hotkey), `7/${hotkey}`);
  assert.equal(scoreResultMsgId(7n, hotkey, 'score'), `7/${hotkey}`);
  assert.equal(scoreResultMsgId(7, hotkey, 'sample'), `7/${hotkey}/sample`);
  assert.notEqual(scoreResultMsgId(7, hotkey, 'sample'), scoreResultMsgId(7, hotkey, 'score'));
});
