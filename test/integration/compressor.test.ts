/**
 * The compressor binary, run for real: payloads made by the codec (encodeUpdate + sr25519 signatures) are
 * streamed to Validate, Decode and Aggregate over gRPC; verdicts carry the codec's stable reasons, and the
 * metrics count them.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { CohortError, encodeSs58, hotkeyFromSeed } from '@cohort/core';
import type { HotkeyPair } from '@cohort/core';
import { createServiceClient, createTransport } from '@cohort/kit';
import type { ServiceClient, Transport } from '@cohort/kit';
import { decodeAggregate, decodeUpdate, encodeUpdate, signObject } from '@cohort/native';
import { CompressorService } from '@cohort/proto/cohort/codec/v1/compressor';
import type { AggregateRequestSchema, PayloadContext } from '@cohort/proto/cohort/codec/v1/compressor';
import { spawnService } from '../harness/index.js';
import type { ServiceProcess } from '../harness/index.js';

const RUN = 'devnet-test';
const WINDOW = 12n;
const MAX_PAYLOAD_BYTES = 64 * 1024;
const STATE = new Uint8Array(32).fill(0x5a);

const key = (byte: number): HotkeyPair => hotkeyFromSeed(new Uint8Array(32).fill(byte));
const hex = (bytes: Uint8Array | undefined): string => Buffer.from(bytes ?? []).toString('hex');

/** Fixed-seed values in [-1, 1). */
function values(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}

async function payload(miner: HotkeyPair, seed: number, signer = miner): Promise<Uint8Array> {
  const { bytes } = await encodeUpdate(
    [
      { name: 'w.weight', shape: [128, 64], data: values(128 * 64, seed) },
      { name: 'b', shape: [64], data: values(64, seed + 1) },
    ],
    {
      runId: RUN,
      window: WINDOW,
      hotkey: miner.publicKey,
      stateFingerprint: STATE,
      dataReceipt: new Uint8Array(32),
    },
    { tileSide: 64, topk: 32, indexCoding: 'rice' },
  );
  signObject(bytes, signer);
  return bytes;
}

function context(
  miner: HotkeyPair,
  extra: Partial<PayloadContext> = {},
): { part: { case: 'context'; value: PayloadContext } } {
  return {
    part: {
      case: 'context',
      value: { runId: RUN, window: WINDOW, hotkey: encodeSs58(miner.publicKey), ...extra } as PayloadContext,
    },
  };
}

/** A context message, then `bytes` in chunks of `size`. */
function* stream(miner: HotkeyPair, bytes: Uint8Array, size = 1000, extra: Partial<PayloadContext> = {}) {
  yield context(miner, extra);
  for (let at = 0; at < bytes.length; at += size) {
    yield { part: { case: 'chunk' as const, value: bytes.subarray(at, at + size) } };
  }
}

async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

