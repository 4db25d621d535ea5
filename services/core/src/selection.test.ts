import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeSs58, hotkeyFromSeed } from './hotkey-signature.js';
import { SelectionError, chooseContributors, encodeSelection, parseSelection } from './selection.js';

const key = (b: number): string => encodeSs58(hotkeyFromSeed(new Uint8Array(32).fill(b)).publicKey);
const HASH = 'ab'.repeat(32);
const SELECTION = {
  runId: 'devnet',
  window: 41,
  validator: key(1),
  contributors: [
    { uid: 9, hotkey: key(9), payloadBlake2b256: HASH, payloadDigest: 'ef'.repeat(32) },
    { uid: 3, hotkey: key(3), payloadBlake2b256: 'cd'.repeat(32), payloadDigest: '01'.repeat(32) },
  ],
};
const bytes = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v));
const invalid = (e: unknown) => e instanceof SelectionError && e.reason === 'SELECTION_INVALID';

test('a selection round-trips with its contributors sorted by uid', () => {
  const s = parseSelection(encodeSelection(SELECTION), { runId: 'devnet', window: 41 });
  assert.deepEqual(
    s.contributors.map((c) => c.uid),
    [3, 9],
  );
  assert.equal(s.validator, key(1));
  assert.equal(s.contributors[1]!.payloadDigest, 'ef'.repeat(32), 'the digest travels with its contributor');
  assert.throws(() => parseSelection(encodeSelection(SELECTION), { window: 40 }), invalid);
});

test('hostile selections are refused with SELECTION_INVALID', () => {
  const good = JSON.parse(new TextDecoder().decode(encodeSelection(SELECTION))) as Record<string, unknown>;
  const c = good.contributors as Record<string, unknown>[];
  const cases: unknown[] = [
    [],
    { ...good, format: 'x' },
    { ...good, window: -1 },
    { ...good, validator: 'not-an-address' },
    { ...good, contributors: 'x' },
    { ...good, contributors: [c[1], c[0]] },
    { ...good, contributors: [c[0], { ...c[1], hotkey: c[0]!.hotkey }] },
    { ...good, contributors: [{ ...c[0], uid: 70000 }] },
    { ...good, contributors: [{ ...c[0], payloadBlake2b256: 'AB'.repeat(32) }] },
    { ...good, contributors: [{ ...c[0], payloadDigest: undefined }] },
    { ...good, contributors: [{ ...c[0], payloadDigest: 'ab' }] },
    { ...good, format: 'cohort-selection/1' },
    { ...good, contributors: [null] },
  ];
  for (const v of cases)
    assert.throws(() => parseSelection(bytes(v)), invalid, JSON.stringify(v).slice(0, 120));
  assert.throws(() => parseSelection(Uint8Array.of(0xc3, 0x28)), invalid);
  assert.throws(
    () =>
      encodeSelection({
        ...SELECTION,
        contributors: [SELECTION.contributors[0]!, SELECTION.contributors[0]!],
      }),
    invalid,
  );
});

test('contributors: the best scores up to the count, then by uid', () => {
  const c = (uid: number, finalScore: number) => ({
    uid,
    hotkey: key(uid),
    payloadBlake2b256: HASH,
    payloadDigest: HASH,
    finalScore,
  });
  const chosen = chooseContributors([c(5, 1), c(2, 3), c(9, 0), c(7, 3), c(1, 2)], 3);
  assert.deepEqual(
    chosen.map((x) => x.uid),
    [1, 2, 7],
  );
  assert.deepEqual(
    chooseContributors([c(4, 0)], 2).map((x) => x.uid),
    [4],
    'a valid newcomer while there is room',
  );
  assert.throws(() => chooseContributors([], 0), invalid);
});
