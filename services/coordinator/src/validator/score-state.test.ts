import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { initialPeerState } from '@cohort/core';
import { createLogger } from '@cohort/kit';
import { ScoreStateFile } from './score-state.js';

const log = createLogger({ service: 'test', level: 'error', write: () => undefined });

test('the score state survives a restart and a corrupt file is set aside, not trusted', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cohort-scores-'));
  const file = new ScoreStateFile(dir, 'devnet', log);
  assert.equal((await file.load()).lastWindow, -1);
  const peers = new Map([['a', { ...initialPeerState(), finalScore: 3.5, binaryEma: 0.2 }]]);
  await file.save({ lastWindow: 41, peers });
  const back = await new ScoreStateFile(dir, 'devnet', log).load();
  assert.equal(back.lastWindow, 41);
  assert.deepEqual(back.peers.get('a'), peers.get('a'));
  writeFileSync(file.path, '{"format":"cohort-validator-state/1","lastWindow":3,"peers":{"a":{"mu":"x"}}}');
  const reset = await file.load();
  assert.equal(reset.lastWindow, -1);
  assert.ok(
    readdirSync(dir).some((f) => f.includes('.corrupt-')),
    'kept aside for a human',
  );
});
