/**
 * Bytes that arrive in chunks (a payload streamed over gRPC), gathered up to a cap. Past the cap the
 * collector drops what it holds and only counts, so an oversize stream costs no memory while the caller
 * answers TOO_LARGE.
 */
export class ByteCollector {
  readonly #maxBytes: number;
  #chunks: Uint8Array[] = [];
  #received = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes received so far, kept or not. */
  get received(): number {
    return this.#received;
  }

  /** True once more than the cap arrived. */
  get overflowed(): boolean {
    return this.#received > this.#maxBytes;
  }

  /** Take one chunk; returns false once the cap is exceeded (the caller should stop reading). */
  add(chunk: Uint8Array): boolean {
    this.#received += chunk.length;
    if (this.overflowed) {
      this.#chunks = [];
      return false;
    }
    if (chunk.length > 0) this.#chunks.push(chunk);
    return true;
  }

  /** Everything received, as one array (the only chunk itself when there is one). Not after overflow. */
  bytes(): Uint8Array {
    if (this.overflowed) throw new Error('ByteCollector.bytes() after overflow');
    if (this.#chunks.length === 1) return this.#chunks[0] as Uint8Array;
    const out = new Uint8Array(this.#received);
    let at = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    this.#chunks = [out];
    return out;
  }
}
