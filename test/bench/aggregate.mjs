// Aggregate size and aggregation time (issue 9): P signed update objects at density 1/64 (tile 64, top-k 64
// of every 4096-element chunk, 2-bit codes, Rice-coded indices: DEFAULT_CODEC) for the tensor table of the
// 150M preset, aggregated by @cohort/native's aggregateUpdates exactly as the aggregator calls it, for P = 4,
// 8 and 20. Records the aggregate's bytes against the sum of its inputs (what a replica downloads with and
// without an aggregator), the aggregate as a multiple of one input, its union entries and the aggregation time.
// The pseudo-gradients are synthetic with fixed seeds: Δ_p = sqrt(ρ)·common + sqrt(1 − ρ)·own_p per element,
// iid N(0, σ²) parts. ρ = 0 (independent contributors: the issue's figure, and the largest union) runs on
// every tensor of the 150M table; the full run adds ρ = 0.5 and 0.9 (a share of variance common to all, as
// the codec bench's --correlation) on layer 0 of that table, where the size ratios are the same and the
// setup 16 times cheaper. Each update is encoded with encodeUpdate and signed by its contributor's own
// sr25519 hotkey. Writes test/bench/results/aggregate.json.
//   pnpm bench aggregate [--quick]     (--quick: ρ = 0 on layer 0 only; under a minute. Full: about 3.5 minutes on 2 cores)
import { Buffer } from 'node:buffer';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { blake2b256, dataReceipt, hotkeyFromSeed } from '@cohort/core';
import {
  aggregateUpdates,
  decodeAggregate,
  decodeUpdate,
  DEFAULT_CODEC,
  encodeUpdate,
  signObject,
} from '@cohort/native';
import { median, round, load } from './stats.mjs';

const root = resolve(fileURLToPath(import.meta.url), '../../..');
const quick = process.argv.includes('--quick');
const out = resolve(root, 'test/bench/results/aggregate.json');

const RUN = 'bench-aggregate';
const WINDOW = 9;
const SEED = 1;
const SIGMA = 1e-3;
const CONTRIBUTORS = [4, 8, 20];
const REPS = quick ? 3 : 5;
const CODEC = {
  tileSide: DEFAULT_CODEC.tileSide,
  topk: DEFAULT_CODEC.topk,
  indexCoding: DEFAULT_CODEC.indexCoding,
};
const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;
const numel = (shape) => shape.reduce((a, b) => a * b, 1);

