/**
 * Tests' in-process gRPC server on loopback: bind `server` to a free port and connect a transport to it,
 * ready, so a test talks to real grpc-js on both ends.
 */
import * as grpc from '@grpc/grpc-js';

import { createTransport } from '../grpc/client.js';
import type { Transport } from '../grpc/client.js';

/** Bind `server` to 127.0.0.1 on a free port; resolves with the port and a ready transport to it. */
export async function bindLoopback(server: grpc.Server): Promise<{ port: number; transport: Transport }> {
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
      e ? reject(e) : resolve(p),
    ),
  );
  const transport = createTransport(`127.0.0.1:${port}`);
  await transport.waitForReady(5000);
  return { port, transport };
}
