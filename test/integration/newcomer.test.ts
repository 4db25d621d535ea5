/**
 * A newcomer joins a devnet run at window 20 with checkpoints every 5 windows (issue 9): it loads the
 * newest checkpoint, replays the few aggregates since (each checked against the run's aggregator), and
 * contributes a valid — aggregated — update in its first window; its state then matches the
 * aggregator's. The catch-up time and bytes are reported here and recorded by `pnpm bench newcomer`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runNewcomer } from '../harness/index.js';

test(
  'a newcomer at window 20 (checkpoints every 5) contributes in its first window',
  { timeout: 900_000 },
  async (t) => {
    const r = await runNewcomer({
      runId: 'newcomer',
      joinAfterWindows: 20,
      checkpointEvery: 5,
      miners: 2,
      progress: (line) => t.diagnostic(line),
    });
    t.diagnostic(JSON.stringify(r));
    assert.ok(r.runAgeAtJoin >= 20, `joined when the run was ${r.runAgeAtJoin} windows old`);
    assert.ok(
      r.checkpointLoaded >= r.genesisWindow + 15,
      `loaded checkpoint ${r.checkpointLoaded}, not an old one`,
    );
    assert.equal(r.checkpointLoaded % 5, 0, 'a periodic checkpoint (every window divisible by 5)');
    assert.ok(r.aggregatesReplayed <= 5 + 1, `replayed ${r.aggregatesReplayed} aggregates`);
    assert.ok(
      r.catchUpBytes >= r.checkpointModelBytes &&
        r.catchUpBytes < r.checkpointModelBytes + 6 * r.meanAggregateBytes * 2,
      `catch-up bytes ${r.catchUpBytes}: one checkpoint (${r.checkpointModelBytes}) and a few aggregates`,
    );
    assert.ok(
      r.contributedInFirstWindow,
      `synced in window ${r.joinedChainWindow}, first upload ${r.firstUploadWindow}, first aggregated ${r.firstIncludedWindow}`,
    );
    assert.ok(
      r.fingerprintsAgree,
      'the newcomer and the aggregator hold the same θ after its first aggregate',
    );
  },
);
