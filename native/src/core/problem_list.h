// Collects the problems found while validating a file against what it should contain, and throws them as
// one InvalidArgumentError: "<heading>: <problem>; <problem>; ... (and N more)".
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "cohort/errors.h"

namespace cohort {

class ProblemList {
 public:
  static constexpr size_t kShown = 6;

  void add(std::string problem) {
    if (shown_.size() < kShown) shown_.push_back(std::move(problem));
    ++count_;
  }

  void throw_if_any(const std::string& heading) const {
    if (count_ == 0) return;
    std::string message = heading + ": ";
    for (size_t i = 0; i < shown_.size(); ++i) message.append(i > 0 ? "; " : "").append(shown_[i]);
    if (count_ > shown_.size()) message.append(" (and " + std::to_string(count_ - shown_.size()) + " more)");
    throw InvalidArgumentError(message);
  }

 private:
  std::vector<std::string> shown_;
  size_t count_ = 0;
};

}  // namespace cohort
