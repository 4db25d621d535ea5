// Deterministic mutational fuzzing of the codec's readers of untrusted bytes: decode_update and
// decode_aggregate. Valid seed objects (both index codings, several tilings, three aggregates, palette-coded and version 1) are mutated
// with a fixed-seed std::mt19937_64 (bit flips, interesting bytes, boundary integers, truncation,
// extension, chunk duplication and deletion, splicing, and mutations aimed at the header, tensor table and
// tensor sections), then mostly re-sealed (total length, model fingerprint and BLAKE2b trailer recomputed)
// so the structural parser runs instead of the hash check rejecting everything. Every mutant must either
// decode or be rejected by a CodecError with a named reason; anything else (another exception type, a
// decode slower than the hang guard, an allocation beyond a bounded multiple of the input) fails.
// Accepted mutants must also re-encode to the same bytes: the format has one canonical encoding.
//
// Environment: COHORT_FUZZ_ITERATIONS (mutants per run, default 1,000,000), COHORT_FUZZ_SEED (the RNG
// seed, default fixed), COHORT_FUZZ_WRITE_CORPUS (a directory to write the seed objects into, e.g. as the
// starting corpus of the libFuzzer target in native/fuzz/).
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <new>
#include <optional>
#include <random>
#include <string>
#include <typeinfo>
#include <vector>

#include "cohort/blake2b.h"
#include "cohort/codec/aggregate.h"
#include "cohort/codec/encode.h"
#include "cohort/codec/wire.h"
#include "cohort/errors.h"
#include "codec/wire_common.h"
#include "test_harness.h"

// ---------------------------------------------------------------------------------------------------
// Allocation tracking: global operator new/delete replaced for this executable. While a decode runs,
// the largest single request and the peak of live heap bytes above the starting point are recorded.
// Requests above kHardCapBytes during a decode are refused (std::bad_alloc, reported as a failure) so a
// runaway size never reaches the machine's memory.

