import { test } from 'node:test';
import assert from 'node:assert/strict';

import { Code, CohortError, IllegalStateError, InternalError, InvalidArgumentError } from '@cohort/core';

import { CodecError, CudaError, NATIVE_ERROR_NAMES, OutOfMemoryError, mapNativeError } from './errors.js';

function nativeError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

test('every native error name maps to its class, code, message and cause', () => {
  const expected = [
    ['CudaError', CudaError, Code.Internal],
    ['OutOfMemoryError', OutOfMemoryError, Code.ResourceExhausted],
    ['InvalidArgumentError', InvalidArgumentError, Code.InvalidArgument],
    ['IllegalStateError', IllegalStateError, Code.FailedPrecondition],
    ['InternalError', InternalError, Code.Internal],
    ['CodecError', CodecError, Code.InvalidArgument],
  ] as const;
  assert.deepEqual(
    expected.map(([name]) => name),
    [...NATIVE_ERROR_NAMES],
  );
  for (const [name, errorClass, code] of expected) {
    const original = nativeError(name, `${name} happened`);
    const mapped = mapNativeError(original);
    assert.ok(mapped instanceof errorClass, name);
    assert.equal(mapped.name, name);
    assert.equal(mapped.code, code);
    assert.equal(mapped.message, `${name} happened`);
    assert.equal(mapped.cause, original);
  }
});

test('unknown names and non-errors become InternalError NATIVE_ERROR_UNMAPPED', () => {
  const typeError = new TypeError('bad');
  const mapped = mapNativeError(typeError);
  assert.ok(mapped instanceof InternalError);
  assert.equal(mapped.reason, 'NATIVE_ERROR_UNMAPPED');
  assert.equal(mapped.details['nativeName'], 'TypeError');
  assert.equal(mapped.cause, typeError);

  const fromString = mapNativeError('boom');
  assert.ok(fromString instanceof InternalError);
  assert.equal(fromString.message, 'The native addon threw "boom"');
});

test('a CohortError passes through unchanged', () => {
  const original = new CohortError(Code.FailedPrecondition, 'not built', { reason: 'NATIVE_ADDON_MISSING' });
  assert.equal(mapNativeError(original), original);
});
