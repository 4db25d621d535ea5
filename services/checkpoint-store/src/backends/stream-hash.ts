/**
 * The BLAKE2b-256 every stored object is hashed with while it streams in (and re-hashed with when a
 * peer's object is read whole). WebAssembly (hash-wasm): about 3–5× the pure-JS hasher of
 * services/core on this machine, so a put is no longer bound by hashing; the digest is the same
 * (stream-hash.test.ts checks it against @cohort/core on RFC vectors and random splits).
 */
import { createBLAKE2b } from 'hash-wasm';

/** An incremental BLAKE2b-256: update() any number of times, then digest() once. */
export interface StreamHasher {
  update(data: Uint8Array): void;
  digest(): Uint8Array;
}

/** A fresh hasher (instantiating the WebAssembly module is cached after the first call). */
export async function createStreamHasher(): Promise<StreamHasher> {
  const hasher = await createBLAKE2b(256);
  hasher.init();
  let done = false;
  return {
    update(data) {
      if (done) throw new Error('StreamHasher.update() after digest()');
      hasher.update(data);
    },
    digest() {
      if (done) throw new Error('StreamHasher.digest() called twice');
      done = true;
      return hasher.digest('binary');
    },
  };
}