namespace {

constexpr size_t kHeapHeader = alignof(std::max_align_t);
constexpr size_t kHardCapBytes = size_t{256} << 20;

std::atomic<bool> g_tracking{false};
std::atomic<size_t> g_largest_request{0};
std::atomic<int64_t> g_live_bytes{0};
std::atomic<int64_t> g_tracking_base{0};
std::atomic<int64_t> g_peak_above_base{0};

void raise_to(std::atomic<size_t>& slot, size_t value) {
  size_t seen = slot.load(std::memory_order_relaxed);
  while (value > seen && !slot.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}
void raise_to(std::atomic<int64_t>& slot, int64_t value) {
  int64_t seen = slot.load(std::memory_order_relaxed);
  while (value > seen && !slot.compare_exchange_weak(seen, value, std::memory_order_relaxed)) {
  }
}

// Records a request; false when it must be refused.
bool note_request(size_t n) {
  if (!g_tracking.load(std::memory_order_relaxed)) {
    return true;
  }
  raise_to(g_largest_request, n);
  return n <= kHardCapBytes;
}

void* tracked_alloc(size_t n) {
  if (!note_request(n) || n > std::numeric_limits<size_t>::max() - kHeapHeader) {
    return nullptr;
  }
  void* base = std::malloc(n + kHeapHeader);
  if (base == nullptr) {
    return nullptr;
  }
  std::memcpy(base, &n, sizeof n);
  const int64_t live = g_live_bytes.fetch_add(static_cast<int64_t>(n), std::memory_order_relaxed) + static_cast<int64_t>(n);
  if (g_tracking.load(std::memory_order_relaxed)) {
    raise_to(g_peak_above_base, live - g_tracking_base.load(std::memory_order_relaxed));
  }
  return static_cast<char*>(base) + kHeapHeader;
}

void tracked_free(void* p) noexcept {
  if (p == nullptr) {
    return;
  }
  char* base = static_cast<char*>(p) - kHeapHeader;
  size_t n = 0;
  std::memcpy(&n, base, sizeof n);
  g_live_bytes.fetch_sub(static_cast<int64_t>(n), std::memory_order_relaxed);
  std::free(base);
}

void* tracked_aligned_alloc(size_t n, std::align_val_t align) {
  const auto a = static_cast<size_t>(align);
  if (!note_request(n) || n > std::numeric_limits<size_t>::max() - a) {
    return nullptr;
  }
  const size_t rounded = (std::max<size_t>(n, 1) + a - 1) / a * a;
  return std::aligned_alloc(a, rounded);
}

}  // namespace

void* operator new(size_t n) {
  void* p = tracked_alloc(n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new[](size_t n) {
  void* p = tracked_alloc(n);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new(size_t n, const std::nothrow_t&) noexcept { return tracked_alloc(n); }
void* operator new[](size_t n, const std::nothrow_t&) noexcept { return tracked_alloc(n); }
void operator delete(void* p) noexcept { tracked_free(p); }
void operator delete[](void* p) noexcept { tracked_free(p); }
void operator delete(void* p, size_t) noexcept { tracked_free(p); }
void operator delete[](void* p, size_t) noexcept { tracked_free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { tracked_free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { tracked_free(p); }
void* operator new(size_t n, std::align_val_t a) {
  void* p = tracked_aligned_alloc(n, a);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new[](size_t n, std::align_val_t a) {
  void* p = tracked_aligned_alloc(n, a);
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
void* operator new(size_t n, std::align_val_t a, const std::nothrow_t&) noexcept { return tracked_aligned_alloc(n, a); }
void* operator new[](size_t n, std::align_val_t a, const std::nothrow_t&) noexcept { return tracked_aligned_alloc(n, a); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

using namespace cohort;
using namespace cohort::codec;
namespace wire = cohort::codec::detail;

namespace {

using Bytes = std::vector<uint8_t>;
using Clock = std::chrono::steady_clock;

constexpr uint64_t kDefaultIterations = 1000000;
constexpr uint64_t kDefaultRngSeed = 0xC0FFEE5EEDULL;
constexpr size_t kMaxMutantBytes = size_t{64} << 10;
constexpr uint64_t kDecodeCapBytes = uint64_t{1} << 20;  // DecodeLimits::max_bytes in the harness
constexpr double kHangSeconds = 1.0;
constexpr size_t kReproducersKept = 4;

uint64_t env_u64(const char* name, uint64_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr || *text == '\0') {
    return fallback;
  }
  char* end = nullptr;
  const unsigned long long v = std::strtoull(text, &end, 0);
  return (end != nullptr && *end == '\0') ? static_cast<uint64_t>(v) : fallback;
}

std::string hex(const uint8_t* p, size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2 + n / 32);
  for (size_t i = 0; i < n; ++i) {
    if (i != 0 && i % 32 == 0) out.push_back('\n');
    out.push_back(digits[p[i] >> 4]);
    out.push_back(digits[p[i] & 15]);
  }
  return out;
}

// ------------------------------------------------------------------------------------------------
// Seeds and their field maps.

enum class FieldType : uint8_t { kInt, kFloat, kRegion };
struct Field {
  size_t offset;
  size_t width;  // bytes (kInt: 1, 2, 3, 4 or 8; kFloat: 4; kRegion: any)
  FieldType type;
  const char* name;
};

struct Seed {
  std::string name;
  ObjectKind kind;
  Bytes bytes;
  Expectations expect;  // the seed's own run, window, signer and model
  std::vector<Field> fields;
};

std::vector<float> gaussian(int64_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0F, scale);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

std::vector<TensorEntry> table_of(const std::vector<std::vector<int64_t>>& shapes) {
  std::vector<TensorEntry> table;
  for (size_t i = 0; i < shapes.size(); ++i) {
    table.push_back({"t" + std::to_string(i) + ".w", static_cast<DType>(i % 3), shapes[i]});
  }
  return table;
}

ObjectHeader header_of(uint8_t key, int tile, int topk, IndexCoding coding) {
  ObjectHeader h;
  h.run_id = "fuzz-run.1";
  h.window = 42;
  h.hotkey.fill(key);
  h.state_fingerprint.fill(0x5A);
  h.data_receipt.fill(0xA5);
  h.codec = {tile, topk, coding};
  return h;
}

std::vector<EncodedTensor> encode_all(const std::vector<TensorEntry>& table, const CodecParams& codec, uint32_t seed) {
  std::vector<EncodedTensor> tensors;
  for (size_t i = 0; i < table.size(); ++i) {
    const ChunkPlan plan(table[i].shape, codec.tile_side, codec.topk);
    const auto data = gaussian(plan.numel(), seed + static_cast<uint32_t>(i), 0.01F * static_cast<float>(1 + i));
    tensors.push_back(encode_tensor(data.data(), plan));
  }
  return tensors;
}

void header_fields(std::vector<Field>& f) {
  f.push_back({0, 4, FieldType::kRegion, "magic"});
  f.push_back({wire::kOffKind, 1, FieldType::kInt, "kind"});
  f.push_back({wire::kOffVersion, 1, FieldType::kInt, "version"});
  f.push_back({wire::kOffFlags, 2, FieldType::kInt, "flags"});
  f.push_back({wire::kOffTile, 1, FieldType::kInt, "tile side"});
  f.push_back({wire::kOffValueBits, 1, FieldType::kInt, "value bits"});
  f.push_back({wire::kOffIndexCoding, 1, FieldType::kInt, "index coding"});
  f.push_back({wire::kOffIndexCoding + 1, 1, FieldType::kInt, "reserved header byte"});
  f.push_back({wire::kOffTopk, 2, FieldType::kInt, "top-k"});
  f.push_back({wire::kOffTopk + 2, 2, FieldType::kInt, "reserved header u16"});
  f.push_back({wire::kOffWindow, 8, FieldType::kInt, "window"});
  f.push_back({wire::kOffRunId, kMaxRunIdBytes, FieldType::kRegion, "run id"});
  f.push_back({wire::kOffHotkey, 32, FieldType::kRegion, "hotkey"});
  f.push_back({wire::kOffModel, 32, FieldType::kRegion, "model fingerprint"});
  f.push_back({wire::kOffState, 32, FieldType::kRegion, "state fingerprint"});
  f.push_back({wire::kOffReceipt, 32, FieldType::kRegion, "data receipt"});
  f.push_back({wire::kOffTotalBytes, 8, FieldType::kInt, "total length"});
}

// Lenient walk of a tensor table starting at `at` (fields appended when `f` is given); returns the
// offset just past the table, or nullopt when it does not parse.
std::optional<size_t> walk_table(const Bytes& b, size_t at, size_t end, std::vector<Field>* f,
                                 std::vector<std::vector<int64_t>>* shapes) {
  auto fits = [&](size_t n) { return at <= end && n <= end - at; };
  if (!fits(4)) return std::nullopt;
  const uint64_t count = wire::get_le(b.data() + at, 4);
  if (f) f->push_back({at, 4, FieldType::kInt, "tensor count"});
  at += 4;
  if (count == 0 || count > 4096) return std::nullopt;
  for (uint64_t i = 0; i < count; ++i) {
    if (!fits(2)) return std::nullopt;
    const size_t name_len = wire::get_le(b.data() + at, 2);
    if (f) f->push_back({at, 2, FieldType::kInt, "tensor name length"});
    at += 2;
    if (!fits(name_len + 2)) return std::nullopt;
    if (f) f->push_back({at, name_len, FieldType::kRegion, "tensor name"});
    at += name_len;
    if (f) f->push_back({at, 1, FieldType::kInt, "tensor dtype"});
    const uint8_t rank = b[at + 1];
    if (f) f->push_back({at + 1, 1, FieldType::kInt, "tensor rank"});
    at += 2;
    if (rank < 1 || rank > 2 || !fits(4 * size_t{rank})) return std::nullopt;
    std::vector<int64_t> shape;
    for (uint8_t d = 0; d < rank; ++d) {
      if (f) f->push_back({at, 4, FieldType::kInt, "tensor dimension"});
      shape.push_back(static_cast<int64_t>(wire::get_le(b.data() + at, 4)));
      at += 4;
    }
    if (shapes) shapes->push_back(shape);
  }
  return at;
}

// Where the tensor table of an object starts, if its contributor count (aggregates) is sane.
std::optional<size_t> table_start(const Bytes& b, ObjectKind kind) {
  if (kind == ObjectKind::kUpdate) return kFixedHeaderBytes;
  if (b.size() < kFixedHeaderBytes + 4) return std::nullopt;
  const uint64_t contributors = wire::get_le(b.data() + kFixedHeaderBytes, 4);
  if (contributors > 65535) return std::nullopt;
  return kFixedHeaderBytes + 4 + 64 * contributors;
}

std::vector<Field> map_fields(const Bytes& b, ObjectKind kind, const CodecParams& codec) {
  std::vector<Field> f;
  header_fields(f);
  const size_t body_end = b.size() - kTrailerBytes;
  size_t at = kFixedHeaderBytes;
  if (kind == ObjectKind::kAggregate) {
    f.push_back({at, 4, FieldType::kInt, "contributor count"});
    const size_t contributors = wire::get_le(b.data() + at, 4);
    at += 4;
    for (size_t i = 0; i < contributors; ++i, at += 64) {
      f.push_back({at, 32, FieldType::kRegion, "contributor hotkey"});
      f.push_back({at + 32, 32, FieldType::kRegion, "contributor payload hash"});
    }
  }
  std::vector<std::vector<int64_t>> shapes;
  const std::optional<size_t> end = walk_table(b, at, body_end, &f, &shapes);
  REQUIRE(end.has_value());
  at = *end;
  for (const auto& shape : shapes) {
    if (kind == ObjectKind::kUpdate) {
      const ChunkPlan plan(shape, codec.tile_side, codec.topk);
      for (int i = 0; i < 5; ++i, at += 4) f.push_back({at, 4, FieldType::kFloat, "quantization shift/codebook"});
      f.push_back({at, 1, FieldType::kInt, "Rice parameter"});
      f.push_back({at + 1, 3, FieldType::kInt, "reserved tensor bytes"});
      f.push_back({at + 4, 4, FieldType::kInt, "index length"});
      const size_t index_len = wire::get_le(b.data() + at + 4, 4);
      at += 8;
      const auto code_len = static_cast<size_t>((plan.total_kept() + 3) / 4);
      f.push_back({at, code_len, FieldType::kRegion, "codes"});
      at += code_len;
      if (index_len > 0) f.push_back({at, index_len, FieldType::kRegion, "index stream"});
      at += index_len;
    } else {
      f.push_back({at, 4, FieldType::kInt, "aggregate count"});
      f.push_back({at + 4, 1, FieldType::kInt, "Rice parameter"});
      f.push_back({at + 5, 1, FieldType::kInt, "value coding"});
      f.push_back({at + 6, 1, FieldType::kInt, "exp-Golomb order"});
      f.push_back({at + 7, 1, FieldType::kInt, "reserved tensor byte"});
      f.push_back({at + 8, 4, FieldType::kInt, "index length"});
      const size_t n = wire::get_le(b.data() + at, 4);
      const bool palette = b[at + 5] == 1;
      const size_t index_len = wire::get_le(b.data() + at + 8, 4);
      at += 12;
      if (palette) {
        f.push_back({at, 4, FieldType::kInt, "palette size"});
        const size_t unique = wire::get_le(b.data() + at, 4);
        at += 4;
        for (size_t i = 0; i < unique; ++i, at += 4) {
          if (i < 4 || i + 4 >= unique) f.push_back({at, 4, FieldType::kFloat, "palette value"});  // both ends
        }
        f.push_back({at, 4, FieldType::kInt, "value rank stream length"});
        const size_t stream = wire::get_le(b.data() + at, 4);
        at += 4;
        f.push_back({at, stream, FieldType::kRegion, "value rank stream"});
        at += stream;
      } else {
        for (size_t i = 0; i < n; ++i, at += 4) {
          if (i < 4 || i + 4 >= n) f.push_back({at, 4, FieldType::kFloat, "aggregate value"});  // both ends
        }
      }
      if (index_len > 0) f.push_back({at, index_len, FieldType::kRegion, "index stream"});
      at += index_len;
    }
  }
  REQUIRE_EQ(at, body_end);
  f.push_back({body_end, kHashBytes, FieldType::kRegion, "trailer hash"});
  f.push_back({body_end + kHashBytes, kSignatureBytes, FieldType::kRegion, "signature"});
  return f;
}

Seed make_update_seed(const std::string& name, const std::vector<std::vector<int64_t>>& shapes, int tile, int topk,
                      IndexCoding coding, uint8_t key, uint32_t data_seed) {
  const auto table = table_of(shapes);
  const ObjectHeader h = header_of(key, tile, topk, coding);
  Seed s{name, ObjectKind::kUpdate, write_update(h, table, encode_all(table, h.codec, data_seed)), {}, {}};
  std::array<uint8_t, kSignatureBytes> signature{};
  signature.fill(static_cast<uint8_t>(0xC0 ^ key));
  set_signature(s.bytes, signature);
  s.expect = {h.run_id, h.window, h.hotkey, model_fingerprint(table)};
  s.fields = map_fields(s.bytes, s.kind, h.codec);
  return s;
}

Seed make_aggregate_seed(const std::string& name, const std::vector<std::vector<int64_t>>& shapes, int tile,
                         int topk, int peers, uint32_t data_seed, uint8_t version = kAggregateFormatVersion) {
  const auto table = table_of(shapes);
  std::vector<DecodedUpdate> decoded;
  for (int p = 0; p < peers; ++p) {
    const ObjectHeader h = header_of(static_cast<uint8_t>(0x10 + p), tile, topk, IndexCoding::kRice);
    const Bytes bytes = write_update(h, table, encode_all(table, h.codec, data_seed + 100U * static_cast<uint32_t>(p)));
    decoded.push_back(decode_update(bytes.data(), bytes.size(), DecodeLimits{}, Expectations{}));
  }
  std::vector<const DecodedUpdate*> ptrs;
  for (const auto& u : decoded) ptrs.push_back(&u);
  const ObjectHeader h = header_of(0xEE, tile, topk, IndexCoding::kRice);
  Aggregate agg = aggregate_updates(h, ptrs);
  agg.format_version = version;
  Seed s{name, ObjectKind::kAggregate, write_aggregate(agg), {}, {}};
  s.expect = {h.run_id, h.window, h.hotkey, model_fingerprint(table)};
  s.fields = map_fields(s.bytes, s.kind, agg.header.codec);
  return s;
}

std::vector<Seed> make_seeds() {
  std::vector<Seed> seeds;
  const std::vector<std::vector<int64_t>> shapes = {{64, 64}, {10, 7}, {67, 130}, {768}, {1}};
  seeds.push_back(make_update_seed("update-packed12", shapes, 64, 64, IndexCoding::kPacked12, 0x11, 100));
  seeds.push_back(make_update_seed("update-rice", shapes, 64, 64, IndexCoding::kRice, 0x22, 200));
  seeds.push_back(make_update_seed("update-rice-t8k5", {{10, 7}, {19, 13}, {33}}, 8, 5, IndexCoding::kRice, 0x33, 300));
  seeds.push_back(make_update_seed("update-packed12-t16k3", {{20, 20}, {5}, {1}}, 16, 3, IndexCoding::kPacked12, 0x44, 400));
  seeds.push_back(make_aggregate_seed("aggregate", {{64, 64}, {10, 7}, {67, 130}, {1}}, 64, 64, 2, 500));
  seeds.push_back(make_aggregate_seed("aggregate-t8k5", {{10, 7}, {33}}, 8, 5, 2, 600));
  seeds.push_back(make_aggregate_seed("aggregate-v1", {{64, 64}, {10, 7}, {1}}, 64, 64, 3, 700, 1));
  return seeds;
}

// ------------------------------------------------------------------------------------------------
// Mutation.

constexpr uint8_t kInterestingU8[] = {0, 1, 2, 3, 4, 7, 8, 16, 31, 32, 33, 63, 64, 65, 0x20, 0x21, 0x7E,
                                      0x7F, 0x80, 0x81, 0xFE, 0xFF, 'a', 'A', 'U', '-', '.', '_'};
constexpr uint64_t kInterestingU16[] = {0, 1, 2, 3, 63, 64, 65, 0x7F, 0x80, 0xFF, 0x100, 0x101, 256, 257,
                                        4095, 4096, 4097, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF};
constexpr uint64_t kInterestingU32[] = {0, 1, 2, 3, 4, 64, 65, 0xFF, 0x100, 4096, 4097, 0xFFFF, 0x10000, 0x10001,
                                        0xFFFFFF, 0x1000000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0xFFFFFFFF};
constexpr uint64_t kInterestingU64[] = {0,
                                        1,
                                        288,
                                        0xFFFFFFFF,
                                        0x100000000ULL,
                                        (uint64_t{1} << 20),
                                        (uint64_t{1} << 20) + 1,
                                        (uint64_t{1} << 30),
                                        0x7FFFFFFFFFFFFFFFULL,
                                        0x8000000000000000ULL,
                                        0xFFFFFFFFFFFFFFFEULL,
                                        0xFFFFFFFFFFFFFFFFULL};

float interesting_float(std::mt19937_64& rng) {
  static const float values[] = {std::numeric_limits<float>::quiet_NaN(),
                                 -std::numeric_limits<float>::quiet_NaN(),
                                 std::numeric_limits<float>::infinity(),
                                 -std::numeric_limits<float>::infinity(),
                                 0.0F,
                                 -0.0F,
                                 1.0e4F,
                                 -1.0e4F,
                                 std::nextafter(1.0e4F, 2.0e4F),
                                 std::nextafter(-1.0e4F, -2.0e4F),
                                 std::numeric_limits<float>::max(),
                                 std::numeric_limits<float>::lowest(),
                                 std::numeric_limits<float>::denorm_min(),
                                 std::numeric_limits<float>::min(),
                                 1.0F,
                                 -1.0F};
  return values[rng() % (sizeof values / sizeof values[0])];
}

class Mutator {
 public:
  Mutator(const std::vector<Seed>& seeds, uint64_t rng_seed) : seeds_(seeds), rng_(rng_seed) {}

  struct Mutant {
    size_t seed = 0;
    ObjectKind decode_as = ObjectKind::kUpdate;
    bool with_expectations = false;
    bool tight_limits = false;
    Bytes bytes;
    char log[256] = {0};
  };

  void next(Mutant& m) {
    m.seed = pick(seeds_.size());
    const Seed& seed = seeds_[m.seed];
    m.bytes = seed.bytes;
    log_[0] = '\0';
    log_len_ = 0;
    bool keep_length = false;
    bool keep_model = false;
    bool keep_hash = false;
    size_t ops = 1;
    while (ops < 6 && chance(2)) ++ops;
    for (size_t i = 0; i < ops; ++i) {
      const Targeted t = mutate(m.bytes, seed);
      keep_length = keep_length || t.length;
      keep_model = keep_model || t.model;
      keep_hash = keep_hash || t.hash;
      if (m.bytes.size() > kMaxMutantBytes) m.bytes.resize(kMaxMutantBytes);
    }
    // Re-seal most mutants so the structural parser, not the hash check, sees them.
    if (!keep_length && !chance(5)) {
      fix_length(m.bytes);
      note(" +length");
    }
    if (!keep_model && !chance(4)) {
      fix_model(m.bytes, seed.kind);
      note(" +model");
    }
    if (!keep_hash && !chance(10)) {
      fix_hash(m.bytes);
      note(" +hash");
    }
    m.decode_as = chance(16) ? (seed.kind == ObjectKind::kUpdate ? ObjectKind::kAggregate : ObjectKind::kUpdate)
                             : seed.kind;
    m.with_expectations = chance(8);
    m.tight_limits = chance(32);
    std::memcpy(m.log, log_, log_len_ + 1);
  }

  static void fix_length(Bytes& b) {
    if (b.size() >= kFixedHeaderBytes) {
      const uint64_t total = b.size();
      for (size_t i = 0; i < 8; ++i) b[wire::kOffTotalBytes + i] = static_cast<uint8_t>(total >> (8 * i));
    }
  }
  static void fix_model(Bytes& b, ObjectKind kind) {
    if (b.size() < kFixedHeaderBytes + kTrailerBytes) return;
    const std::optional<size_t> start = table_start(b, kind);
    if (!start) return;
    const std::optional<size_t> end = walk_table(b, *start, b.size() - kTrailerBytes, nullptr, nullptr);
    if (!end) return;
    const Bytes32 fp = blake2b256(b.data() + *start, *end - *start);
    std::copy(fp.begin(), fp.end(), b.begin() + wire::kOffModel);
  }
  static void fix_hash(Bytes& b) {
    if (b.size() < kTrailerBytes) return;
    const size_t body = b.size() - kTrailerBytes;
    const Bytes32 h = blake2b256(b.data(), body);
    std::copy(h.begin(), h.end(), b.begin() + static_cast<std::ptrdiff_t>(body));
  }

 private:
  // Which re-sealing steps a mutation asks to skip (it aimed at that very field).
  struct Targeted {
    bool length = false;
    bool model = false;
    bool hash = false;
  };

  size_t pick(size_t n) { return n == 0 ? 0 : static_cast<size_t>(rng_() % n); }
  bool chance(uint64_t one_in) { return rng_() % one_in == 0; }

  void note(const char* text) {
    const size_t n = std::strlen(text);
    if (log_len_ + n + 1 < sizeof log_) {
      std::memcpy(log_ + log_len_, text, n + 1);
      log_len_ += n;
    }
  }
  void notef(const char* op, size_t a, size_t b) {
    char buf[64];
    std::snprintf(buf, sizeof buf, " %s(%zu,%zu)", op, a, b);
    note(buf);
  }

  uint64_t boundary(size_t width, uint64_t original, size_t object_size) {
    switch (rng_() % 6) {
      case 0: return original + 1;
      case 1: return original - 1;
      case 2: return rng_();
      case 3: return object_size + (rng_() % 3) - 1;
      default: break;
    }
    switch (width) {
      case 1: return kInterestingU8[pick(sizeof kInterestingU8)];
      case 2: return kInterestingU16[pick(sizeof kInterestingU16 / sizeof(uint64_t))];
      case 3:
      case 4: return kInterestingU32[pick(sizeof kInterestingU32 / sizeof(uint64_t))];
      default: return kInterestingU64[pick(sizeof kInterestingU64 / sizeof(uint64_t))];
    }
  }

  static void put(Bytes& b, size_t at, uint64_t v, size_t width, bool big_endian) {
    for (size_t i = 0; i < width && at + i < b.size(); ++i) {
      const size_t shift = 8 * (big_endian ? width - 1 - i : i);
      b[at + i] = static_cast<uint8_t>(shift < 64 ? v >> shift : 0);
    }
  }

  Targeted mutate(Bytes& b, const Seed& seed) {
    Targeted t;
    const size_t n = b.size();
    switch (rng_() % 12) {
      case 0: {  // bit flips
        if (n == 0) break;
        const size_t flips = 1 + pick(4);
        for (size_t i = 0; i < flips; ++i) {
          const size_t at = pick(n);
          b[at] = static_cast<uint8_t>(b[at] ^ (1U << pick(8)));
          notef("flip", at, flips);
        }
        break;
      }
      case 1: {  // one byte to an interesting value
        if (n == 0) break;
        const size_t at = pick(n);
        b[at] = kInterestingU8[pick(sizeof kInterestingU8)];
        notef("byte", at, b[at]);
        break;
      }
      case 2: {  // an integer anywhere to a boundary value
        const size_t width = size_t{1} << (1 + pick(3));
        if (n < width) break;
        const size_t at = pick(n - width + 1);
        put(b, at, boundary(width, wire::get_le(b.data() + at, static_cast<int>(width)), n), width, chance(8));
        notef("int", at, width);
        break;
      }
      case 3: {  // truncation
        if (n == 0) break;
        const size_t keep = chance(2) ? n - 1 - pick(std::min<size_t>(n, 128)) : pick(n);
        b.resize(keep);
        notef("truncate", keep, n);
        break;
      }
      case 4: {  // extension with random bytes, at the end or inside
        const size_t count = chance(2) ? 1 + pick(8) : 1 + pick(512);
        const size_t at = chance(2) ? n : pick(n + 1);
        Bytes extra(count);
        for (uint8_t& x : extra) x = static_cast<uint8_t>(chance(3) ? 0 : rng_());
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), extra.begin(), extra.end());
        notef("extend", at, count);
        break;
      }
      case 5: {  // chunk duplication
        if (n == 0) break;
        const size_t from = pick(n);
        const size_t len = 1 + pick(std::min<size_t>(n - from, 256));
        const size_t to = pick(n + 1);
        const Bytes chunk(b.begin() + static_cast<std::ptrdiff_t>(from), b.begin() + static_cast<std::ptrdiff_t>(from + len));
        b.insert(b.begin() + static_cast<std::ptrdiff_t>(to), chunk.begin(), chunk.end());
        notef("dup", from, len);
        break;
      }
      case 6: {  // chunk deletion
        if (n == 0) break;
        const size_t from = pick(n);
        const size_t len = 1 + pick(std::min<size_t>(n - from, 256));
        b.erase(b.begin() + static_cast<std::ptrdiff_t>(from), b.begin() + static_cast<std::ptrdiff_t>(from + len));
        notef("delete", from, len);
        break;
      }
      case 7: {  // splice with another seed
        const Seed& other = seeds_[pick(seeds_.size())];
        const Bytes& o = other.bytes;
        if (chance(2)) {  // prefix of this, suffix of the other
          const size_t cut = pick(n + 1);
          const size_t from = chance(2) ? std::min(cut, o.size()) : pick(o.size());
          b.resize(cut);
          b.insert(b.end(), o.begin() + static_cast<std::ptrdiff_t>(from), o.end());
          notef("splice", cut, from);
        } else {  // overwrite a range with the other's bytes at the same offset
          const size_t limit = std::min(n, o.size());
          if (limit == 0) break;
          const size_t from = pick(limit);
          const size_t len = 1 + pick(std::min<size_t>(limit - from, 512));
          std::copy_n(o.begin() + static_cast<std::ptrdiff_t>(from), len, b.begin() + static_cast<std::ptrdiff_t>(from));
          notef("cross", from, len);
        }
        break;
      }
      default: {  // aimed at one field of the seed's layout (header, table, tensor sections, trailer)
        const Field& f = seed.fields[pick(seed.fields.size())];
        if (f.offset + f.width > n) break;
        if (f.offset == wire::kOffTotalBytes) t.length = true;
        if (f.offset == wire::kOffModel) t.model = true;
        if (f.offset == seed.bytes.size() - kTrailerBytes && f.width == kHashBytes) t.hash = true;
        if (f.type == FieldType::kInt) {
          put(b, f.offset, boundary(f.width, wire::get_le(b.data() + f.offset, static_cast<int>(f.width)), n), f.width,
              false);
          notef("field", f.offset, f.width);
        } else if (f.type == FieldType::kFloat) {
          const float v = interesting_float(rng_);
          uint32_t bits = 0;
          std::memcpy(&bits, &v, 4);
          put(b, f.offset, bits, 4, false);
          notef("float", f.offset, bits);
        } else {
          mutate_region(b, f);
        }
        break;
      }
    }
    return t;
  }

  void mutate_region(Bytes& b, const Field& f) {
    if (f.width == 0) return;
    uint8_t* p = b.data() + f.offset;
    switch (rng_() % 6) {
      case 0: {
        const size_t at = pick(f.width * 8);
        p[at / 8] = static_cast<uint8_t>(p[at / 8] ^ (1U << (at % 8)));
        notef("rflip", f.offset, at);
        break;
      }
      case 1: {
        const size_t at = pick(f.width);
        p[at] = kInterestingU8[pick(sizeof kInterestingU8)];
        notef("rbyte", f.offset, at);
        break;
      }
      case 2:
        std::fill_n(p, f.width, uint8_t{0});
        notef("rzero", f.offset, f.width);
        break;
      case 3:
        std::fill_n(p, f.width, uint8_t{0xFF});
        notef("rones", f.offset, f.width);
        break;
      case 4: {  // the last byte: padding bits of a bit stream, end of a name
        p[f.width - 1] = static_cast<uint8_t>(p[f.width - 1] ^ (0x80U >> pick(4)));
        notef("rtail", f.offset, f.width);
        break;
      }
      default: {
        const size_t i = pick(f.width);
        const size_t j = pick(f.width);
        std::swap(p[i], p[j]);
        notef("rswap", f.offset + i, f.offset + j);
        break;
      }
    }
  }

  const std::vector<Seed>& seeds_;
  std::mt19937_64 rng_;
  char log_[256] = {0};
  size_t log_len_ = 0;
};

// ------------------------------------------------------------------------------------------------
// Running one mutant.

enum class Outcome { kAccepted, kRejected, kFailed };

struct Probe {
  Outcome outcome = Outcome::kFailed;
  Reason reason{};
  std::string failure;  // kFailed: what went wrong
  double seconds = 0.0;
  size_t largest_request = 0;
  int64_t peak_live = 0;
};

template <class Decode>
Probe probe(Decode&& decode) {
  Probe p;
  g_largest_request.store(0, std::memory_order_relaxed);
  g_peak_above_base.store(0, std::memory_order_relaxed);
  g_tracking_base.store(g_live_bytes.load(std::memory_order_relaxed), std::memory_order_relaxed);
  g_tracking.store(true, std::memory_order_relaxed);
  const Clock::time_point start = Clock::now();
  try {
    decode();
    p.outcome = Outcome::kAccepted;
  } catch (const CodecError& e) {
    p.outcome = Outcome::kRejected;
    p.reason = e.reason();
  } catch (const std::exception& e) {
    p.failure = std::string("foreign exception ") + typeid(e).name() + ": " + e.what();
  } catch (...) {
    p.failure = "an exception that is not a std::exception";
  }
  p.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  g_tracking.store(false, std::memory_order_relaxed);
  p.largest_request = g_largest_request.load(std::memory_order_relaxed);
  p.peak_live = g_peak_above_base.load(std::memory_order_relaxed);
  return p;
}

// The bytes a writer produces for decoded content, or the writer's complaint.
Bytes rewrite(const DecodedUpdate& u, std::string& complaint) {
  try {
    std::vector<TensorEntry> table;
    std::vector<EncodedTensor> tensors;
    for (const DecodedTensor& t : u.tensors) {
      table.push_back(t.entry);
      tensors.push_back(t.data);
    }
    return write_update(u.header, table, tensors);
  } catch (const std::exception& e) {
    complaint = e.what();
    return {};
  }
}
Bytes rewrite(const Aggregate& a, std::string& complaint) {
  try {
    return write_aggregate(a);
  } catch (const std::exception& e) {
    complaint = e.what();
    return {};
  }
}

struct Finding {
  std::string what;
  std::string where;  // seed, iteration, mutation log
  Bytes bytes;
  ObjectKind decode_as;
};

struct Report {
  uint64_t iterations = 0;
  uint64_t accepted[2] = {0, 0};
  std::array<std::array<uint64_t, 256>, 2> rejected{};  // [update, aggregate][reason]
  uint64_t failures = 0;
  uint64_t non_canonical = 0;
  std::vector<Finding> failure_samples;
  // Non-canonical acceptances by the seed field where the re-encoding first differs: a count and the
  // smallest mutant of each.
  std::map<std::string, std::pair<uint64_t, Finding>> non_canonical_by_field;
  double seconds = 0.0;
  double slowest = 0.0;
  size_t largest_request = 0;
  double largest_request_ratio = 0.0;  // largest single request / input size, over complete-sized inputs
  int64_t peak_live = 0;
};

void print_finding(const char* title, const Finding& f) {
  std::printf("  %s: %s\n    decode_%s on %zu bytes (%s)\n%s\n", title, f.what.c_str(),
              f.decode_as == ObjectKind::kUpdate ? "update" : "aggregate", f.bytes.size(), f.where.c_str(),
              hex(f.bytes.data(), f.bytes.size()).c_str());
}

Report run_fuzz() {
  Report r;
  const std::vector<Seed> seeds = make_seeds();
  if (const char* dir = std::getenv("COHORT_FUZZ_WRITE_CORPUS")) {
    for (const Seed& s : seeds) {
      std::ofstream out(std::string(dir) + "/seed-" + s.name + ".bin", std::ios::binary);
      out.write(reinterpret_cast<const char*>(s.bytes.data()), static_cast<std::streamsize>(s.bytes.size()));
    }
  }
  // Sanity: every seed decodes as is.
  for (const Seed& s : seeds) {
    std::printf("  seed %-24s %6zu bytes, %3zu fields\n", s.name.c_str(), s.bytes.size(), s.fields.size());
    if (s.kind == ObjectKind::kUpdate) {
      (void)decode_update(s.bytes.data(), s.bytes.size(), DecodeLimits{}, s.expect);
    } else {
      (void)decode_aggregate(s.bytes.data(), s.bytes.size(), DecodeLimits{}, s.expect);
    }
  }
  r.iterations = env_u64("COHORT_FUZZ_ITERATIONS", kDefaultIterations);
  Mutator mutator(seeds, env_u64("COHORT_FUZZ_SEED", kDefaultRngSeed));
  DecodeLimits limits;
  limits.max_bytes = kDecodeCapBytes;
  DecodeLimits tight;
  tight.max_bytes = 2048;
  tight.max_tensors = 2;
  tight.max_elements = 1000;
  tight.max_abs_value = 0.05F;
  const Expectations none;
  Mutator::Mutant m;
  const Clock::time_point start = Clock::now();
  for (uint64_t it = 0; it < r.iterations; ++it) {
    mutator.next(m);
    const Seed& seed = seeds[m.seed];
    const DecodeLimits& lim = m.tight_limits ? tight : limits;
    const Expectations& exp = m.with_expectations ? seed.expect : none;
    const uint8_t* data = m.bytes.data();
    const size_t size = m.bytes.size();
    std::optional<DecodedUpdate> update;
    std::optional<Aggregate> aggregate;
    const Probe p = m.decode_as == ObjectKind::kUpdate
                        ? probe([&] { update.emplace(decode_update(data, size, lim, exp)); })
                        : probe([&] { aggregate.emplace(decode_aggregate(data, size, lim, exp)); });
    const int kind = m.decode_as == ObjectKind::kUpdate ? 0 : 1;
    std::string failure = p.failure;
    if (p.outcome == Outcome::kRejected && std::strcmp(reason_name(p.reason), "UNKNOWN") == 0) {
      failure = "CodecError with reason code " + std::to_string(static_cast<int>(p.reason)) + " (UNKNOWN)";
    }
    const double bound = 64.0 * static_cast<double>(size) + static_cast<double>(1 << 20);
    if (failure.empty() && static_cast<double>(p.largest_request) > bound) {
      failure = "a single allocation of " + std::to_string(p.largest_request) + " bytes";
    }
    if (failure.empty() && static_cast<double>(p.peak_live) > bound) {
      failure = "peak live heap of " + std::to_string(p.peak_live) + " bytes";
    }
    if (failure.empty() && p.seconds > kHangSeconds) {
      failure = "decode took " + std::to_string(p.seconds) + " s";
    }
    r.slowest = std::max(r.slowest, p.seconds);
    r.peak_live = std::max(r.peak_live, p.peak_live);
    if (p.largest_request > r.largest_request) r.largest_request = p.largest_request;
    if (size >= kFixedHeaderBytes + kTrailerBytes) {
      r.largest_request_ratio = std::max(r.largest_request_ratio, static_cast<double>(p.largest_request) / static_cast<double>(size));
    }
    auto where = [&] {
      return "seed " + seed.name + ", iteration " + std::to_string(it) + ", mutations" + m.log +
             (m.with_expectations ? ", expectations" : "") + (m.tight_limits ? ", tight limits" : "");
    };
    if (!failure.empty()) {
      ++r.failures;
      if (r.failure_samples.size() < kReproducersKept) r.failure_samples.push_back({failure, where(), m.bytes, m.decode_as});
      continue;
    }
    if (p.outcome == Outcome::kRejected) {
      ++r.rejected[static_cast<size_t>(kind)][static_cast<size_t>(p.reason)];
      continue;
    }
    ++r.accepted[kind];
    // Accepted: the writer must give back the very same bytes (one canonical encoding).
    std::string complaint;
    const Bytes again = update ? rewrite(*update, complaint) : rewrite(*aggregate, complaint);
    const size_t compared = size - kSignatureBytes;  // writers leave the signature zero
    if (again.size() != size || !std::equal(again.begin(), again.begin() + static_cast<std::ptrdiff_t>(compared), data)) {
      ++r.non_canonical;
      std::string what = "accepted, but the writer refuses it: " + complaint;
      std::string category = "writer refuses";
      if (complaint.empty()) {
        // The first difference outside the total length (which differs whenever the sizes do).
        size_t at = 0;
        while (at < std::min(again.size(), compared) &&
               (again[at] == data[at] || (at >= wire::kOffTotalBytes && at < kFixedHeaderBytes))) {
          ++at;
        }
        what = "accepted, but re-encodes to " + std::to_string(again.size()) + " bytes differing from offset " +
               std::to_string(at);
        category = "size changed";
        if (size == seed.bytes.size()) {
          category = "offset " + std::to_string(at);
          for (const Field& f : seed.fields) {
            if (at >= f.offset && at < f.offset + f.width) category = f.name;
          }
        }
      }
      category = (m.decode_as == ObjectKind::kUpdate ? "update " : "aggregate ") + category;
      auto& slot = r.non_canonical_by_field[category];
      if (slot.first++ == 0 || size < slot.second.bytes.size()) slot.second = {what, where(), m.bytes, m.decode_as};
    }
  }
  r.seconds = std::chrono::duration<double>(Clock::now() - start).count();

  std::printf("  %llu mutants in %.2f s (%.2f us each), slowest decode %.3f ms\n",
              static_cast<unsigned long long>(r.iterations), r.seconds,
              1e6 * r.seconds / static_cast<double>(std::max<uint64_t>(r.iterations, 1)), r.slowest * 1e3);
  std::printf("  largest single allocation during a decode: %zu bytes (at most %.2fx an input of >= 288 bytes), "
              "peak live heap %lld bytes\n",
              r.largest_request, r.largest_request_ratio, static_cast<long long>(r.peak_live));
  std::printf("  %-22s %10s %10s\n", "outcome", "update", "aggregate");
  std::printf("  %-22s %10llu %10llu\n", "ACCEPTED", static_cast<unsigned long long>(r.accepted[0]),
              static_cast<unsigned long long>(r.accepted[1]));
  for (size_t reason = 0; reason < 256; ++reason) {
    if (r.rejected[0][reason] + r.rejected[1][reason] == 0) continue;
    std::printf("  %-22s %10llu %10llu\n", reason_name(static_cast<Reason>(reason)),
                static_cast<unsigned long long>(r.rejected[0][reason]), static_cast<unsigned long long>(r.rejected[1][reason]));
  }
  std::printf("  %-22s %10llu\n", "FAILED", static_cast<unsigned long long>(r.failures));
  std::printf("  %-22s %10llu\n", "NON-CANONICAL", static_cast<unsigned long long>(r.non_canonical));
  for (const Finding& f : r.failure_samples) print_finding("FAILURE", f);
  for (const auto& [category, slot] : r.non_canonical_by_field) {
    std::printf("  NON-CANONICAL %-40s %10llu\n", category.c_str(), static_cast<unsigned long long>(slot.first));
  }
  for (const auto& [category, slot] : r.non_canonical_by_field) print_finding(("NON-CANONICAL " + category).c_str(), slot.second);
  return r;
}

const Report& report() {
  static const Report r = run_fuzz();
  return r;
}

// The smallest objects showing each kind of non-canonical acceptance the fuzzer found: a one-element
// tensor, re-sealed after a one-byte change. Each must be rejected.
struct Reproducer {
  const char* what;
  ObjectKind kind;
  Bytes bytes;
};

size_t field_offset(const std::vector<Field>& fields, const char* name) {
  for (const Field& f : fields) {
    if (std::strcmp(f.name, name) == 0) return f.offset;
  }
  cohort::test::fail(__FILE__, __LINE__, std::string("no field ") + name);
}

std::vector<Reproducer> known_reproducers() {
  const std::vector<TensorEntry> table = {{"w", DType::kF32, {1}}};
  const ObjectHeader h = header_of(0x11, 64, 64, IndexCoding::kRice);
  const float value = 0.5F;
  const Bytes update = write_update(h, table, {encode_tensor(&value, ChunkPlan({1}, 64, 64))});
  const DecodedUpdate decoded = decode_update(update.data(), update.size(), DecodeLimits{}, Expectations{});
  const Bytes aggregate = write_aggregate(aggregate_updates(header_of(0xEE, 64, 64, IndexCoding::kRice), {&decoded}));
  const auto update_fields = map_fields(update, ObjectKind::kUpdate, h.codec);
  const auto aggregate_fields = map_fields(aggregate, ObjectKind::kAggregate, h.codec);
  std::vector<Reproducer> out;
  auto add = [&](const char* what, ObjectKind kind, Bytes b, size_t at, uint8_t v) {
    b[at] = v;
    Mutator::fix_hash(b);
    out.push_back({what, kind, std::move(b)});
  };
  add("update: Rice parameter 1 on a tensor whose chunks are all dense (the writer puts 0)", ObjectKind::kUpdate,
      update, field_offset(update_fields, "Rice parameter"), 1);
  add("aggregate: Rice parameter 1 where 0 gives the shortest stream (the writer puts 0)", ObjectKind::kAggregate,
      aggregate, field_offset(aggregate_fields, "Rice parameter"), 1);
  add("aggregate: non-zero data receipt (the writer zeroes it)", ObjectKind::kAggregate, aggregate,
      field_offset(aggregate_fields, "data receipt"), 1);
  return out;
}

size_t distinct_reasons(const Report& r) {
  size_t distinct = 0;
  for (size_t reason = 0; reason < 256; ++reason) {
    if (r.rejected[0][reason] + r.rejected[1][reason] > 0) ++distinct;
  }
  return distinct;
}

}  // namespace

COHORT_TEST(decoders_reject_mutants_with_named_reasons_in_bounded_time_and_memory) {
  const Report& r = report();
  REQUIRE_EQ(r.failures, 0U);
  REQUIRE(r.iterations >= env_u64("COHORT_FUZZ_ITERATIONS", kDefaultIterations));
  if (r.iterations >= 10000) {
    REQUIRE(distinct_reasons(r) >= 10);
  }
  // The mutants reach deep into both readers, not just the header and the hash.
  if (r.iterations >= 100000) {
    REQUIRE(r.accepted[0] > 0 && r.accepted[1] > 0);
    for (Reason reason : {Reason::kBadTensorTable, Reason::kSizeMismatch, Reason::kBadQuantParams,
                          Reason::kIndexOutOfRange, Reason::kBadPadding}) {
      REQUIRE(r.rejected[0][static_cast<size_t>(reason)] > 0);
    }
    for (Reason reason : {Reason::kBadContributors, Reason::kBadValue, Reason::kIndexOutOfRange}) {
      REQUIRE(r.rejected[1][static_cast<size_t>(reason)] > 0);
    }
  }
}

COHORT_TEST(accepted_mutants_re_encode_to_the_same_bytes) {
  REQUIRE_EQ(report().non_canonical, 0U);
}

COHORT_TEST(known_non_canonical_objects_are_rejected) {
  size_t accepted = 0;
  for (const Reproducer& r : known_reproducers()) {
    try {
      if (r.kind == ObjectKind::kUpdate) {
        (void)decode_update(r.bytes.data(), r.bytes.size(), DecodeLimits{}, Expectations{});
      } else {
        (void)decode_aggregate(r.bytes.data(), r.bytes.size(), DecodeLimits{}, Expectations{});
      }
      ++accepted;
      std::printf("  ACCEPTED %s\n    decode_%s on %zu bytes:\n%s\n", r.what,
                  r.kind == ObjectKind::kUpdate ? "update" : "aggregate", r.bytes.size(),
                  hex(r.bytes.data(), r.bytes.size()).c_str());
    } catch (const CodecError& e) {
      std::printf("  rejected %s: %s\n", r.what, reason_name(e.reason()));
    }
  }
  REQUIRE_EQ(accepted, 0U);
}

int main() { return cohort::test::run_all(); }
