/**
 * The Brown corpus prepared as `cohort-shards/1` (GPT-2 BPE), once per test process, in a temp directory:
 * the real text the engine tests train and evaluate on (about 3 s).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBrownCorpus, prepareDataset } from '@cohort/data';

let prepared: Promise<{ manifestPath: string; dir: string }> | undefined;

/** The manifest path of Brown at `seqLen` 128 (prepared on first call; removed at process exit). */
export function brownDataset(): Promise<{ manifestPath: string; dir: string }> {
  prepared ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cohort-brown-'));
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
    const outDir = join(dir, 'brown');
    const summary = await prepareDataset({ corpus: createBrownCorpus(), outDir, seqLen: 128 });
    return { manifestPath: summary.manifestPath, dir };
  })();
  return prepared;
}
