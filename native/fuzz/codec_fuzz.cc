// libFuzzer entry point for the codec's readers of untrusted bytes (see README.md in this folder).
// Every input is decoded as an update and as an aggregate three times: as is, with its declared total
// length and BLAKE2b trailer re-sealed, and additionally with the model fingerprint recomputed from the
// tensor table it carries, so that mutations reach the structural parser rather than stopping at the
// hash check. A CodecError with a named reason is the only acceptable rejection; any other exception
// aborts (libFuzzer records it as a crash). Accepted inputs must re-encode to the same bytes (one canonical
// encoding); set COHORT_FUZZ_SKIP_CANONICAL=1 to check crash-safety only.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>
#include <vector>

#include "cohort/blake2b.h"
#include "cohort/codec/aggregate.h"
#include "cohort/codec/wire.h"
#include "codec/wire_common.h"

using namespace cohort;
using namespace cohort::codec;
namespace wire = cohort::codec::detail;

namespace {

using Bytes = std::vector<uint8_t>;

[[noreturn]] void die(const char* what, const char* detail) {
  std::fprintf(stderr, "cohort_codec_fuzz: %s: %s\n", what, detail);
  std::abort();
}

bool check_canonical() {
  static const bool on = [] {
    const char* v = std::getenv("COHORT_FUZZ_SKIP_CANONICAL");
    return v == nullptr || *v == '\0' || std::strcmp(v, "0") == 0;
  }();
  return on;
}

void require_same_prefix(const Bytes& again, const uint8_t* data, size_t size, const char* what) {
  // Writers leave the 64-byte signature zero; everything before it must match.
  if (again.size() != size || !std::equal(again.begin(), again.end() - static_cast<std::ptrdiff_t>(kSignatureBytes), data)) {
    die("non-canonical input accepted", what);
  }
}

template <class Fn>
void guarded(Fn&& fn) {
  try {
    fn();
  } catch (const CodecError& e) {
    if (std::strcmp(reason_name(e.reason()), "UNKNOWN") == 0) die("CodecError without a named reason", e.what());
  } catch (const std::exception& e) {
    die("foreign exception", e.what());
  } catch (...) {
    die("foreign exception", "not a std::exception");
  }
}

void decode_both(const uint8_t* data, size_t size) {
  DecodeLimits limits;
  limits.max_bytes = uint64_t{1} << 20;
  guarded([&] {
    const DecodedUpdate u = decode_update(data, size, limits, Expectations{});
    if (!check_canonical()) return;
    std::vector<TensorEntry> table;
    std::vector<EncodedTensor> tensors;
    for (const DecodedTensor& t : u.tensors) {
      table.push_back(t.entry);
      tensors.push_back(t.data);
    }
    try {
      require_same_prefix(write_update(u.header, table, tensors), data, size,
                          "decode_update accepted bytes that write_update encodes differently");
    } catch (const std::exception& e) {
      die("accepted update refused by the writer", e.what());
    }
  });
  guarded([&] {
    const Aggregate a = decode_aggregate(data, size, limits, Expectations{});
    if (!check_canonical()) return;
    try {
      require_same_prefix(write_aggregate(a), data, size,
                          "decode_aggregate accepted bytes that write_aggregate encodes differently");
    } catch (const std::exception& e) {
      die("accepted aggregate refused by the writer", e.what());
    }
  });
}

// Offset just past a tensor table starting at `at`, when it parses at all.
std::optional<size_t> table_end(const Bytes& b, size_t at, size_t end) {
  auto fits = [&](size_t n) { return at <= end && n <= end - at; };
  if (!fits(4)) return std::nullopt;
  const uint64_t count = wire::get_le(b.data() + at, 4);
  at += 4;
  if (count == 0 || count > 4096) return std::nullopt;
  for (uint64_t i = 0; i < count; ++i) {
    if (!fits(2)) return std::nullopt;
    const size_t name_len = wire::get_le(b.data() + at, 2);
    at += 2;
    if (!fits(name_len + 2)) return std::nullopt;
    const uint8_t rank = b[at + name_len + 1];
    at += name_len + 2;
    if (rank < 1 || rank > 2 || !fits(4 * size_t{rank})) return std::nullopt;
    at += 4 * size_t{rank};
  }
  return at;
}

void reseal(Bytes& b, bool model) {
  const uint64_t total = b.size();
  for (size_t i = 0; i < 8; ++i) b[wire::kOffTotalBytes + i] = static_cast<uint8_t>(total >> (8 * i));
  const size_t body = b.size() - kTrailerBytes;
  if (model) {
    size_t start = kFixedHeaderBytes;
    if (b[wire::kOffKind] == static_cast<uint8_t>(ObjectKind::kAggregate)) {
      start += 4 + 64 * static_cast<size_t>(wire::get_le(b.data() + kFixedHeaderBytes, 4));
    }
    if (const std::optional<size_t> end = table_end(b, start, body)) {
      const Bytes32 fp = blake2b256(b.data() + start, *end - start);
      std::copy(fp.begin(), fp.end(), b.begin() + wire::kOffModel);
    }
  }
  const Bytes32 h = blake2b256(b.data(), body);
  std::copy(h.begin(), h.end(), b.begin() + static_cast<std::ptrdiff_t>(body));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  decode_both(data, size);
  if (size >= kFixedHeaderBytes + 4 + kTrailerBytes && size <= (size_t{1} << 20)) {
    Bytes b(data, data + size);
    reseal(b, false);
    decode_both(b.data(), b.size());
    reseal(b, true);
    decode_both(b.data(), b.size());
  }
  return 0;
}
