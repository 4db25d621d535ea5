/**
 * The bucket probes, through the checkpoint-store's own S3 backend (the `minio` client with its typed
 * errors): a probe object under the run's prefix written, read back and deleted with the write key; read,
 * listed and (refused) written with the read-only key; a larger object timed up and down; and the
 * server's `Date` header for the clock check. Every object it writes it deletes again.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { CohortError, runPrefix } from '@cohort/core';
import { createS3Backend } from '@cohort/checkpoint-store/backends';
import type { S3BackendOptions } from '@cohort/checkpoint-store/backends';
import type { ClockObservation } from './host-verdicts.js';
import type {
  BucketObservation,
  ReadOnlyObservation,
  StepOutcome,
  TransferObservation,
} from './bucket-verdicts.js';

type Backend = Awaited<ReturnType<typeof createS3Backend>>;

/** Where the bucket is and the operator's write key: the backend's own options, less its tuning. */
export type S3Target = Pick<
  S3BackendOptions,
  'endpoint' | 'bucket' | 'region' | 'pathStyle' | 'accessKeyId' | 'secretAccessKey'
>;

/** The key committed on chain; undefined: none given (anonymous reads are tried). */
export interface ReadKey {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

const CHUNK = 1024 * 1024;

/** `bytes` as the async source a backend's `put` takes, in 1 MiB chunks. */
function chunks(bytes: Uint8Array): AsyncIterable<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += CHUNK)
    parts.push(bytes.subarray(i, Math.min(bytes.length, i + CHUNK)));
  return Readable.from(parts, { objectMode: true }) as AsyncIterable<Uint8Array>;
}

function failure(err: unknown): Extract<StepOutcome, { ok: false }> {
  const e = CohortError.from(err);
  const s3Code = e.details.s3Code;
  return {
    ok: false,
    reason: e.reason ?? 'ERROR',
    s3Code: typeof s3Code === 'string' ? s3Code : undefined,
    message: e.message,
  };
}

async function step(fn: () => Promise<unknown>): Promise<StepOutcome> {
  try {
    await fn();
    return { ok: true };
  } catch (err) {
    return failure(err);
  }
}

const backendFor = (t: S3Target, key: ReadKey, timeoutMs: number): Promise<Backend> =>
  createS3Backend({
    endpoint: t.endpoint,
    bucket: t.bucket,
    region: t.region,
    pathStyle: t.pathStyle,
    accessKeyId: key.accessKeyId,
    secretAccessKey: key.secretAccessKey,
    requestTimeoutMs: timeoutMs,
    createBucketIfMissing: false,
  });

async function put(b: Backend, key: string, bytes: Uint8Array, signal?: AbortSignal): Promise<void> {
  await b.put(key, chunks(bytes), { maxBytes: bytes.length, expectedSize: bytes.length, signal });
}

async function getAll(b: Backend, key: string, signal?: AbortSignal): Promise<Buffer> {
  const { body } = await b.get(key, undefined, signal);
  const parts: Uint8Array[] = [];
  for await (const part of body) parts.push(part);
  return Buffer.concat(parts);
}

/** A fresh probe key under the run's prefix (`cohort/v1/<run>/preflight/…`). */
export const probeKey = (run: string, what: string): string =>
  `${runPrefix(run)}preflight/${what}-${Date.now()}-${randomBytes(6).toString('hex')}`;

/** What {@link probeBucket} needs. */
export interface BucketProbeOptions {
  readonly target: S3Target;
  readonly read: ReadKey | undefined;
  readonly run: string;
  readonly timeoutMs: number;
}

/** The write key's round trip and the read side's checks on the same probe object. */
export async function probeBucket(
  o: BucketProbeOptions,
): Promise<{ bucket: BucketObservation; readOnly: ReadOnlyObservation | undefined }> {
  const key = probeKey(o.run, 'probe');
  const bytes = randomBytes(64 * 1024);
  const where = { endpoint: o.target.endpoint, bucket: o.target.bucket, key };
  const writer = await backendFor(o.target, o.target, o.timeoutMs);
  try {
    const list = await step(() => writer.list(key.slice(0, key.lastIndexOf('/') + 1)));
    if (!list.ok) return { bucket: { ...where, list }, readOnly: undefined };
    const write = await step(() => put(writer, key, bytes));
    if (!write.ok) return { bucket: { ...where, list, write }, readOnly: undefined };
    let back: Buffer | undefined;
    const read = await step(async () => {
      back = await getAll(writer, key);
    });
    const readOnly = await probeReadSide(o, key, writer);
    const del = await step(async () => {
      await writer.delete(key);
    });
    return {
      bucket: {
        ...where,
        list,
        write,
        read,
        sameBytes: back === undefined ? undefined : back.equals(bytes),
        delete: del,
      },
      readOnly,
    };
  } finally {
    await writer.close();
  }
}

async function probeReadSide(
  o: BucketProbeOptions,
  key: string,
  writer: Backend,
): Promise<ReadOnlyObservation> {
  const r = o.read;
  if (r !== undefined && r.accessKeyId === o.target.accessKeyId) return { mode: 'same-as-write' };
  const mode = r === undefined ? 'anonymous' : 'keys';
  const reader = await backendFor(o.target, r ?? { accessKeyId: '', secretAccessKey: '' }, o.timeoutMs);
  try {
    const read = await step(() => getAll(reader, key));
    const list = await step(async () => {
      const page = await reader.list(key.slice(0, key.lastIndexOf('/') + 1));
      if (!page.objects.some((m) => m.key === key)) throw new Error(`the listing lacks ${key}`);
    });
    const intruder = probeKey(o.run, 'readonly-write');
    const write = await step(() => put(reader, intruder, randomBytes(16)));
    if (write.ok) await writer.delete(intruder).catch(() => false);
    return { mode, read, list, write };
  } finally {
    await reader.close();
  }
}

/** Time one upload and one download of `probeBytes` random bytes (incompressible), then delete it. */
export async function measureBandwidth(
  o: BucketProbeOptions & { readonly probeBytes: number; readonly signal: AbortSignal },
): Promise<{ up: TransferObservation; down: TransferObservation }> {
  const key = probeKey(o.run, 'bandwidth');
  const bytes = randomBytes(o.probeBytes);
  const writer = await backendFor(o.target, o.target, o.timeoutMs);
  const timed = async (fn: () => Promise<unknown>): Promise<TransferObservation> => {
    const start = process.hrtime.bigint();
    try {
      await fn();
      return { ok: true, bytes: bytes.length, seconds: Number(process.hrtime.bigint() - start) / 1e9 };
    } catch (err) {
      return { ok: false, message: CohortError.from(err).message };
    }
  };
  try {
    const up = await timed(() => put(writer, key, bytes, o.signal));
    const down = up.ok
      ? await timed(() => getAll(writer, key, o.signal))
      : ({ ok: false, message: 'no object to download' } as const);
    await writer.delete(key).catch(() => false);
    return { up, down };
  } finally {
    await writer.close();
  }
}

/** The S3 server's `Date` header against this clock (any reply carries one, even a refusal). */
export async function probeS3Date(endpoint: string, timeoutMs: number): Promise<ClockObservation['s3']> {
  const start = Date.now();
  const response = await fetch(endpoint, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
  const end = Date.now();
  const date = response.headers.get('date');
  const serverDateMs = date === null ? NaN : Date.parse(date);
  if (!Number.isFinite(serverDateMs)) return undefined;
  return { serverDateMs, localMs: (start + end) / 2, rttMs: end - start };
}
