/**
 * Shared fixtures of the filesystem backend's tests: fresh roots under one temp folder, chunked
 * sources, body readers and reason matchers. Test-only; not exported from the package.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreError } from './backend.js';
import type { ObjectBackend, StoreReason } from './backend.js';
import { createFsBackend } from './fs-backend.js';
import type { FsBackendOptions } from './fs-backend.js';

export const MiB = 1024 * 1024;
export const MAX = 256 * MiB;
let base: string | undefined;
let counter = 0;

/** A fresh, empty root (under a temp folder removed by {@link removeRoots}). */
export async function freshRoot(): Promise<string> {
  base ??= await mkdtemp(path.join(tmpdir(), 'cohort-fs-backend-'));
  return path.join(base, `root-${++counter}`);
}

/** Remove every root made by {@link freshRoot}; call from `after`. */
export async function removeRoots(): Promise<void> {
  if (base !== undefined) await rm(base, { recursive: true, force: true });
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/** `data` in chunks of `chunk` bytes, waiting `delayMs` between chunks (0: a macrotask turn). */
export async function* chunks(data: Uint8Array, chunk = 64 * 1024, delayMs = -1): AsyncGenerator<Uint8Array> {
  for (let o = 0; o < data.length; o += chunk) {
    if (delayMs >= 0) await sleep(delayMs);
    yield data.subarray(o, o + chunk);
  }
}

export async function readAll(body: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of body) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

export async function getBytes(backend: ObjectBackend, key: string): Promise<Buffer> {
  return readAll((await backend.get(key)).body);
}

/** An `assert.rejects` matcher for a StoreError with `expected` reason. */
export const reason = (expected: StoreReason) => (error: unknown) => {
  assert.ok(error instanceof StoreError, `expected StoreError ${expected}, got ${String(error)}`);
  assert.equal(error.reason, expected, String(error));
  return true;
};

/** Names of the files left under a folder (recursively). */
export async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

/** A backend on `root` (default: a fresh one). */
export async function openBackend(
  root?: string,
  extra: Partial<FsBackendOptions> = {},
): Promise<ObjectBackend> {
  return createFsBackend({ root: root ?? (await freshRoot()), ...extra });
}
