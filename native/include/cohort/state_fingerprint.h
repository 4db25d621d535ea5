// The state fingerprint: one BLAKE2b-256 over a model's parameters, the exact sync proof of protocol §4
// (every replica that applied the same updates from the same checkpoint has the same fingerprint).
#pragma once

#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "cohort/blake2b.h"
#include "cohort/model_config.h"

namespace cohort {

// BLAKE2b-256 over, for each parameter in order: u32 LE name length, the name's UTF-8 bytes, u32 LE rank,
// u64 LE per dimension, then the values as fp32 little-endian (row-major). Tensors on a GPU are copied to the
// host one at a time. Equal fingerprints ⇔ equal names, shapes and fp32 bit patterns (up to BLAKE2b).
Blake2b256Digest state_fingerprint(const std::vector<ParamSpec>& specs, const std::vector<at::Tensor>& params);

}  // namespace cohort
