// Reduces any exception to the closed set of kinds the N-API boundary (and logs) understand.
#include <c10/util/Exception.h>

#include <new>
#include <string>

#include "cohort/errors.h"

namespace cohort {

ErrorInfo describe_exception(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return {e.kind(), e.what(), e.reason_code() != nullptr ? e.reason_code() : ""};
  } catch (const c10::OutOfMemoryError& e) {
    return {"OutOfMemoryError", e.what_without_backtrace(), ""};
  } catch (const c10::Error& e) {
    return {"InternalError", std::string("libtorch: ") + e.what_without_backtrace(), ""};
  } catch (const std::bad_alloc& e) {
    return {"OutOfMemoryError", std::string("host allocation failed: ") + e.what(), ""};
  } catch (const std::exception& e) {
    return {"InternalError", e.what(), ""};
  } catch (...) {
    return {"InternalError", "a native exception of unknown type was thrown", ""};
  }
}

}  // namespace cohort
