/**
 * Which committed bucket endpoints this operator's store may contact. A bucket commitment is chain data
 * that any miner writes, so a store that followed every endpoint would make requests on a stranger's
 * behalf: to `http://169.254.169.254` (cloud metadata), to in-cluster services (`http://nats:4222`),
 * to loopback, or read its own disk through `file://`. Under the `public` policy (the default) only
 * `https://` endpoints whose host is a public name or a public IP literal are contacted; `any` (a
 * devnet or a test on one machine) allows every endpoint the commitment decoder accepts.
 *
 * Not covered: a public name that resolves to a private address (DNS rebinding). Network policy is the
 * layer for that (the chart's egress rules).
 *
 * Pure: no I/O.
 */
import { CohortError, Code } from './errors.js';

/** The endpoint policies of the checkpoint-store's `peerEndpoints` setting. */
export const PEER_ENDPOINT_POLICIES = ['public', 'any'] as const;
/** One of {@link PEER_ENDPOINT_POLICIES}. */
export type PeerEndpointPolicy = (typeof PEER_ENDPOINT_POLICIES)[number];

const PRIVATE_SUFFIXES = ['.localhost', '.local', '.internal', '.svc', '.cluster.local', '.home.arpa'];

/** True for IPv4 literals that are not on the public internet. */
function privateIpv4(host: string): boolean | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (m === null) return undefined;
  const [a, b] = [Number(m[1]), Number(m[2])];
  if ([a, b, Number(m[3]), Number(m[4])].some((x) => x > 255)) return true; // not an address: refuse
  return (
    a === 0 || // this network
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0) || // IETF protocol assignments
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast, reserved, broadcast
  );
}

/** True for IPv6 literals (bracketed) that are not global unicast. */
function privateIpv6(host: string): boolean | undefined {
  if (!host.startsWith('[')) return undefined;
  const addr = host.slice(1, -1).toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(addr);
  if (mapped !== null) return privateIpv4(mapped[1] ?? '') ?? true;
  if (addr === '::' || addr === '::1') return true;
  const first = Number.parseInt(addr.split(':')[0] || '0', 16);
  return (
    (first & 0xfe00) === 0xfc00 || // unique local fc00::/7
    (first & 0xffc0) === 0xfe80 || // link-local fe80::/10
    (first & 0xff00) === 0xff00 || // multicast
    first === 0 // ::/16 holds only special addresses (v4-compatible, unspecified, loopback)
  );
}

/**
 * Throws `PermissionDenied` with reason `PEER_ENDPOINT_FORBIDDEN` when `policy` does not allow the
 * store to contact `endpoint` (a decoded commitment's endpoint: `https://host[:port]`,
 * `http://host[:port]` or `file:///path`).
 */
export function checkPeerEndpoint(endpoint: string, policy: PeerEndpointPolicy): void {
  if (policy === 'any') return;
  const refuse = (why: string): never => {
    throw new CohortError(
      Code.PermissionDenied,
      `the peer endpoint ${endpoint} is not contacted under the "public" peer endpoint policy: ${why}`,
      { reason: 'PEER_ENDPOINT_FORBIDDEN' },
    );
  };
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return refuse('not a URL');
  }
  if (url.protocol !== 'https:') return refuse(`${url.protocol}// is only allowed under "any" (devnets)`);
  const host = url.hostname.toLowerCase();
  const ip = privateIpv4(host) ?? privateIpv6(host);
  if (ip === true) return refuse('a loopback, private, link-local or reserved address');
  if (ip === undefined) {
    if (!host.includes('.')) return refuse('a single-label host name (an in-cluster or local name)');
    if (host === 'localhost' || PRIVATE_SUFFIXES.some((s) => host.endsWith(s)))
      return refuse('a local or in-cluster host name');
  }
}
