// The one precision rule of the forward pass: norms, softmax, logits and the loss accumulate in fp32, or in
// fp64 when the model computes in fp64 (gradient checks). See ADR 0007.
#pragma once

#include <c10/core/ScalarType.h>

namespace cohort {

inline at::ScalarType accumulate_dtype(at::ScalarType compute) {
  return compute == at::kDouble ? at::kDouble : at::kFloat;
}

}  // namespace cohort
