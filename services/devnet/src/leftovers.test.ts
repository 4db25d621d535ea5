import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { clearPids, recordPids, stopLeftovers } from './leftovers.js';

const root = mkdtempSync(join(tmpdir(), 'cohort-devnet-leftovers-'));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

async function sleeper(): Promise<ChildProcess & { pid: number }> {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(child);
  await once(child, 'spawn');
  assert.ok(child.pid !== undefined);
  return child as ChildProcess & { pid: number };
}

const alive = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null;

test('a recorded process still running its command is stopped, and the record cleared', async () => {
  const file = join(root, 'run.pids.json');
  const child = await sleeper();
  const exited = once(child, 'exit');
  recordPids([child.pid, 2 ** 30], file); // the second pid does not exist: not recorded
  const recorded = JSON.parse(readFileSync(file, 'utf8')) as { pid: number; cmd: string }[];
  assert.deepEqual(
    recorded.map((e) => e.pid),
    [child.pid],
  );
  assert.match(recorded[0]!.cmd, /^sleep\0/);

  assert.equal(stopLeftovers(file), 1);
  const [code, signal] = (await exited) as [number | null, string | null];
  assert.deepEqual([code, signal], [null, 'SIGTERM']);
  assert.ok(!existsSync(file));
});

test('a recorded pid now running another command is left alone', async () => {
  const file = join(root, 'recycled.pids.json');
  const child = await sleeper();
  writeFileSync(file, JSON.stringify([{ pid: child.pid, cmd: 'cohort-validator\0--run\0devnet\0' }]));
  assert.equal(stopLeftovers(file), 0);
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(alive(child), 'still running');
  assert.ok(!existsSync(file), 'the record is cleared all the same');
  child.kill('SIGKILL');
});

test('our own pid and pid 1 are never signalled', () => {
  const file = join(root, 'self.pids.json');
  recordPids([process.pid], file);
  assert.equal(stopLeftovers(file), 0);
  writeFileSync(file, JSON.stringify([{ pid: 1, cmd: readFileSync('/proc/1/cmdline', 'utf8') }]));
  assert.equal(stopLeftovers(file), 0);
});

test('a missing or corrupt record stops nothing', () => {
  const file = join(root, 'corrupt.pids.json');
  assert.equal(stopLeftovers(join(root, 'missing.pids.json')), 0);
  for (const text of ['', '[{"pid": 12', 'null', '{"pid": 12}', '[null, 7, "x", {"pid": "12", "cmd": ""}]']) {
    writeFileSync(file, text);
    assert.equal(stopLeftovers(file), 0, text);
  }
});

test('clearPids forgets the record and tolerates none', () => {
  const file = join(root, 'clear.pids.json');
  recordPids([process.pid], file);
  assert.ok(existsSync(file));
  clearPids(file);
  assert.ok(!existsSync(file));
  clearPids(file);
});
