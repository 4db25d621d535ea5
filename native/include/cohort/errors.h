// cohort's native error model. Everything the engine throws derives from cohort::Error, whose kind() is
// one name of the closed set the N-API boundary hands to TypeScript as `error.name`:
// InvalidArgumentError, IllegalStateError, InternalError, CudaError, OutOfMemoryError, CodecError (untrusted
// bytes rejected; it also carries a stable reason code, see cohort/codec/reason.h).
#pragma once

#include <exception>
#include <stdexcept>
#include <string>
#include <string_view>

namespace cohort {

// Base of every engine exception; kind() names its class for the TS side.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
  virtual const char* kind() const noexcept = 0;
  // A stable reason code for errors that have one (CodecError), else null.
  virtual const char* reason_code() const noexcept { return nullptr; }
};

// Bad input from the caller (shape, dtype, non-finite scalar).
class InvalidArgumentError final : public Error {
 public:
  using Error::Error;
  const char* kind() const noexcept override { return "InvalidArgumentError"; }
};

// A call that is valid in general but not now (use after dispose, wrong phase).
class IllegalStateError final : public Error {
 public:
  using Error::Error;
  const char* kind() const noexcept override { return "IllegalStateError"; }
};

// A bug or broken invariant inside the engine.
class InternalError final : public Error {
 public:
  using Error::Error;
  const char* kind() const noexcept override { return "InternalError"; }
};

// A CUDA runtime or launch failure; the device may be unusable afterwards.
class CudaError final : public Error {
 public:
  using Error::Error;
  const char* kind() const noexcept override { return "CudaError"; }
};

// Host or device memory exhausted; the caller may retry with a smaller batch.
class OutOfMemoryError final : public Error {
 public:
  using Error::Error;
  const char* kind() const noexcept override { return "OutOfMemoryError"; }
};

// An exception reduced to what crosses the boundary: a kind from the closed set and a message.
struct ErrorInfo {
  const char* kind;
  std::string message;
  std::string reason;  // stable reason code, empty when the error has none
};

// Classifies a (non-null) exception: cohort::Error keeps its kind; c10::OutOfMemoryError and std::bad_alloc
// become OutOfMemoryError; other c10::Error, std::exception and anything else become InternalError.
// libtorch messages come without their C++ backtrace.
ErrorInfo describe_exception(std::exception_ptr error);

// "Expected <expected> for <what> but received <received>": the phrasing TS validation uses too.
std::string expected_message(std::string_view expected, std::string_view what, std::string_view received);

}  // namespace cohort
