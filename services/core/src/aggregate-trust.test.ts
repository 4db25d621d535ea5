import assert from 'node:assert/strict';
import { test } from 'node:test';

import { readAggregateEnvelope } from './aggregate-envelope.js';
import { AggregateRefused, checkAggregate } from './aggregate-trust.js';
import { blake2b256 } from './blake2b.js';
import { CohortError } from './errors.js';
import { encodeSs58, hotkeyFromSeed } from './hotkey-signature.js';
import type { HotkeyPair } from './hotkey-signature.js';
import { parseSelection, encodeSelection } from './selection.js';
import { fixtureAggregate } from './testing/index.js';

const pair = (b: number): HotkeyPair => hotkeyFromSeed(new Uint8Array(32).fill(b));
const AGGREGATOR = pair(0x41);
const STRANGER = pair(0x42);
const VALIDATOR = pair(0x40);
const MINERS = [pair(1), pair(2), pair(3)];
const STATE = 'aa'.repeat(32);
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const digestOf = (i: number): string =>
  blake2b256(Uint8Array.of(i)).reduce((s, x) => s + x.toString(16).padStart(2, '0'), '');

function aggregate(
  opts: {
    signer?: HotkeyPair;
    run?: string;
    window?: number;
    contributors?: { key: Uint8Array; digest: string }[];
  } = {},
): Uint8Array {
  return fixtureAggregate({
    signer: opts.signer ?? AGGREGATOR,
    runId: opts.run ?? 'devnet',
    window: opts.window ?? 7,
    stateFingerprint: STATE,
    contributors: opts.contributors ?? MINERS.map((m, i) => ({ key: m.publicKey, digest: digestOf(i) })),
  });
}

const selection = (contributors = MINERS.map((m, i) => ({ m, i }))) =>
  parseSelection(
    encodeSelection({
      runId: 'devnet',
      window: 7,
      validator: encodeSs58(VALIDATOR.publicKey),
      contributors: contributors.map(({ m, i }) => ({
        uid: i + 1,
        hotkey: encodeSs58(m.publicKey),
        payloadBlake2b256: 'bb'.repeat(32),
        payloadDigest: digestOf(i),
      })),
    }),
  );

const TRUST = {
  aggregator: encodeSs58(AGGREGATOR.publicKey),
  selectionValidator: encodeSs58(VALIDATOR.publicKey),
};
const EXPECT = { runId: 'devnet', window: 7, stateFingerprint: STATE };

function refused(reason: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof AggregateRefused, String(e));
    assert.equal(e.reason, reason, e.message);
    return true;
  };
}

test('the envelope names the run, window, signer, θ_w and contributors', () => {
  const env = readAggregateEnvelope(aggregate());
  assert.equal(env.formatVersion, 2);
  assert.equal(env.runId, 'devnet');
  assert.equal(env.window, 7);
  assert.equal(env.aggregator, TRUST.aggregator);
  assert.equal(env.stateFingerprint, STATE);
  assert.deepEqual(
    env.contributors.map((c) => c.hotkey),
    MINERS.map((m) => encodeSs58(m.publicKey)),
  );
  assert.equal(env.contributors[2]!.digest, digestOf(2));
});

test('malformed envelopes are refused with AGGREGATE_MALFORMED', () => {
  const good = aggregate();
  const cases: Uint8Array[] = [
    good.subarray(0, 100),
    Uint8Array.from(good).fill(0x55, 4, 5), // an update's kind
    good.subarray(0, good.length - 1), // shorter than declared
    aggregate({ contributors: [] }),
    aggregate({
      contributors: [MINERS[0]!, MINERS[0]!].map((m) => ({ key: m.publicKey, digest: digestOf(0) })),
    }),
    aggregate({ run: 'Bad Run' }),
  ];
  for (const bytes of cases) {
    assert.throws(
      () => readAggregateEnvelope(bytes),
      (e: unknown) => e instanceof CohortError && e.reason === 'AGGREGATE_MALFORMED',
    );
    assert.throws(() => checkAggregate(bytes, EXPECT, TRUST), refused('AGGREGATE_MALFORMED'));
  }
});

test('a good aggregate from the trusted aggregator, naming selected contributors, is accepted', () => {
  const env = checkAggregate(aggregate(), EXPECT, TRUST, selection());
  assert.equal(env.contributors.length, 3);
  // A selected update the aggregator could not fetch may be missing from the aggregate.
  const two = aggregate({
    contributors: MINERS.slice(0, 2).map((m, i) => ({ key: m.publicKey, digest: digestOf(i) })),
  });
  assert.equal(checkAggregate(two, EXPECT, TRUST, selection()).contributors.length, 2);
  // Without a selection (the aggregator's fallback) only the signer is checked.
  assert.equal(checkAggregate(aggregate(), EXPECT, TRUST).window, 7);
});

test('the run, window and θ_w must be the ones asked for', () => {
  assert.throws(() => checkAggregate(aggregate({ run: 'other' }), EXPECT, TRUST), refused('WRONG_RUN'));
  assert.throws(() => checkAggregate(aggregate({ window: 8 }), EXPECT, TRUST), refused('WRONG_WINDOW'));
  assert.throws(
    () => checkAggregate(aggregate(), { ...EXPECT, stateFingerprint: 'bb'.repeat(32) }, TRUST),
    refused('WRONG_STATE'),
  );
});

test('a tampered aggregate is refused: the signature binds every byte before the trailer', () => {
  const good = aggregate();
  for (const at of [200, 196 + 64 + 40, good.length - 100]) {
    const bad = Uint8Array.from(good);
    bad[at]! ^= 1;
    // The digest no longer matches the bytes (the engine refuses with BAD_HASH); re-hashed without the key,
    // the signature fails.
    bad.set(blake2b256(bad.subarray(0, bad.length - 96)), bad.length - 96);
    assert.throws(() => checkAggregate(bad, { runId: 'devnet', window: 7 }, TRUST), refused('BAD_SIGNATURE'));
  }
});

test('an aggregate signed by anyone but the trusted aggregator is refused', () => {
  const forged = aggregate({ signer: STRANGER });
  assert.throws(() => checkAggregate(forged, EXPECT, TRUST, selection()), refused('AGGREGATOR_UNTRUSTED'));
  // Trusting any signer is possible (and logged by the caller): the signature must still verify.
  assert.equal(checkAggregate(forged, EXPECT, {}).aggregator, encodeSs58(STRANGER.publicKey));
});

test('contributors must be the selected ones with the digests the validator scored', () => {
  const intruder = pair(9);
  const withIntruder = aggregate({
    contributors: [...MINERS.slice(0, 2), intruder].map((m, i) => ({
      key: m.publicKey,
      digest: digestOf(i),
    })),
  });
  assert.throws(
    () => checkAggregate(withIntruder, EXPECT, TRUST, selection()),
    refused('CONTRIBUTOR_NOT_SELECTED'),
  );
  const otherBytes = aggregate({
    contributors: MINERS.map((m, i) => ({ key: m.publicKey, digest: digestOf(i === 1 ? 99 : i) })),
  });
  assert.throws(
    () => checkAggregate(otherBytes, EXPECT, TRUST, selection()),
    refused('CONTRIBUTOR_MISMATCH'),
  );
  const foreign = parseSelection(
    encodeSelection({ ...selection(), validator: encodeSs58(STRANGER.publicKey) }),
  );
  assert.throws(() => checkAggregate(aggregate(), EXPECT, TRUST, foreign), refused('SELECTION_UNTRUSTED'));
  assert.equal(hex(readAggregateEnvelope(aggregate()).digest).length, 64);
});