// The 150M preset's tensor table: parameter_specs(preset_config("150M")) of native/src/core/model_config.cc
// (dim 1024, 12 layers, 16 heads, 16 kv heads, ffn 2816, vocabulary 50304, tied embeddings: no lm_head).
const PRESET = { name: '150M', vocab: 50304, dim: 1024, layers: 12, kvDim: 1024, ffn: 2816 };
function tensorTable({ layers, embedding }) {
  const { vocab, dim, kvDim, ffn } = PRESET;
  const specs = embedding ? [{ name: 'model.embed_tokens.weight', shape: [vocab, dim] }] : [];
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}.`;
    specs.push(
      { name: `${p}input_layernorm.weight`, shape: [dim] },
      { name: `${p}self_attn.q_proj.weight`, shape: [dim, dim] },
      { name: `${p}self_attn.k_proj.weight`, shape: [kvDim, dim] },
      { name: `${p}self_attn.v_proj.weight`, shape: [kvDim, dim] },
      { name: `${p}self_attn.o_proj.weight`, shape: [dim, dim] },
      { name: `${p}post_attention_layernorm.weight`, shape: [dim] },
      { name: `${p}mlp.gate_proj.weight`, shape: [ffn, dim] },
      { name: `${p}mlp.up_proj.weight`, shape: [ffn, dim] },
      { name: `${p}mlp.down_proj.weight`, shape: [dim, ffn] },
    );
  }
  specs.push({ name: 'model.norm.weight', shape: [dim] });
  return specs;
}

/** docs/wire-format.md §2: the blocks one dimension of s elements splits into, for the largest tile side T. */
function blocks(s, T) {
  if (s <= T) return [s];
  let d = T;
  while (s % d !== 0) d--;
  if (2 * d >= T) return Array(s / d).fill(d);
  return Array.from({ length: Math.ceil(s / T) }, (_, i) => (i < Math.floor(s / T) ? T : s % T || T));
}
/** Chunk sizes of a tensor (rank 1 is the matrix (1, n)). */
function chunkSizes(shape) {
  const [rows, cols] = shape.length === 1 ? [1, shape[0]] : shape;
  const T = CODEC.tileSide;
  return blocks(rows, T).flatMap((h) => blocks(cols, T).map((w) => h * w));
}

/** A tensor table with what the bench derives from it. */
function model(name, description, subset) {
  const table = tensorTable(subset);
  const chunks = table.flatMap((t) => chunkSizes(t.shape));
  // Bytes of an object outside its entries (docs/wire-format.md §4–§8): header (192), tensor table,
  // trailer (96) and per tensor its body header (update: 28, its ⌈N/4⌉ bytes of codes count as entries;
  // aggregate: 12); an aggregate adds its contributor list (4 + 64 per contributor).
  const tableBytes = 4 + table.reduce((n, t) => n + 2 + t.name.length + 2 + 4 * t.shape.length, 0);
  return {
    name,
    description,
    table,
    parameters: table.reduce((n, t) => n + numel(t.shape), 0),
    kept: chunks.reduce((n, c) => n + Math.min(CODEC.topk, c), 0),
    /** Expected union entries of P independent contributors: each chunk keeps a uniform k-subset of its c. */
    unionIfIndependent: (P) =>
      chunks.reduce((n, c) => n + (c <= CODEC.topk ? c : c * (1 - (1 - CODEC.topk / c) ** P)), 0),
    updateOverhead: 192 + tableBytes + 96 + 28 * table.length,
    aggregateOverhead: (P) => 192 + 4 + 64 * P + tableBytes + 96 + 12 * table.length,
  };
}
const ALL = model(
  '150M',
  'every tensor of parameter_specs(preset_config("150M")) (tied embeddings, so no lm_head.weight)',
  { layers: PRESET.layers, embedding: true },
);
const LAYER0 = model(
  '150M layer 0',
  'model.layers.0.* and model.norm.weight of the 150M table (no embedding), as `pnpm bench codec --quick`',
  { layers: 1, embedding: false },
);
/** ρ = 0 is the issue's figure; the others show how far shared indices shrink the union. */
const SCENARIOS = quick
  ? [{ rho: 0, model: LAYER0 }]
  : [
      { rho: 0, model: ALL },
      { rho: 0.5, model: LAYER0 },
      { rho: 0.9, model: LAYER0 },
    ];

/**
 * A seeded stream of N(0, 1) floats: sfc32 (128-bit state; different streams do not overlap in practice)
 * seeded through splitmix32, and Marsaglia's polar method on pairs of 32-bit uniforms in [−1, 1).
 */
function normalStream(seed, stream) {
  let x = (seed ^ Math.imul(stream + 1, 0x9e3779b9)) >>> 0;
  const splitmix = () => {
    x = (x + 0x9e3779b9) >>> 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) | 0;
  };
  let a = splitmix();
  let b = splitmix();
  let c = splitmix();
  let d = splitmix();
  /** The next signed 32-bit output. */
  const next = () => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t;
  };
  for (let i = 0; i < 16; i++) next();
  /** Fill `target` with scale·N(0, 1) values. */
  return (target, scale) => {
    const n = target.length;
    for (let i = 0; i < n; i += 2) {
      let u, v, s;
      do {
        u = next() * 4.656612873077393e-10; // 2^-31
        v = next() * 4.656612873077393e-10;
        s = u * u + v * v;
      } while (s >= 1 || s === 0);
      const f = scale * Math.sqrt((-2 * Math.log(s)) / s);
      target[i] = u * f;
      if (i + 1 < n) target[i + 1] = v * f;
    }
  };
}

const stateFingerprint = blake2b256(Buffer.from(`${RUN} θ_${WINDOW}`));
const aggregator = hotkeyFromSeed(new Uint8Array(32).fill(0xaa));
const maxP = Math.max(...CONTRIBUTORS);
/** Contributor p's hotkey (p = 1..20): the seed is 32 bytes of p. */
const pairs = Array.from({ length: maxP }, (_, i) => hotkeyFromSeed(new Uint8Array(32).fill(i + 1)));

/** maxP signed updates with common-variance share rho; contributor p uses stream p, the common part stream 0. */
async function makeUpdates(m, rho) {
  const t0 = performance.now();
  // Dense buffers reused for every contributor (encodeUpdate has read them once its Promise settles).
  const dense = m.table.map((t) => ({ ...t, data: new Float32Array(numel(t.shape)) }));
  const common = rho > 0 ? m.table.map((t) => new Float32Array(numel(t.shape))) : null;
  if (common) {
    const fill = normalStream(SEED, 0);
    for (const c of common) fill(c, SIGMA * Math.sqrt(rho));
  }
  const objects = [];
  let dataSeconds = 0;
  let encodeSeconds = 0;
  for (const [i, pair] of pairs.entries()) {
    const g0 = performance.now();
    const fill = normalStream(SEED, i + 1);
    for (const [j, t] of dense.entries()) {
      fill(t.data, SIGMA * Math.sqrt(1 - rho));
      if (common) {
        const c = common[j];
        const data = t.data;
        for (let e = 0; e < data.length; e++) data[e] += c[e];
      }
    }
    const e0 = performance.now();
    dataSeconds += (e0 - g0) / 1000;
    const update = await encodeUpdate(
      dense,
      {
        runId: RUN,
        window: WINDOW,
        hotkey: pair.publicKey,
        stateFingerprint,
        dataReceipt: dataReceipt([BigInt(i + 1)]),
      },
      CODEC,
    );
    signObject(update.bytes, pair);
    encodeSeconds += (performance.now() - e0) / 1000;
    objects.push(update.bytes);
  }
  // A check of the setup: the first update decodes, verifies and keeps the expected count.
  const check = await decodeUpdate(objects[0], {
    expect: { runId: RUN, window: WINDOW, hotkey: pairs[0].publicKey },
  });
  if (!check.ok) throw new Error(`update 1 does not decode: ${check.reason} ${check.detail}`);
  if (check.summary.keptValues !== m.kept)
    throw new Error(`update 1 keeps ${check.summary.keptValues} entries, expected ${m.kept}`);
  const seconds = (performance.now() - t0) / 1000;
  console.log(
    `${m.name}, ρ = ${rho}: ${maxP} signed updates of ${mb(objects[0].length)} in ${seconds.toFixed(1)} s ` +
      `(data ${dataSeconds.toFixed(1)} s, encode + sign ${encodeSeconds.toFixed(1)} s)`,
  );
  return { objects, seconds: round(seconds, 1) };
}

/** Aggregate the first P objects REPS times; sizes, union and times. */
async function measure(m, objects, P, rho) {
  const selected = objects.slice(0, P);
  const hotkeys = pairs.slice(0, P).map((p) => p.publicKey);
  const header = { runId: RUN, window: WINDOW, hotkey: aggregator.publicKey, stateFingerprint };
  const options = { expect: { runId: RUN, window: WINDOW, hotkeys } };
  const times = [];
  const signTimes = [];
  let result;
  for (let r = 0; r < REPS; r++) {
    const t0 = performance.now();
    result = await aggregateUpdates(selected, header, options);
    const t1 = performance.now();
    signObject(result.bytes, aggregator);
    signTimes.push(performance.now() - t1);
    times.push(t1 - t0);
  }
  const excluded = result.contributors.filter((c) => !c.included);
  if (excluded.length > 0)
    throw new Error(`excluded: ${excluded.map((c) => `${c.index} ${c.reason} ${c.detail}`).join('; ')}`);
  const decoded = await decodeAggregate(result.bytes, {
    expect: { runId: RUN, window: WINDOW, hotkey: aggregator.publicKey },
  });
  if (!decoded.ok) throw new Error(`the aggregate does not decode: ${decoded.reason} ${decoded.detail}`);
  const v1Bytes = (await aggregateUpdates(selected, header, { ...options, formatVersion: 1 })).bytes.length;
  const sum = selected.reduce((n, o) => n + o.length, 0);
  const mean = sum / P;
  const bytes = result.bytes.length;
  const union = decoded.summary.valueCount;
  const row = {
    model: m.name,
    correlation: rho,
    contributors: P,
    input_bytes_each: Math.round(mean),
    input_bytes_sum: sum,
    aggregate_bytes: bytes,
    aggregate_over_sum: round(bytes / sum, 4),
    aggregate_over_one_input: round(bytes / mean, 3),
    aggregate_v1_bytes: v1Bytes,
    aggregate_v1_over_sum: round(v1Bytes / sum, 4),
    v1_over_v2: round(v1Bytes / bytes, 3),
    download_saving_bytes: sum - bytes,
    kept_entries_per_input: m.kept,
    union_entries: union,
    union_over_one_input: round(union / m.kept, 3),
    union_entries_if_independent: Math.round(m.unionIfIndependent(P)),
    union_density: round(union / m.parameters, 5),
    input_bits_per_entry: round(((mean - m.updateOverhead) * 8) / m.kept, 3),
    aggregate_bits_per_entry: round(((bytes - m.aggregateOverhead(P)) * 8) / union, 3),
    aggregate_ms: round(median(times), 1),
    aggregate_ms_reps: times.map((t) => round(t, 1)),
    sign_ms: round(median(signTimes), 2),
  };
  console.log(
    `${m.name}, ρ = ${rho}, P = ${String(P).padStart(2)}: aggregate ${mb(bytes)} (version 1: ${mb(v1Bytes)}) vs sum ${mb(sum)} ` +
      `(${row.aggregate_over_sum.toFixed(3)}× the sum, ${row.aggregate_over_one_input.toFixed(2)}× one input), ` +
      `union ${union} entries (${row.union_over_one_input.toFixed(2)}× one input's), ` +
      `aggregateUpdates ${row.aggregate_ms.toFixed(1)} ms (median of ${REPS}), sign ${row.sign_ms.toFixed(2)} ms`,
  );
  return row;
}

