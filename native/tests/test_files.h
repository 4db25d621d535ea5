// Helpers shared by the native test files that touch files and expect typed errors: a self-removing
// temporary directory and REQUIRE_INVALID (throws InvalidArgumentError whose message has every fragment).
#pragma once

#include <ftw.h>
#include <stdlib.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <functional>
#include <initializer_list>
#include <stdexcept>
#include <string>

#include "cohort/errors.h"
#include "test_harness.h"

namespace cohort::test {

// Passes when `body` throws E whose message contains every fragment.
template <class E>
inline void require_error(const std::function<void()>& body, std::initializer_list<std::string> fragments, int line) {
  try {
    body();
  } catch (const E& e) {
    for (const std::string& fragment : fragments) {
      if (std::string(e.what()).find(fragment) == std::string::npos) {
        cohort::test::fail(__FILE__, line, "message \"" + std::string(e.what()) + "\" lacks \"" + fragment + "\"");
      }
    }
    return;
  } catch (const std::exception& e) {
    cohort::test::fail(__FILE__, line, std::string("threw another exception: ") + e.what());
  }
  cohort::test::fail(__FILE__, line, "did not throw");
}
// A fresh directory under $TMPDIR (or /tmp), removed with its contents. POSIX only: std::filesystem
// crashes against PyTorch 2.5+ wheels (see core/file_io.h).
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "cohort-test") : prefix_(prefix) {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/" + prefix_ + "-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    // Depth first, not following links; a leftover temp directory is not a test failure.
    nftw(path_.c_str(), [](const char* path, const struct stat*, int, struct FTW*) { return ::remove(path); }, 16,
         FTW_DEPTH | FTW_PHYS);
  }
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  const std::string& path() const { return path_; }

 private:
  std::string prefix_;
  std::string path_;
};

}  // namespace cohort::test

#define REQUIRE_INVALID(expr, ...) \
  ::cohort::test::require_error<::cohort::InvalidArgumentError>([&] { (void)(expr); }, {__VA_ARGS__}, __LINE__)
