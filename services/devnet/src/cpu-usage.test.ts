import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CpuMeter, cpuSeconds } from './cpu-usage.js';

test('cpuSeconds of this process is a positive number of seconds', () => {
  const s = cpuSeconds(process.pid);
  assert.equal(typeof s, 'number');
  assert.ok(s! > 0 && Number.isFinite(s!), String(s));
});

test('cpuSeconds of a process that does not exist is undefined', () => {
  assert.equal(cpuSeconds(2 ** 30), undefined);
});

test('CpuMeter: a share in [0, 1], zero for processes that do not exist', async () => {
  const meter = new CpuMeter();
  assert.ok(meter.cores >= 1);
  await sleep(50);
  assert.equal(meter.sample([2 ** 30]), 0);
  const v = meter.sample([process.pid]);
  assert.ok(v >= 0 && v <= 1, String(v));
});

test('CpuMeter: a busy child shows up as load', async () => {
  const child = spawn(process.execPath, ['-e', 'for(;;){}'], { stdio: 'ignore' });
  try {
    await once(child, 'spawn');
    const meter = new CpuMeter();
    meter.sample([child.pid!]); // the baseline
    await sleep(1500);
    const v = meter.sample([child.pid!]);
    assert.ok(v > 0.2 / meter.cores && v <= 1, `${v} of ${meter.cores} cores`);
  } finally {
    child.kill('SIGKILL');
  }
});
