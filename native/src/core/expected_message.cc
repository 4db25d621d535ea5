// The one phrasing of a validation failure, shared with TS (`expectedMessage` in @cohort/core).
#include <string>

#include "cohort/errors.h"

namespace cohort {

std::string expected_message(std::string_view expected, std::string_view what, std::string_view received) {
  std::string message = "Expected ";
  message.append(expected).append(" for ").append(what).append(" but received ").append(received);
  return message;
}

}  // namespace cohort
