/**
 * The committed generated code must be exactly what `buf generate` produces from the .proto files
 * (so a contract change without regeneration fails CI), and the contracts must pass buf lint STANDARD.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const protoDir = resolve(fileURLToPath(import.meta.url), '../../..');
const bin = resolve(protoDir, '../node_modules/.bin');
const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };

function files(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(relative(dir, p), readFileSync(p, 'utf8'));
    }
  };
  walk(dir);
  return out;
}

test('proto/gen is up to date with the .proto sources (run `pnpm gen` after editing them)', () => {
  const out = mkdtempSync(join(tmpdir(), 'cohort-gen-'));
  try {
    execFileSync(join(bin, 'buf'), ['generate', '--output', out], { cwd: protoDir, env, stdio: 'pipe' });
    const fresh = files(join(out, 'gen'));
    const committed = files(join(protoDir, 'gen'));
    assert.deepEqual([...committed.keys()].sort(), [...fresh.keys()].sort(), 'generated file set differs');
    for (const [path, text] of fresh) assert.equal(committed.get(path), text, `${path} is stale`);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('the contracts pass buf lint (STANDARD)', () => {
  execFileSync(join(bin, 'buf'), ['lint'], { cwd: protoDir, env, stdio: 'pipe' });
});