const loadStart = load();
const started = performance.now();
for (const m of new Set(SCENARIOS.map((s) => s.model)))
  console.log(
    `${m.name}: ${m.table.length} tensors, ${m.parameters} parameters, ${m.kept} kept per update ` +
      `(density ${(m.kept / m.parameters).toFixed(5)})`,
  );
const rows = [];
const setupSeconds = {};
for (const { rho, model: m } of SCENARIOS) {
  const { objects, seconds } = await makeUpdates(m, rho);
  setupSeconds[`${m.name}, ρ = ${rho}`] = seconds;
  for (const P of CONTRIBUTORS) rows.push(await measure(m, objects, P, rho));
}

const pad = (s, n) => String(s).padStart(n);
console.log('');
console.log(
  `${'model'.padEnd(13)} ${pad('ρ', 3)} ${pad('P', 3)} ${pad('Σ inputs', 10)} ${pad('aggregate', 10)} ` +
    `${pad('agg/Σ', 6)} ${pad('agg/one', 7)} ${pad('union/one', 9)} ${pad('ms', 8)}`,
);
for (const r of rows)
  console.log(
    `${r.model.padEnd(13)} ${pad(r.correlation, 3)} ${pad(r.contributors, 3)} ${pad(mb(r.input_bytes_sum), 10)} ` +
      `${pad(mb(r.aggregate_bytes), 10)} ${pad(r.aggregate_over_sum.toFixed(3), 6)} ` +
      `${pad(r.aggregate_over_one_input.toFixed(2), 7)} ${pad(r.union_over_one_input.toFixed(2), 9)} ` +
      `${pad(r.aggregate_ms.toFixed(1), 8)}`,
  );