describe('compressor over gRPC', () => {
  let proc: ServiceProcess;
  let transport: Transport;
  let client: ServiceClient<typeof CompressorService>;
  let metricsPort: number;
  before(async () => {
    proc = spawnService('compressor', { env: { COHORT_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD_BYTES) } });
    const ports = await proc.ports();
    metricsPort = ports.metrics;
    await proc.waitForEvent('service_serving');
    transport = createTransport(`127.0.0.1:${ports.grpc}`);
    client = createServiceClient(CompressorService, transport);
  });
  after(async () => {
    transport.close();
    assert.equal(await proc.stop('SIGTERM'), 0, proc.stderr());
  });

  test('Validate: a valid signed payload, and each way one goes wrong', async () => {
    const miner = key(1);
    const good = await payload(miner, 1);
    const ok = await client.validate(stream(miner, good, 777, { stateFingerprint: STATE }));
    assert.equal(ok.valid, true, `${ok.reasonCode}: ${ok.detail}`);
    assert.equal(ok.summary?.sizeBytes, BigInt(good.length));
    assert.equal(hex(ok.summary?.blake2b256), hex(good.subarray(good.length - 96, good.length - 64)));
    assert.equal(ok.summary?.tensorCount, 2);

    const tampered = good.slice();
    tampered[good.length - 120] = (tampered[good.length - 120] ?? 0) ^ 0x10;
    const cases: readonly [string, Parameters<typeof client.validate>[0]][] = [
      ['BAD_HASH', stream(miner, tampered)],
      ['WRONG_HOTKEY', stream(key(2), good)],
      ['BAD_SIGNATURE', stream(miner, await payload(miner, 1, key(2)))],
      ['WRONG_WINDOW', stream(miner, good, 1000, { window: WINDOW + 1n })],
      ['WRONG_STATE', stream(miner, good, 1000, { stateFingerprint: new Uint8Array(32) })],
      ['TOO_LARGE', stream(miner, new Uint8Array(MAX_PAYLOAD_BYTES * 4), 16 * 1024)],
    ];
    for (const [reason, requests] of cases) {
      const out = await client.validate(requests);
      assert.equal(out.valid, false, reason);
      assert.equal(out.reasonCode, reason, out.detail);
      assert.notEqual(out.detail, '');
    }
    await assert.rejects(
      client.validate([{ part: { case: 'chunk', value: good } }]),
      (e) => e instanceof CohortError && e.reason === 'CONTEXT_REQUIRED',
    );
    await assert.rejects(
      client.validate(stream(miner, good, 1000, { hotkey: 'not-ss58' })),
      (e) => e instanceof CohortError && e.reason === 'BAD_SS58',
    );
    const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    const counted = (reason: string): RegExp =>
      new RegExp(
        `cohort_compressor_payloads_total\\{rpc="validate",result="${reason === 'NONE' ? 'valid' : 'invalid'}",reason="${reason}"[^}]*\\} 1\n`,
      );
    for (const reason of ['NONE', ...cases.map(([r]) => r)]) assert.match(metrics, counted(reason));
    assert.match(metrics, /cohort_compressor_payload_bytes_total\{rpc="validate"[^}]*\} \d+/);
    assert.match(metrics, /cohort_compressor_codec_seconds_count\{[^}]*rpc="validate"[^}]*\} \d+/);
  });

  test('Decode: summary, then the same sparse tensors the codec decodes; a bad payload fails with its reason', async () => {
    const miner = key(3);
    const good = await payload(miner, 3);
    const messages = await collect(client.decode(stream(miner, good)));
    assert.equal(messages[0]?.part.case, 'summary');
    const local = await decodeUpdate(good, { tensors: true });
    assert.ok(local.ok && local.tensors);
    const tensors = messages.slice(1).map((m) => (m.part.case === 'tensor' ? m.part.value : undefined));
    assert.equal(tensors.length, local.tensors.length);
    tensors.forEach((t, i) => {
      const want = local.tensors?.[i];
      assert.ok(t && want);
      assert.equal(t.name, want.name);
      assert.deepEqual(t.shape, want.shape.map(BigInt));
      assert.deepEqual(
        Buffer.from(t.indices),
        Buffer.from(want.indices.buffer, want.indices.byteOffset, want.indices.byteLength),
      );
      assert.deepEqual(
        Buffer.from(t.values),
        Buffer.from(want.values.buffer, want.values.byteOffset, want.values.byteLength),
      );
    });
    await assert.rejects(collect(client.decode(stream(key(4), good))), (e) => {
      assert.ok(e instanceof CohortError);
      assert.equal(e.reason, 'WRONG_HOTKEY');
      assert.equal(e.code, 3);
      return true;
    });
  });

  test('Aggregate: three payloads, one invalid; it is excluded with its reason and the aggregate decodes', async () => {
    const miners = [key(5), key(6), key(7)];
    const objects = [
      await payload(miners[0] as HotkeyPair, 5),
      await payload(miners[1] as HotkeyPair, 6, key(9)),
      await payload(miners[2] as HotkeyPair, 7),
    ];
    type Request = MessageInitShape<typeof AggregateRequestSchema>;
    const requests: Request[] = [
      {
        part: {
          case: 'header',
          value: {
            runId: RUN,
            window: WINDOW,
            hotkeys: miners.map((m) => encodeSs58(m.publicKey)),
            aggregatorHotkey: encodeSs58(key(42).publicKey),
          },
        },
      },
    ];
    // Interleave the payloads' chunks: each payload's own chunks stay in order.
    for (let at = 0; at < Math.max(...objects.map((o) => o.length)); at += 500) {
      objects.forEach((o, index) => {
        if (at < o.length)
          requests.push({ part: { case: 'chunk', value: { index, data: o.subarray(at, at + 500) } } });
      });
    }
    const messages = await collect(client.aggregate(requests));
    const summary = messages[0]?.part.case === 'summary' ? messages[0].part.value : undefined;
    assert.ok(summary);
    assert.deepEqual(
      summary.contributors.map((c) => [c.hotkey, c.included, c.reasonCode]),
      [
        [encodeSs58(miners[0]?.publicKey as Uint8Array), true, ''],
        [encodeSs58(miners[1]?.publicKey as Uint8Array), false, 'BAD_SIGNATURE'],
        [encodeSs58(miners[2]?.publicKey as Uint8Array), true, ''],
      ],
    );
    const bytes = Buffer.concat(
      messages.slice(1).map((m) => (m.part.case === 'chunk' ? m.part.value : new Uint8Array())),
    );
    assert.equal(BigInt(bytes.length), summary.sizeBytes);
    // Arrival order does not matter: every payload's chunks in reverse payload order, one payload at a
    // time, give the same aggregate bytes.
    const reordered: Request[] = [requests[0] as Request];
    for (let index = objects.length - 1; index >= 0; index--) {
      const o = objects[index] as Uint8Array;
      for (let at = 0; at < o.length; at += 333)
        reordered.push({ part: { case: 'chunk', value: { index, data: o.subarray(at, at + 333) } } });
    }
    const again = await collect(client.aggregate(reordered));
    const bytesAgain = Buffer.concat(
      again.slice(1).map((m) => (m.part.case === 'chunk' ? m.part.value : new Uint8Array())),
    );
    assert.equal(
      bytesAgain.toString('hex'),
      bytes.toString('hex'),
      'same aggregate whatever the arrival order',
    );
    const decoded = await decodeAggregate(new Uint8Array(bytes), {
      verifySignature: false,
      expect: { runId: RUN, window: WINDOW },
    });
    assert.ok(decoded.ok, decoded.ok ? '' : decoded.reason);
    assert.equal(hex(decoded.summary.digest), hex(summary.blake2b256));
    assert.deepEqual(
      decoded.contributors.map((c) => encodeSs58(c.hotkey)),
      [0, 2].map((i) => encodeSs58(miners[i]?.publicKey as Uint8Array)),
    );
    assert.equal(hex(decoded.contributors[0]?.payloadHash), hex(summary.contributors[0]?.payloadBlake2b256));
    assert.deepEqual(decoded.summary.stateFingerprint, STATE);
    assert.equal(hex(decoded.summary.hotkey), hex(key(42).publicKey), 'the aggregator named in the request');
    assert.equal(decoded.tensors.length, 2);
  });

  test('Aggregate with nothing valid fails with NO_VALID_PAYLOADS', async () => {
    const miner = key(8);
    const requests = [
      {
        part: {
          case: 'header' as const,
          value: { runId: RUN, window: WINDOW, hotkeys: [encodeSs58(miner.publicKey)] },
        },
      },
      { part: { case: 'chunk' as const, value: { index: 0, data: new Uint8Array(300) } } },
    ];
    await assert.rejects(
      collect(client.aggregate(requests)),
      (e) => e instanceof CohortError && e.reason === 'NO_VALID_PAYLOADS',
    );
  });
});
