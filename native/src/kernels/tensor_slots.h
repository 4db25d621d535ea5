// Many tensors in one launch: the batched codec kernels (encode_batch, quantize_batch) number the chunks
// and kept entries of every tensor consecutively, in table order, so one grid covers a whole model and
// one synchronization ends a whole window's encode. Launching per tensor instead costs a few microseconds
// per kernel and a synchronization per tensor, which for a 150M model (about a hundred tensors, most
// under 3 MB) is several times the DRAM time of the work itself (ADR 0020).
// Plain struct and host/device helpers; compiles under nvcc and under a plain C++ compiler.
#pragma once

#include <cstdint>

#include "kernels/chunk_geometry.h"

namespace cohort::kernels {

// One tensor of a batch and where its chunks and kept entries start in the batch's numbering.
struct TensorSlot {
  ChunkGeometry geometry;
  int64_t chunk_base = 0;  // Σ chunk_count() of the earlier slots
  int64_t kept_base = 0;   // Σ total_kept() of the earlier slots
};

// Totals of a laid-out table.
struct SlotTotals {
  int64_t chunks = 0;
  int64_t kept = 0;
};

// Fills chunk_base and kept_base of slots[0..count) from their geometries, in table order.
inline SlotTotals lay_out_slots(TensorSlot* slots, int count) {
  SlotTotals t;
  for (int s = 0; s < count; ++s) {
    slots[s].chunk_base = t.chunks;
    slots[s].kept_base = t.kept;
    t.chunks += slots[s].geometry.chunk_count();
    t.kept += slots[s].geometry.total_kept();
  }
  return t;
}

// The slot holding batch chunk `chunk` (0 ≤ chunk < total chunks of a laid-out table): the last slot
// whose chunk_base ≤ chunk. Binary search, so a thread finds its tensor in log2(count) reads of a table
// that stays in cache.
COHORT_HOST_DEVICE inline int slot_of_chunk(const TensorSlot* slots, int count, int64_t chunk) {
  int lo = 0;
  int hi = count - 1;
  while (lo < hi) {
    const int mid = lo + (hi - lo + 1) / 2;
    if (slots[mid].chunk_base <= chunk) {
      lo = mid;
    } else {
      hi = mid - 1;
    }
  }
  return lo;
}

// Where batch chunk `chunk` lives: its slot, its chunk index within that tensor, and where its kept entries
// start in the batch's kept numbering.
struct ChunkAt {
  int slot;
  int64_t local;
  int64_t kept_at;
};

COHORT_HOST_DEVICE inline ChunkAt locate_chunk(const TensorSlot* slots, int count, int64_t chunk) {
  const int s = slot_of_chunk(slots, count, chunk);
  const int64_t local = chunk - slots[s].chunk_base;
  return {s, local, slots[s].kept_base + slots[s].geometry.chunk_offset(local)};
}

}  // namespace cohort::kernels
