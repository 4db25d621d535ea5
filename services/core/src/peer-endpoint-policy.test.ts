import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CohortError } from './errors.js';
import { checkPeerEndpoint } from './peer-endpoint-policy.js';

const forbidden = (endpoint: string): boolean => {
  try {
    checkPeerEndpoint(endpoint, 'public');
    return false;
  } catch (error) {
    assert.ok(error instanceof CohortError);
    assert.equal(error.reason, 'PEER_ENDPOINT_FORBIDDEN');
    assert.ok(error.message.includes(endpoint));
    return true;
  }
};

test('"public" contacts only https endpoints on public names and addresses', () => {
  for (const ok of [
    'https://s3.eu-central-1.amazonaws.com',
    'https://abc123.r2.cloudflarestorage.com',
    'https://minio.example.org:9000',
    'https://8.8.8.8',
    'https://[2001:4860:4860::8888]',
    'https://172.32.0.1',
  ])
    assert.equal(forbidden(ok), false, ok);
});

test('"public" refuses plain http, file://, loopback, private, link-local, metadata and in-cluster hosts', () => {
  for (const bad of [
    'http://s3.example.org',
    'file:///var/lib/cohort',
    'https://localhost',
    'https://127.0.0.1:9000',
    'https://10.1.2.3',
    'https://172.16.0.9',
    'https://192.168.1.1',
    'https://169.254.169.254',
    'https://100.64.0.1',
    'https://0.0.0.0',
    'https://224.0.0.1',
    'https://[::1]',
    'https://[fd00::1]',
    'https://[fe80::1]',
    'https://[::ffff:127.0.0.1]',
    'https://nats',
    'https://minio.storage.svc',
    'https://minio.storage.svc.cluster.local',
    'https://printer.local',
    'https://metadata.google.internal',
    'not a url',
  ])
    assert.equal(forbidden(bad), true, bad);
});

test('"any" (devnets, tests on one machine) allows every decodable endpoint', () => {
  for (const e of ['http://127.0.0.1:7480', 'file:///tmp/buckets', 'https://nats'])
    assert.doesNotThrow(() => checkPeerEndpoint(e, 'any'));
});
