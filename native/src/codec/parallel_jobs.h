// Independent jobs on a few threads, for the codec's per-tensor work (each tensor's encode depends only on
// its own buffers, so the bytes are the same whatever the thread count). Jobs are taken largest first from
// a shared counter, so one big tensor (an embedding) starts at once and the small ones fill in around it.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <mutex>
#include <numeric>
#include <system_error>
#include <thread>
#include <vector>

namespace cohort::codec::detail {

// Threads for `jobs` jobs when the caller asks for `requested` (0: one per hardware thread).
inline int job_threads(int requested, size_t jobs) {
  const unsigned hardware = std::max(1U, std::thread::hardware_concurrency());
  const size_t wanted = requested > 0 ? static_cast<size_t>(requested) : hardware;
  return static_cast<int>(std::max<size_t>(1, std::min(wanted, jobs)));
}

// Runs job(i) for every i < sizes.size(), largest sizes[i] first, on up to `threads` threads (the caller's
// thread among them). If jobs throw, the exception of the lowest index is rethrown after every thread has
// stopped, so which error a caller sees does not depend on timing.
template <class Job>
void run_jobs(const std::vector<int64_t>& sizes, int threads, Job&& job) {
  std::vector<size_t> order(sizes.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return sizes[a] > sizes[b]; });
  std::atomic<size_t> next{0};
  std::mutex failed_mutex;
  size_t failed_index = sizes.size();
  std::exception_ptr failed;
  auto worker = [&] {
    for (size_t at = next++; at < order.size(); at = next++) {
      try {
        job(order[at]);
      } catch (...) {
        const std::lock_guard<std::mutex> lock(failed_mutex);
        if (order[at] < failed_index) {
          failed_index = order[at];
          failed = std::current_exception();
        }
      }
    }
  };
  const int n = job_threads(threads, sizes.size());
  std::vector<std::thread> helpers;
  helpers.reserve(static_cast<size_t>(n - 1));
  for (int t = 1; t < n; ++t) {
    try {
      helpers.emplace_back(worker);
    } catch (const std::system_error&) {
      break;  // no more threads to be had: the ones running (and this one) take the rest
    }
  }
  worker();
  for (std::thread& h : helpers) h.join();
  if (failed) std::rethrow_exception(failed);
}

}  // namespace cohort::codec::detail
