/**
 * The BLAKE2b compression function F (RFC 7693 §3.2), tuned for V8. It is the hot loop of every hash
 * in cohort (sample ids, shard files), so the 16 state words live in 32 local int32 variables (v<i>l,
 * v<i>h: low and high halves of word i) and the eight G calls of a round are written out inline: V8 keeps
 * locals in registers, while a G function over a typed array ran 4x slower. Only the message schedule
 * varies between rounds, so the rounds stay a loop (fully unrolled, the function is too big to optimize).
 *
 * Each G(a, b, c, d, x, y) below is, on 64-bit words:
 *   a += b + m[x]; d = rotr(d ^ a, 32); c += d; b = rotr(b ^ c, 24);
 *   a += b + m[y]; d = rotr(d ^ a, 16); c += d; b = rotr(b ^ c, 63).
 * A 64-bit add sums the low halves as doubles (exact below 2^53) and carries `floor(t / 2^32)`.
 */

/** The initial chaining value (the SHA-512 IV) as (low, high) uint32 pairs. */
export const IV = Uint32Array.of(
  0xf3bcc908,
  0x6a09e667,
  0x84caa73b,
  0xbb67ae85,
  0xfe94f82b,
  0x3c6ef372,
  0x5f1d36f1,
  0xa54ff53a,
  0xade682d1,
  0x510e527f,
  0x2b3e6c1f,
  0x9b05688c,
  0xfb41bd6b,
  0x1f83d9ab,
  0x137e2179,
  0x5be0cd19,
);

