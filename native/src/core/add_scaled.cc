// add_scaled / add_scaled_out on CPU tensors: validation here, arithmetic in the CPU twin of the kernel.
// Shape suffixes: _N = flat element count.
#include <ATen/core/Tensor.h>
#include <ATen/ops/empty.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "cohort/errors.h"
#include "cohort/ops.h"
#include "kernels/add_scaled.h"

namespace cohort {
namespace {

// A double too large for float32 must convert to infinity (IEEE 754), which checked_alpha rejects.
static_assert(std::numeric_limits<float>::is_iec559, "add_scaled needs IEEE 754 float32");

std::string describe(const at::Tensor& t) {
  if (!t.defined()) {
    return "an undefined tensor";
  }
  std::ostringstream out;
  out << "a " << t.scalar_type() << " tensor of shape " << t.sizes() << " on " << t.device();
  return out.str();
}

void check_vector(const at::Tensor& t_N, const char* what) {
  if (!t_N.defined() || t_N.scalar_type() != at::kFloat || t_N.dim() != 1 || !t_N.device().is_cpu()) {
    throw InvalidArgumentError(expected_message("a 1-D float32 CPU tensor", what, describe(t_N)));
  }
}

void check_length(const at::Tensor& t_N, int64_t n, const char* what) {
  if (t_N.numel() != n) {
    throw InvalidArgumentError(
        expected_message("a tensor of " + std::to_string(n) + " elements", what, describe(t_N)));
  }
}

float checked_alpha(double alpha) {
  const float alpha_f32 = static_cast<float>(alpha);
  if (!std::isfinite(alpha_f32)) {
    std::ostringstream received;
    received << alpha;
    throw InvalidArgumentError(expected_message("a finite float32 number", "alpha", received.str()));
  }
  return alpha_f32;
}

// Inputs are validated; out_N is contiguous and of their length.
void run(at::Tensor& out_N, const at::Tensor& x_N, const at::Tensor& y_N, float alpha) {
  const at::Tensor x_contig_N = x_N.contiguous();
  const at::Tensor y_contig_N = y_N.contiguous();
  kernels::add_scaled_ref(out_N.data_ptr<float>(), x_contig_N.data_ptr<float>(), y_contig_N.data_ptr<float>(),
                          alpha, out_N.numel());
}

}  // namespace

at::Tensor add_scaled(const at::Tensor& x_N, const at::Tensor& y_N, double alpha) {
  check_vector(x_N, "x");
  check_vector(y_N, "y");
  check_length(y_N, x_N.numel(), "y");
  const float alpha_f32 = checked_alpha(alpha);
  at::Tensor out_N = at::empty({x_N.numel()}, x_N.options());
  run(out_N, x_N, y_N, alpha_f32);
  return out_N;
}

void add_scaled_out(at::Tensor& out_N, const at::Tensor& x_N, const at::Tensor& y_N, double alpha) {
  check_vector(x_N, "x");
  check_vector(y_N, "y");
  check_length(y_N, x_N.numel(), "y");
  check_vector(out_N, "out");
  check_length(out_N, x_N.numel(), "out");
  if (!out_N.is_contiguous()) {
    throw InvalidArgumentError(expected_message("a contiguous tensor", "out", describe(out_N) + " (strided)"));
  }
  run(out_N, x_N, y_N, checked_alpha(alpha));
}

}  // namespace cohort