const main = SCENARIOS[0].model;
const summary = Object.fromEntries(
  rows
    .filter((r) => r.correlation === 0)
    .map((r) => [
      String(r.contributors),
      {
        input_bytes_sum: r.input_bytes_sum,
        aggregate_bytes: r.aggregate_bytes,
        aggregate_over_sum: r.aggregate_over_sum,
        aggregate_over_one_input: r.aggregate_over_one_input,
        aggregate_v1_bytes: r.aggregate_v1_bytes,
        v1_over_v2: r.v1_over_v2,
        union_entries: r.union_entries,
        download_saving_bytes: r.download_saving_bytes,
        aggregate_ms: r.aggregate_ms,
      },
    ]),
);
const modelJson = (m) => ({
  name: m.name,
  preset: PRESET.name,
  subset: m.description,
  tensor_count: m.table.length,
  parameters: m.parameters,
  kept_entries_per_update: m.kept,
  density: round(m.kept / m.parameters, 6),
  tensors: m.table.map((t) => `${t.name} [${t.shape.join(', ')}]`),
});
const result = {
  bench: 'aggregate',
  date: new Date().toISOString(),
  quick,
  machine: {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    loadavg_start: loadStart,
    loadavg_end: load(),
  },
  models: [...new Set(SCENARIOS.map((s) => s.model))].map(modelJson),
  scenarios: SCENARIOS.map((s) => ({ model: s.model.name, correlation: s.rho })),
  codec: {
    ...CODEC,
    value_bits: 2,
    note: 'DEFAULT_CODEC: chunks of at most 64 × 64 = 4096 elements, top-64 each (density 1/64; dense 1-D norm chunks keep every entry)',
  },
  contributorCounts: CONTRIBUTORS,
  method:
    `Synthetic pseudo-gradients with fixed seeds (seed ${SEED}): per element Δ_p = sqrt(ρ)·common + sqrt(1 − ρ)·own_p, ` +
    `common and own_p iid N(0, ${SIGMA}²) (sfc32 + Marsaglia's polar method in this process; contributor p uses stream p, the common part stream 0). ` +
    `Each of ${maxP} contributors' Δ_p is encoded with @cohort/native encodeUpdate (top-k per chunk, 2-bit codes, Rice indices; ` +
    `run ${RUN}, window ${WINDOW}, one state fingerprint, a data receipt per contributor) and signed with signObject by its own sr25519 hotkey ` +
    '(hotkeyFromSeed of 32 bytes of p). For P in contributorCounts the first P objects are aggregated by ' +
    'aggregateUpdates(objects, {runId, window, hotkey: aggregator, stateFingerprint}, {expect: {runId, window, hotkeys}}), as the aggregator calls it ' +
    '(every signature checked in JS, then decode, median-norm clip, mean and write natively on one libuv thread); ' +
    `aggregate_ms = the median over ${REPS} calls of its wall time; sign_ms = signing the aggregate, apart. ` +
    'union_entries = decodeAggregate(aggregate).summary.valueCount; union_entries_if_independent = Σ over chunks of c·(1 − (1 − k/c)^P). ' +
    'download_saving_bytes = Σ inputs − aggregate: what a replica saves per window by downloading the aggregate instead of every ' +
    'selected update (negative: it downloads more). *_bits_per_entry = body bytes (the object minus header, tensor table, per-tensor ' +
    'body headers, contributor list and trailer) × 8 / entries. ' +
    (quick
      ? 'Quick: ρ = 0 on layer 0 of the 150M table only; the size ratios match the full table, absolute bytes and times are about 1/16.'
      : 'ρ = 0 on the whole 150M table (summary); ρ = 0.5 and 0.9 on its layer 0, where the size ratios are the same as on the whole table.'),
  note:
    'An update carries a 2-bit code and a Rice-coded in-chunk index per kept entry (about 9.4 bits). The aggregate (wire format ' +
    'version 2, docs/wire-format.md §7) carries a Rice-coded flat index per union entry and its value as a rank in a per-tensor ' +
    'palette of the distinct fp32 values, ordered by frequency and exp-Golomb coded, where that is smaller than raw fp32. Most union ' +
    'entries are chosen by one contributor and take one of its 4 dequantized values, so the ranks cost a few bits; version 1 spent 32 ' +
    '(aggregate_v1_bytes: the same aggregate written as version 1, v1_over_v2 the ratio). With independent contributors the union grows ' +
    'almost P-fold (union_over_one_input ≈ union_entries_if_independent / kept), so the aggregate stays near the sum of its inputs: ' +
    'a replica downloads about as much as the P updates in one object. Shared indices (ρ > 0) shrink the union, but coordinates ' +
    'chosen by many contributors take many distinct means, so their values are less compressible. Aggregation time grows about ' +
    'linearly with P; aggregate_ms includes the palette coding. ' +
    `This machine has ${cpus().length} cores; aggregateUpdates runs on one libuv thread (the native writer on every core).`,
  summary: { model: main.name, correlation: 0, byContributors: summary },
  rows,
  setupSeconds,
  totalSeconds: round((performance.now() - started) / 1000, 1),
};
writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
console.log(`wrote ${out}`);
