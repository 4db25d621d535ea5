/**
 * A real S3 server for tests: Ceph's RADOS Gateway (Debian packages) on a throwaway one-node cluster
 * in a temp directory, loopback only, started by scripts/s3-up.sh on free ports and stopped by
 * scripts/s3-down.sh. Ready in about a second, stopped in about 0.3 s. The cluster is also stopped
 * when this process exits, and by the script's watchdog if this process is killed outright.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './repo.js';

/** A running RADOS Gateway and the credentials of its one S3 user. */
export interface S3Server {
  /** `http://127.0.0.1:<port>`, path-style. */
  readonly endpoint: string;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly region: string;
  /** Stop the daemons and delete their directory; idempotent. */
  stop(): Promise<void>;
}

const upScript = join(repoRoot, 'scripts', 's3-up.sh');
const downScript = join(repoRoot, 'scripts', 's3-down.sh');
const START_ATTEMPTS = 3;

/** A loopback port nothing listens on right now (another process may still take it before us). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address !== null
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

function run(script: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [script, ...args], { env, timeout: 150_000 }, (error, stdout, stderr) => {
      if (error === null) resolve(stdout);
      else reject(new Error(`${script} failed (${error.message}):\n${stderr}`, { cause: error }));
    });
  });
}

function parseEnv(stdout: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of stdout.split('\n')) {
    const match = /^(S3_[A-Z_]+)=(.*)$/.exec(line.trim());
    if (match !== null) values.set(match[1] as string, match[2] as string);
  }
  return values;
}

/**
 * Start a RADOS Gateway with a fresh S3 user (random keys). Fails with the daemons' log tails when
 * the Ceph packages are missing (`make setup` installs them) or the gateway does not come up; retries
 * with other ports when one was taken in between.
 */
export async function startS3Server(): Promise<S3Server> {
  const accessKey = randomBytes(10).toString('hex').toUpperCase();
  const secretKey = randomBytes(20).toString('hex');
  const env = {
    ...process.env,
    S3_ACCESS_KEY: accessKey,
    S3_SECRET_KEY: secretKey,
    COHORT_S3_OWNER_PID: String(process.pid),
  };
  let lastError: unknown;
  for (let attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), 'cohort-s3-'));
    const stopSync = (): void => {
      execFileSync('bash', [downScript, dir], { stdio: 'ignore' });
      rmSync(dir, { recursive: true, force: true });
    };
    try {
      const monPort = await freePort();
      let rgwPort = await freePort();
      while (rgwPort === monPort) rgwPort = await freePort();
      const values = parseEnv(await run(upScript, [dir, String(monPort), String(rgwPort)], env));
      const endpoint = values.get('S3_ENDPOINT');
      if (endpoint === undefined) throw new Error('s3-up.sh printed no S3_ENDPOINT');
      process.on('exit', stopSync);
      let stopped: Promise<void> | undefined;
      return {
        endpoint,
        accessKey,
        secretKey,
        region: values.get('S3_REGION') ?? 'us-east-1',
        stop() {
          stopped ??= (async () => {
            process.off('exit', stopSync);
            await run(downScript, [dir], process.env);
            rmSync(dir, { recursive: true, force: true });
          })();
          return stopped;
        },
      };
    } catch (error) {
      lastError = error;
      stopSync();
    }
  }
  throw new Error(`RADOS Gateway did not start in ${START_ATTEMPTS} attempts: ${String(lastError)}`, {
    cause: lastError,
  });
}
