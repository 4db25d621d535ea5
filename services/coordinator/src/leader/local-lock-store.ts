/**
 * A {@link LeaseStore} in a local directory, for coordinators outside Kubernetes: several processes on one
 * host (or on one shared POSIX filesystem with working hard links) elect exactly one leader with the same
 * lease semantics as the Kubernetes Lease.
 *
 * Layout: one JSON file per version, `<name>.lease.<version>.json` = `{ version, record }`; the highest
 * version is the lease. A write of version N+1 over N is a compare-and-swap: the content goes to a private
 * temp file, which is then hard-linked to `<name>.lease.<N+1>.json`. `link` fails with EEXIST when that name
 * exists, so of all writers that read version N exactly one wins, and the file appears complete (like
 * write-then-rename, but exclusive: rename would silently overwrite a rival's write). A writer whose read was
 * so stale that N+1 had already been cleaned up sees a higher version after linking and backs off. Versions
 * below N are deleted after each write; the previous one is kept so such stale writers still collide.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, readFile, readdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Code, CohortError, InvalidArgumentError, expectedMessage } from '@cohort/core';
import type { LeaseRecord } from '@cohort/core';
import type { LeaseStore, VersionedLease } from './elector.js';

/** Options of {@link LocalLockStore}. */
export interface LocalLockStoreOptions {
  /** The lock directory, shared by every candidate (created when missing). */
  readonly dir: string;
  /** The lease name: lower-case DNS label characters, as a Kubernetes Lease name. */
  readonly name: string;
}

const NAME = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;

function errno(error: unknown): string | undefined {
  return error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

function isRecord(value: unknown): value is LeaseRecord {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return (
    typeof r.holderIdentity === 'string' &&
    Number.isSafeInteger(r.leaseDurationSeconds) &&
    Number.isFinite(r.acquireTimeMs) &&
    Number.isFinite(r.renewTimeMs) &&
    Number.isSafeInteger(r.leaseTransitions)
  );
}

/** The lease as versioned files in a directory; see the module comment for the compare-and-swap. */
export class LocalLockStore implements LeaseStore {
  readonly description: string;
  readonly #dir: string;
  readonly #name: string;

  constructor(options: LocalLockStoreOptions) {
    if (!NAME.test(options.name)) {
      throw new InvalidArgumentError(
        expectedMessage('a DNS label (a-z, 0-9, -, .)', 'lease name', options.name),
        {
          reason: 'BAD_LEASE_NAME',
        },
      );
    }
    this.#dir = options.dir;
    this.#name = options.name;
    this.description = `lock ${join(options.dir, options.name)}`;
  }

  async get(): Promise<VersionedLease | undefined> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const latest = (await this.#versions()).at(-1);
      if (latest === undefined) return undefined;
      let text: string;
      try {
        text = await readFile(this.#file(latest), 'utf8');
      } catch (error) {
        if (errno(error) === 'ENOENT') continue; // cleaned up under us by a newer write: list again
        throw this.#io(error, 'read');
      }
      return { record: this.#parse(text, latest), version: String(latest) };
    }
    throw new CohortError(Code.Aborted, 'The lock kept changing while being read', {
      reason: 'LOCK_CONTENDED',
      details: { lock: this.description },
    });
  }

  async write(record: LeaseRecord, expectedVersion: string | undefined): Promise<VersionedLease | undefined> {
    const next = expectedVersion === undefined ? 1 : Number(expectedVersion) + 1;
    if (!Number.isSafeInteger(next) || next < 1) {
      throw new InvalidArgumentError(
        expectedMessage('a version from get()', 'expectedVersion', expectedVersion),
        {
          reason: 'BAD_LEASE_VERSION',
        },
      );
    }
    const temp = join(this.#dir, `.${this.#name}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
    try {
      await mkdir(this.#dir, { recursive: true });
      await writeFile(temp, `${JSON.stringify({ version: next, record })}\n`, { mode: 0o644 });
      try {
        await link(temp, this.#file(next));
      } catch (error) {
        if (errno(error) === 'EEXIST') return undefined; // another writer won version `next`
        throw error;
      }
    } catch (error) {
      throw this.#io(error, 'write');
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    const versions = await this.#versions();
    if (versions.some((v) => v > next)) {
      await unlink(this.#file(next)).catch(() => undefined); // our read was stale: a newer lease exists
      return undefined;
    }
    await Promise.all(
      versions.filter((v) => v < next - 1).map((v) => unlink(this.#file(v)).catch(() => undefined)),
    );
    return { record, version: String(next) };
  }

  #file(version: number): string {
    return join(this.#dir, `${this.#name}.lease.${version}.json`);
  }

  async #versions(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch (error) {
      if (errno(error) === 'ENOENT') return [];
      throw this.#io(error, 'list');
    }
    const prefix = `${this.#name}.lease.`;
    return names
      .filter((n) => n.startsWith(prefix) && n.endsWith('.json'))
      .map((n) => n.slice(prefix.length, -'.json'.length))
      .filter((v) => /^[1-9][0-9]*$/.test(v))
      .map(Number)
      .sort((a, b) => a - b);
  }

  #parse(text: string, version: number): LeaseRecord {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    const record = (value as { record?: unknown } | undefined)?.record;
    if (!isRecord(record)) {
      throw new CohortError(Code.DataLoss, `The lock file ${this.#file(version)} is not a lease record`, {
        reason: 'LOCK_CORRUPT',
        details: { lock: this.description, version },
      });
    }
    return record;
  }

  #io(error: unknown, op: string): CohortError {
    if (error instanceof CohortError) return error;
    return new CohortError(Code.Unavailable, `Cannot ${op} the lock directory ${this.#dir}`, {
      reason: 'LOCK_IO',
      cause: error,
      details: { lock: this.description, errno: errno(error) ?? 'unknown' },
    });
  }
}
