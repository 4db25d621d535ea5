// A tiny self-contained test harness: GPU images cannot install gtest, so the native tests need nothing
// beyond the standard library. COHORT_TEST registers a case; REQUIRE* fail it; run_all() runs every case
// and returns a process exit code (0 all passed, 1 otherwise).
#pragma once

#include <cmath>
#include <cstdio>
#include <exception>
#include <sstream>
#include <string>
#include <vector>

namespace cohort::test {

struct Case {
  const char* name;
  void (*body)();
};

// Thrown by a failed REQUIRE; caught by run_all.
struct Failure {
  std::string message;
};

inline std::vector<Case>& registry() {
  static std::vector<Case> cases;
  return cases;
}

struct Registrar {
  Registrar(const char* name, void (*body)()) { registry().push_back({name, body}); }
};

[[noreturn]] inline void fail(const char* file, int line, const std::string& what) {
  std::ostringstream message;
  message << file << ":" << line << ": " << what;
  throw Failure{message.str()};
}

template <class A, class B>
void check_eq(const A& actual, const B& expected, const char* expr, const char* file, int line) {
  if (!(actual == expected)) {
    std::ostringstream message;
    message << expr << ": got " << actual << ", expected " << expected;
    fail(file, line, message.str());
  }
}

inline int run_all() {
  int failed = 0;
  for (const Case& c : registry()) {
    try {
      c.body();
      std::printf("[ PASS ] %s\n", c.name);
    } catch (const Failure& f) {
      ++failed;
      std::printf("[ FAIL ] %s\n         %s\n", c.name, f.message.c_str());
    } catch (const std::exception& e) {
      ++failed;
      std::printf("[ FAIL ] %s\n         unexpected exception: %s\n", c.name, e.what());
    }
  }
  std::printf("%zu tests, %d failed\n", registry().size(), failed);
  return failed == 0 ? 0 : 1;
}

}  // namespace cohort::test

#define COHORT_TEST(name)                                                   \
  static void name();                                                       \
  static const ::cohort::test::Registrar name##_registrar(#name, &name);    \
  static void name()

#define REQUIRE(cond)                                                         \
  do {                                                                      \
    if (!(cond)) ::cohort::test::fail(__FILE__, __LINE__, "REQUIRE(" #cond ")"); \
  } while (0)

#define REQUIRE_EQ(actual, expected) \
  ::cohort::test::check_eq((actual), (expected), #actual " == " #expected, __FILE__, __LINE__)

// |actual - expected| <= tolerance, both as doubles.
#define REQUIRE_NEAR(actual, expected, tolerance)                                                      \
  do {                                                                                               \
    const double actual_ = static_cast<double>(actual), expected_ = static_cast<double>(expected);   \
    if (!(std::abs(actual_ - expected_) <= (tolerance))) {                                           \
      std::ostringstream what_;                                                                      \
      what_ << #actual " = " << actual_ << ", expected " << expected_ << " within " << (tolerance);   \
      ::cohort::test::fail(__FILE__, __LINE__, what_.str());                                         \
    }                                                                                                \
  } while (0)

// Passes only when `expr` throws `type` (or a subclass).
#define REQUIRE_THROWS_AS(expr, type)                                                              \
  do {                                                                                           \
    try {                                                                                        \
      (void)(expr);                                                                              \
    } catch (const type&) {                                                                      \
      break;                                                                                     \
    } catch (const std::exception& e) {                                                          \
      ::cohort::test::fail(__FILE__, __LINE__, #expr " threw another exception: " + std::string(e.what())); \
    }                                                                                            \
    ::cohort::test::fail(__FILE__, __LINE__, #expr " did not throw " #type);                     \
  } while (0)
