// Why an untrusted codec object (an update payload or an aggregate) was rejected: a closed set of stable
// reason codes. The names are part of the protocol (docs/wire-format.md): validators record them, miners
// read them, dashboards group by them. Never renumber or rename; only append.
#pragma once

#include <cstdint>
#include <string>

#include "cohort/errors.h"

namespace cohort::codec {

enum class Reason : uint8_t {
  kBadMagic = 1,          // not a cohort object, or the wrong kind (update where an aggregate was expected)
  kUnsupportedVersion,    // format version this build does not read
  kBadFlags,              // reserved bits or bytes set
  kBadCodecParams,        // tile side, top-k, value bits or index coding out of range
  kTooLarge,              // declared or actual size above the receiver's cap
  kTruncated,             // fewer bytes than the header declares or a section needs
  kTrailingBytes,         // more bytes than the header declares
  kBadRunId,              // run id empty or not [a-z0-9._-]
  kWrongRun,              // run id differs from the expected one
  kWrongWindow,           // window differs from the expected one
  kWrongHotkey,           // signer public key differs from the expected one
  kBadTensorTable,        // malformed tensor table (names, ranks, dims, dtypes)
  kTooManyTensors,        // more tensors, or more elements, than the receiver's caps
  kWrongModel,            // model fingerprint does not match the table or the expected model
  kSizeMismatch,          // a section's length disagrees with what the table and codec parameters imply
  kBadQuantParams,        // non-finite or absurd shift / codebook
  kIndexOutOfRange,       // an index outside its chunk (or tensor)
  kIndexRepeated,         // the same index twice in one chunk
  kIndexOrder,            // indices not ascending within a chunk
  kBadPadding,            // non-zero padding bits, or a non-canonical index stream
  kBadHash,               // BLAKE2b-256 trailer does not match the content
  kBadSignature,          // sr25519 signature does not verify (checked by the TypeScript layer)
  kBadContributors,       // aggregate: malformed or duplicate contributor list
  kBadValue,              // aggregate: non-finite value
  kWrongState,            // state fingerprint differs from the expected θ_w (checked by the receiver)
};

// The stable upper-snake name of a reason, e.g. "INDEX_OUT_OF_RANGE".
const char* reason_name(Reason reason);

// A rejection of untrusted bytes: a stable reason and a human detail (offsets, sizes, tensor names).
class CodecError final : public Error {
 public:
  CodecError(Reason reason, const std::string& detail)
      : Error(std::string(reason_name(reason)) + ": " + detail), reason_(reason), detail_(detail) {}
  const char* kind() const noexcept override { return "CodecError"; }
  const char* reason_code() const noexcept override { return reason_name(reason_); }
  Reason reason() const noexcept { return reason_; }
  const std::string& detail() const noexcept { return detail_; }

 private:
  Reason reason_;
  std::string detail_;
};

}  // namespace cohort::codec
