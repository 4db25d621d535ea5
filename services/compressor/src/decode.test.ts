import assert from 'node:assert/strict';
import { test } from 'node:test';

import { littleEndianBytes, tensorParts } from './decode.js';

test('a tensor splits into parts of at most n entries whose bytes concatenate to the whole', () => {
  const indices = Uint32Array.from({ length: 10 }, (_, i) => i * 3 + 0x01020304);
  const values = Float32Array.from({ length: 10 }, (_, i) => i / 4);
  const parts = [...tensorParts({ name: 't', dtype: 'f32', shape: [5, 8], indices, values }, 4)];
  assert.equal(parts.length, 3);
  const tensors = parts.map((p) => (p.part?.case === 'tensor' ? p.part.value : assert.fail('not a tensor')));
  assert.deepEqual(
    tensors.map((t) => t.name),
    ['t', 't', 't'],
  );
  assert.deepEqual(tensors[0]?.shape, [5n, 8n]);
  const all = Buffer.concat(tensors.map((t) => t.indices as Uint8Array));
  assert.equal(all.readUInt32LE(4), 0x01020307);
  assert.equal(Buffer.concat(tensors.map((t) => t.values as Uint8Array)).readFloatLE(36), 2.25);
});

test('an empty tensor is still one message, and bytes are little-endian', () => {
  const parts = [
    ...tensorParts(
      { name: 'e', dtype: 'f32', shape: [3], indices: new Uint32Array(0), values: new Float32Array(0) },
      4,
    ),
  ];
  assert.equal(parts.length, 1);
  assert.deepEqual([...littleEndianBytes(Uint32Array.of(0x0a0b0c0d))], [0x0d, 0x0c, 0x0b, 0x0a]);
});
