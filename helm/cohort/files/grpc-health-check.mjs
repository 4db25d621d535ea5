// `helm test`: asks each host:port argument's grpc.health.v1.Health/Check (overall, service "") and exits
// 0 only when every one answers SERVING. Plain node:http2, so it runs in any cohort image.
import { connect } from 'node:http2';
import { pathToFileURL } from 'node:url';

const timeoutMs = Number(process.env.TIMEOUT_MS ?? '10000');
// HealthCheckResponse.ServingStatus (grpc/health/v1/health.proto).
const STATUS = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

/** One Check call: resolves to a line of text and whether it said SERVING. */
export function check(address) {
  return new Promise((resolve) => {
    const client = connect(`http://${address}`);
    let settled = false;
    const finish = (ok, detail) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      client.close();
      resolve({ ok, line: `${address} ${detail}` });
    };
    const timer = setTimeout(() => {
      finish(false, `no answer in ${timeoutMs} ms`);
      client.destroy();
    }, timeoutMs);
    client.on('error', (error) => finish(false, error.message));
    const request = client.request({
      ':method': 'POST',
      ':path': '/grpc.health.v1.Health/Check',
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    const chunks = [];
    let grpcStatus;
    request.on('response', (headers) => (grpcStatus = headers['grpc-status'] ?? grpcStatus));
    request.on('trailers', (trailers) => (grpcStatus = trailers['grpc-status'] ?? grpcStatus));
    request.on('data', (chunk) => chunks.push(chunk));
    request.on('error', (error) => finish(false, error.message));
    request.on('end', () => {
      if (grpcStatus !== undefined && String(grpcStatus) !== '0') {
        finish(false, `grpc-status ${grpcStatus}`);
        return;
      }
      // One length-prefixed message; field 1 (tag 0x08) is the status varint, absent when UNKNOWN (0).
      const body = Buffer.concat(chunks);
      const message = body.subarray(5);
      const status = message[0] === 0x08 ? (message[1] ?? 0) : 0;
      finish(status === 1, STATUS[status] ?? `status ${status}`);
    });
    // An empty HealthCheckRequest: uncompressed flag, zero length.
    request.end(Buffer.alloc(5));
  });
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await Promise.all(process.argv.slice(2).map(check));
  for (const result of results) console.log(`${result.ok ? 'ok  ' : 'FAIL'} ${result.line}`);
  process.exit(results.length > 0 && results.every((r) => r.ok) ? 0 : 1);
}
