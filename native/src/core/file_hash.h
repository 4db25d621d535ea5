// BLAKE2b-256 of a file, read in fixed chunks: what checkpoint loads check and what the services hash
// objects too large for one JavaScript buffer with (a 1B model's fp32 checkpoint is 4.7 GB; Node's
// buffers stop at 4 GiB).
#pragma once

#include <cstdint>

#include "cohort/blake2b.h"
#include "core/file_io.h"

namespace cohort::io {

// The digest of the file's first `length` bytes (≤ its size at open; InvalidArgumentError otherwise).
Blake2b256Digest file_blake2b256(const ReadOnlyFile& file, uint64_t length);

}  // namespace cohort::io