/** The message schedule of the 12 rounds, pre-multiplied by 2 to index (low, high) pairs. */
const SIGMA = Uint8Array.from(
  [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
    [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
    [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
    [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
    [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
    [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
    [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
    [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
    [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  ]
    .flat()
    .map((i) => i * 2),
);

// The message block as 16 (low, high) pairs; shared, since compress never yields.
const m = new Uint32Array(32);

/**
 * Compress one 128-byte block `data[offset..offset+128)` into the chaining value `h` (16 uint32: 8
 * words as (low, high)). `counter` is the number of bytes hashed so far including this block (the RFC's
 * t; below 2^53, so its high 64 bits are zero) and `last` sets the final-block flag.
 */
export function compress(
  h: Uint32Array,
  data: Uint8Array,
  offset: number,
  counter: number,
  last: boolean,
): void {
  for (let j = 0; j < 32; j++) {
    const o = offset + j * 4;
    m[j] = data[o]! | (data[o + 1]! << 8) | (data[o + 2]! << 16) | (data[o + 3]! << 24);
  }
  let v0l = h[0]! | 0;
  let v0h = h[1]! | 0;
  let v1l = h[2]! | 0;
  let v1h = h[3]! | 0;
  let v2l = h[4]! | 0;
  let v2h = h[5]! | 0;
  let v3l = h[6]! | 0;
  let v3h = h[7]! | 0;
  let v4l = h[8]! | 0;
  let v4h = h[9]! | 0;
  let v5l = h[10]! | 0;
  let v5h = h[11]! | 0;
  let v6l = h[12]! | 0;
  let v6h = h[13]! | 0;
  let v7l = h[14]! | 0;
  let v7h = h[15]! | 0;
  let v8l = IV[0]! | 0;
  let v8h = IV[1]! | 0;
  let v9l = IV[2]! | 0;
  let v9h = IV[3]! | 0;
  let v10l = IV[4]! | 0;
  let v10h = IV[5]! | 0;
  let v11l = IV[6]! | 0;
  let v11h = IV[7]! | 0;
  let v12l = IV[8]! | 0;
  let v12h = IV[9]! | 0;
  let v13l = IV[10]! | 0;
  let v13h = IV[11]! | 0;
  let v14l = IV[12]! | 0;
  let v14h = IV[13]! | 0;
  let v15l = IV[14]! | 0;
  let v15h = IV[15]! | 0;
  v12l ^= counter;
  v12h ^= Math.floor(counter / 0x100000000);
  if (last) {
    v14l = ~v14l;
    v14h = ~v14h;
  }
  let i: number, t: number, xl: number, xh: number;
  for (let k = 0; k < 192; k += 16) {
    // G0: v0, v4, v8, v12
    i = SIGMA[k + 0]!;
    t = (v0l >>> 0) + (v4l >>> 0) + m[i]!;
    v0h = (v0h + v4h + m[i + 1]! + ((t / 0x100000000) | 0)) | 0;
    v0l = t | 0;
    t = v12l ^ v0l;
    v12l = v12h ^ v0h;
    v12h = t;
    t = (v8l >>> 0) + (v12l >>> 0);
    v8h = (v8h + v12h + ((t / 0x100000000) | 0)) | 0;
    v8l = t | 0;
    xl = v4l ^ v8l;
    xh = v4h ^ v8h;
    v4l = (xl >>> 24) | (xh << 8);
    v4h = (xh >>> 24) | (xl << 8);
    i = SIGMA[k + 1]!;
    t = (v0l >>> 0) + (v4l >>> 0) + m[i]!;
    v0h = (v0h + v4h + m[i + 1]! + ((t / 0x100000000) | 0)) | 0;
    v0l = t | 0;
    xl = v12l ^ v0l;
    xh = v12h ^ v0h;
    v12l = (xl >>> 16) | (xh << 16);
    v12h = (xh >>> 16) | (xl << 16);
    t = (v8l >>> 0) + (v12l >>> 0);
    v8h = (v8h + v12h + ((t / 0x100000000) | 0)) | 0;
    v8l = t | 0;
    xl = v4l ^ v8l;
    xh = v4h ^ v8h;
    v4l = (xl << 1) | (xh >>> 31);
    v4h = (xh << 1) | (xl >>> 31);
    // G1: v1, v5, v9, v13
    i = SIGMA[k + 2]!;
    t = (v1l >>> 0) + (v5l >>> 0) + m[i]!;
    v1h = (v1h + v5h + m[i + 1]! + ((t / 0x100000000) | 0)) | 0;
    v1l = t | 0;
    t = v13l ^ v1l;
    v13l = v13h ^ v1h;
    v13h = t;
    t = (v9l >>> 0) + (v13l >>> 0);
    v9h = (v9h + v13h + ((t / 0x100000000) | 0)) | 0;
    v9l = t | 0;
    xl = v5l ^ v9l;
    xh = v5h ^ v9h;
    v5l = (xl >>> 24) | (xh << 8);
    v5h = (xh >>> 24) | (xl << 8);
    i = SIGMA[k + 3]!;
    t = (v1l >>> 0) + (v5l >>> 0) + m[i]!;
    v1h = (v1h + v5h + m[i + 1]! + ((t / 0x100000000) | 0)) | 0;
    v1l = t | 0;
    xl = v13l ^ v1l;
    xh = v13h ^ v1h;
    v13l = (xl >>> 16) | (xh << 16);
    v13h = (xh >>> 16) | (xl << 16);
    t = (v9l >>> 0) + (v13l >>> 0);
    v9h = (v9h + v13h + ((t / 0x100000000) | 0)) | 0;
    v9l = t | 0;
    xl = v5l ^ v9l;
    xh = v5h ^ v9h;
    v5l = (xl << 1) | (xh >>> 31);
    v5h = (xh << 1) | (xl >>> 31);
    // G2: v2, v6, v10, v14
    i = SIGMA[k + 4]!;
    t = (v2l >>> 0) + (v6l >>> 0) + m[i]!;
    v2h = (v2h + v6h + m[i + 1]! + ((t / 0x100000000) | 0)) | 0;
    v2l = t | 0;
    t = v14l ^ v2l;
    v14l = v14h ^ v2h;
    v14h = t;
    t = (v10l >>> 0) + (v14l >>> 0);
    v10h = (v10h + v14h + ((t / 0x100000000) | 0)) | 0;
    v10l = t | 0;
    xl = v6l ^ v10l;
    xh = v6h ^ v10h;
    v6l = (xl >>> 24) | (xh << 8);
    v6h = (xh >>> 24) | (xl << 8);
    i = SIGMA[k + 5]!;
    t = (v2l >>> 0) + (v6l >>> 0) + m[i]!;
    v2h = (v2h + v6h + m[i + 1]! + ((t / 0x100000000) | 0)) | 0;
    v2l = t | 0;
    xl = v14l ^ v2l;
    xh = v14h ^ v2h;
    v14l = (xl >>> 16) | (xh << 16);
    v14h = (xh >>> 16) | (xl << 16);
    t = (v10l >>> 0) + (v14l >>> 0);
    v10h = (v10h + v14h + ((t / 0x100000000) | 0)) | 0;
    v10l = t | 0;
    xl = v6l ^ v10l;
    xh = v6h ^ v10h;
    v6l = (xl << 1) | (xh >>> 31);
    v6h = (xh << 1) | (xl >>> 31);
    // G3: v3, v7, v11, v15
    i = SIGMA[k + 6]!;
    t = (v3l >>> 0) + (v7l >>> 0) + m[i]!;
    v3h = (v3h + v7h + m[i + 1]! + ((t / 0x100000000) | 0)) | 0;
    v3l = t | 0;
    t = v15l ^ v3l;
    v15l = v15h ^ v3h;
    v15h = t;
    t = (v11l >>> 0) + (v15l >>> 0);
    v11h = (v11h + v15h + ((t / 0x100000000) | 0)) | 0;
    v11l = t | 0;
    xl = v7l ^ v11l;
    xh = v7h ^ v11h;
    v7l = (xl >>> 24) | (xh << 8);
    v7h = (xh >>> 24) | (xl << 8);
    i = SIGMA[k + 7]!;
    t = (v3l >>> 0) + (v7l >>> 0) + m[i]!;
    v3h = (v3h + v7h + m[i + 1]! + ((t / 0x100000000) | 0)) | 0;
    v3l = t | 0;
    xl = v15l ^ v3l;
    xh = v15h ^ v3h;
    v15l = (xl >>> 16) | (xh << 16);
    v15h = (xh >>> 16) | (xl << 16);
    t = (v11l >>> 0) + (v15l >>> 0);
    v11h = (v11h + v15h + ((t / 0x100000000) | 0)) | 0;
    v11l = t | 0;
    xl = v7l ^ v11l;
    xh = v7h ^ v11h;
    v7l = (xl << 1) | (xh >>> 31);
    v7h = (xh << 1) | (xl >>> 31);
    // G4: v0, v5, v10, v15
    i = SIGMA[k + 8]!;
    t = (v0l >>> 0) + (v5l >>> 0) + m[i]!;
    v0h = (v0h + v5h + m[i + 1]! + ((t / 0x100000000) | 0)) | 0;
    v0l = t | 0;
    t = v15l ^ v0l;
    v15l = v15h ^ v0h;
    v15h = t;
    t = (v10l >>> 0) + (v15l >>> 0);
    v10h = (v10h + v15h + ((t / 0x100000000) | 0)) | 0;
    v10l = t | 0;
    xl = v5l ^ v10l;
    xh = v5h ^ v10h;
    v5l = (xl >>> 24) | (xh << 8);
    v5h = (xh >>> 24) | (xl << 8);
    i = SIGMA[k + 9]!;
    t = (v0l >>> 0) + (v5l >>> 0) + m[i]!;
    v0h = (v0h + v5h + m[i + 1]! + ((t / 0x100000000) | 0)) | 0;
    v0l = t | 0;
    xl = v15l ^ v0l;
    xh = v15h ^ v0h;
    v15l = (xl >>> 16) | (xh << 16);
    v15h = (xh >>> 16) | (xl << 16);
    t = (v10l >>> 0) + (v15l >>> 0);
    v10h = (v10h + v15h + ((t / 0x100000000) | 0)) | 0;
    v10l = t | 0;
    xl = v5l ^ v10l;
    xh = v5h ^ v10h;
    v5l = (xl << 1) | (xh >>> 31);
    v5h = (xh << 1) | (xl >>> 31);
    // G5: v1, v6, v11, v12
    i = SIGMA[k + 10]!;
    t = (v1l >>> 0) + (v6l >>> 0) + m[i]!;
    v1h = (v1h + v6h + m[i + 1]! + ((t / 0x100000000) | 0)) | 0;
    v1l = t | 0;
    t = v12l ^ v1l;
    v12l = v12h ^ v1h;
    v12h = t;
    t = (v11l >>> 0) + (v12l >>> 0);
    v11h = (v11h + v12h + ((t / 0x100000000) | 0)) | 0;
    v11l = t | 0;
    xl = v6l ^ v11l;
    xh = v6h ^ v11h;
    v6l = (xl >>> 24) | (xh << 8);
    v6h = (xh >>> 24) | (xl << 8);
    i = SIGMA[k + 11]!;
    t = (v1l >>> 0) + (v6l >>> 0) + m[i]!;
    v1h = (v1h + v6h + m[i + 1]! + ((t / 0x100000000) | 0)) | 0;
    v1l = t | 0;
    xl = v12l ^ v1l;
    xh = v12h ^ v1h;
    v12l = (xl >>> 16) | (xh << 16);
    v12h = (xh >>> 16) | (xl << 16);
    t = (v11l >>> 0) + (v12l >>> 0);
    v11h = (v11h + v12h + ((t / 0x100000000) | 0)) | 0;
    v11l = t | 0;
    xl = v6l ^ v11l;
    xh = v6h ^ v11h;
    v6l = (xl << 1) | (xh >>> 31);
    v6h = (xh << 1) | (xl >>> 31);
    // G6: v2, v7, v8, v13
    i = SIGMA[k + 12]!;
    t = (v2l >>> 0) + (v7l >>> 0) + m[i]!;
    v2h = (v2h + v7h + m[i + 1]! + ((t / 0x100000000) | 0)) | 0;
    v2l = t | 0;
    t = v13l ^ v2l;
    v13l = v13h ^ v2h;
    v13h = t;
    t = (v8l >>> 0) + (v13l >>> 0);
    v8h = (v8h + v13h + ((t / 0x100000000) | 0)) | 0;
    v8l = t | 0;
    xl = v7l ^ v8l;
    xh = v7h ^ v8h;
    v7l = (xl >>> 24) | (xh << 8);
    v7h = (xh >>> 24) | (xl << 8);
    i = SIGMA[k + 13]!;
    t = (v2l >>> 0) + (v7l >>> 0) + m[i]!;
    v2h = (v2h + v7h + m[i + 1]! + ((t / 0x100000000) | 0)) | 0;
    v2l = t | 0;
    xl = v13l ^ v2l;
    xh = v13h ^ v2h;
    v13l = (xl >>> 16) | (xh << 16);
    v13h = (xh >>> 16) | (xl << 16);
    t = (v8l >>> 0) + (v13l >>> 0);
    v8h = (v8h + v13h + ((t / 0x100000000) | 0)) | 0;
    v8l = t | 0;
    xl = v7l ^ v8l;
    xh = v7h ^ v8h;
    v7l = (xl << 1) | (xh >>> 31);
    v7h = (xh << 1) | (xl >>> 31);
    // G7: v3, v4, v9, v14
    i = SIGMA[k + 14]!;
    t = (v3l >>> 0) + (v4l >>> 0) + m[i]!;
    v3h = (v3h + v4h + m[i + 1]! + ((t / 0x100000000) | 0)) | 0;
    v3l = t | 0;
    t = v14l ^ v3l;
    v14l = v14h ^ v3h;
    v14h = t;
    t = (v9l >>> 0) + (v14l >>> 0);
    v9h = (v9h + v14h + ((t / 0x100000000) | 0)) | 0;
    v9l = t | 0;
    xl = v4l ^ v9l;
    xh = v4h ^ v9h;
    v4l = (xl >>> 24) | (xh << 8);
    v4h = (xh >>> 24) | (xl << 8);
    i = SIGMA[k + 15]!;
    t = (v3l >>> 0) + (v4l >>> 0) + m[i]!;
    v3h = (v3h + v4h + m[i + 1]! + ((t / 0x100000000) | 0)) | 0;
    v3l = t | 0;
    xl = v14l ^ v3l;
    xh = v14h ^ v3h;
    v14l = (xl >>> 16) | (xh << 16);
    v14h = (xh >>> 16) | (xl << 16);
    t = (v9l >>> 0) + (v14l >>> 0);
    v9h = (v9h + v14h + ((t / 0x100000000) | 0)) | 0;
    v9l = t | 0;
    xl = v4l ^ v9l;
    xh = v4h ^ v9h;
    v4l = (xl << 1) | (xh >>> 31);
    v4h = (xh << 1) | (xl >>> 31);
  }
  h[0] = h[0]! ^ v0l ^ v8l;
  h[1] = h[1]! ^ v0h ^ v8h;
  h[2] = h[2]! ^ v1l ^ v9l;
  h[3] = h[3]! ^ v1h ^ v9h;
  h[4] = h[4]! ^ v2l ^ v10l;
  h[5] = h[5]! ^ v2h ^ v10h;
  h[6] = h[6]! ^ v3l ^ v11l;
  h[7] = h[7]! ^ v3h ^ v11h;
  h[8] = h[8]! ^ v4l ^ v12l;
  h[9] = h[9]! ^ v4h ^ v12h;
  h[10] = h[10]! ^ v5l ^ v13l;
  h[11] = h[11]! ^ v5h ^ v13h;
  h[12] = h[12]! ^ v6l ^ v14l;
  h[13] = h[13]! ^ v6h ^ v14h;
  h[14] = h[14]! ^ v7l ^ v15l;
  h[15] = h[15]! ^ v7h ^ v15h;
}
