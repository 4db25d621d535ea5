// SIMT emulator: runs this project's CUDA kernel sources on a CPU, so CI (which has no GPU) executes the
// kernels themselves and not only their CPU twins. A test double where no real part can run; never linked
// into the engine, and a GPU session still runs the real suites (native_codec_cuda_tests,
// native_engine_cuda_tests).
//
// How: CMake copies each kernels/*.cu with the launch syntax `k<<<grid, block, shared, stream>>>(args)`
// rewritten to `k * ::cohort::simt::Config{grid, block, shared, stream}(args)` (simt_kernel_sources in
// native/CMakeLists.txt) and compiles it as C++ with this header forced in and the shims of this directory
// (cuda_runtime_api.h, cub/block/block_scan.cuh) ahead on the include path. A launch runs the grid's
// blocks one after another; each block's threads are fibers (ucontext) that run one at a time from
// barrier to barrier: __syncthreads waits for every live thread of the block, a warp shuffle for every
// live lane of the warp, __shared__ variables are function statics. Threads run in ascending or
// descending order between barriers (set_order): a kernel whose result depends on that order reads
// memory another thread writes without a barrier between, a race a GPU would show only sometimes.
// A block whose threads wait at different barriers forever fails the launch with a message.
//
// Not emulated: warp-synchronous execution without a *_sync primitive, memory ordering beyond barriers,
// timing, occupancy, and resource limits other than the block size and grid y.
#pragma once

#include <math.h>
#include <ucontext.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "cuda_runtime_api.h"

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __launch_bounds__(...)
#define __shared__ static

// Built-in variables of the thread the scheduler is running.
inline dim3 threadIdx;
inline dim3 blockIdx;
inline dim3 blockDim;
inline dim3 gridDim;

namespace cohort::simt {

enum class Order { ascending, descending };

class Scheduler {
 public:
  static Scheduler& get() {
    static Scheduler scheduler;
    return scheduler;
  }

  void set_order(Order order) { order_ = order; }

  // Runs body once per thread of every block of the grid. Throws std::runtime_error on a barrier deadlock.
  void run(dim3 grid, dim3 block, const std::function<void()>& body) {
    const unsigned int threads = block.x * block.y * block.z;
    fibers_.assign(threads, Fiber{});
    stacks_.resize(static_cast<size_t>(threads) * kStackBytes);
    slots_.assign(threads, 0);
    body_ = &body;
    gridDim = grid;
    blockDim = block;
    for (unsigned int z = 0; z < grid.z; ++z) {
      for (unsigned int y = 0; y < grid.y; ++y) {
        for (unsigned int x = 0; x < grid.x; ++x) {
          blockIdx = dim3(x, y, z);
          run_block(threads);
        }
      }
    }
  }

  // A lane's scratch word for warp exchanges.
  uint64_t& slot(unsigned int thread) { return slots_[thread]; }

  unsigned int linear_thread() const { return current_; }

 private:
  static constexpr size_t kStackBytes = 64 * 1024;
  enum class State { ready, at_block_barrier, at_warp_barrier, done };
  struct Fiber {
    ucontext_t context{};
    State state = State::ready;
  };

  static void entry() {
    Scheduler& s = get();
    (*s.body_)();
    s.fibers_[s.current_].state = State::done;
    // Returning resumes uc_link: the scheduler.
  }

  void enter(unsigned int t) {
    current_ = t;
    threadIdx = dim3(t % blockDim.x, (t / blockDim.x) % blockDim.y, t / (blockDim.x * blockDim.y));
    swapcontext(&main_, &fibers_[t].context);
  }

  void run_block(unsigned int threads) {
    for (unsigned int t = 0; t < threads; ++t) {
      Fiber& f = fibers_[t];
      f.state = State::ready;
      getcontext(&f.context);
      f.context.uc_stack.ss_sp = stacks_.data() + static_cast<size_t>(t) * kStackBytes;
      f.context.uc_stack.ss_size = kStackBytes;
      f.context.uc_link = &main_;
      makecontext(&f.context, &Scheduler::entry, 0);
    }
    for (;;) {
      for (unsigned int i = 0; i < threads; ++i) {
        const unsigned int t = order_ == Order::ascending ? i : threads - 1 - i;
        if (fibers_[t].state == State::ready) enter(t);
      }
      unsigned int live = 0;
      unsigned int at_block = 0;
      for (const Fiber& f : fibers_) {
        live += f.state != State::done ? 1U : 0U;
        at_block += f.state == State::at_block_barrier ? 1U : 0U;
      }
      if (live == 0) return;
      bool released = false;
      if (at_block == live) {
        for (Fiber& f : fibers_) f.state = f.state == State::done ? State::done : State::ready;
        released = true;
      }
      for (unsigned int w = 0; w < threads; w += 32) {
        const unsigned int end = w + 32 < threads ? w + 32 : threads;
        bool all = true;
        bool any = false;
        for (unsigned int t = w; t < end; ++t) {
          if (fibers_[t].state == State::done) continue;
          any = true;
          all = all && fibers_[t].state == State::at_warp_barrier;
        }
        if (any && all) {
          for (unsigned int t = w; t < end; ++t) {
            if (fibers_[t].state == State::at_warp_barrier) fibers_[t].state = State::ready;
          }
          released = true;
        }
      }
      if (!released) {
        throw std::runtime_error("simt: block (" + std::to_string(blockIdx.x) + ", " + std::to_string(blockIdx.y) +
                                 "): threads wait at different barriers (" + std::to_string(at_block) + " of " +
                                 std::to_string(live) + " live threads at __syncthreads)");
      }
    }
  }

 public:
  void barrier(bool warp) {
    fibers_[current_].state = warp ? State::at_warp_barrier : State::at_block_barrier;
    const unsigned int me = current_;
    swapcontext(&fibers_[me].context, &main_);
    // Resumed by enter(), which restored current_ and threadIdx.
  }

 private:
  Order order_ = Order::ascending;
  std::vector<Fiber> fibers_;
  std::vector<char> stacks_;
  std::vector<uint64_t> slots_;
  const std::function<void()>* body_ = nullptr;
  ucontext_t main_{};
  unsigned int current_ = 0;
};

// Kernel arguments, bound at the call and copied per launch (as CUDA copies them).
template <class... A>
struct Pending {
  dim3 grid;
  dim3 block;
  std::tuple<A...> args;
};

inline dim3 to_dim3(dim3 d) { return d; }
template <class I, class = std::enable_if_t<std::is_integral_v<I>>>
dim3 to_dim3(I n) {
  return dim3(static_cast<unsigned int>(n));
}

// The launch configuration of `k<<<grid, block, shared, stream>>>`; grid and block are dim3 or integers,
// converted as the runtime converts them.
struct Config {
  dim3 grid;
  dim3 block;
  template <class G, class B>
  Config(G g, B b, size_t = 0, cudaStream_t = nullptr) : grid(to_dim3(g)), block(to_dim3(b)) {}
  template <class... A>
  Pending<std::decay_t<A>...> operator()(A&&... args) const {
    return {grid, block, std::tuple<std::decay_t<A>...>(std::forward<A>(args)...)};
  }
};

// Sets the order threads run in between barriers (all later launches).
inline void set_order(Order order) { Scheduler::get().set_order(order); }

}  // namespace cohort::simt

// `kernel * Config{...}(args)`: the rewritten launch. Checks the configuration like the runtime, then runs.
template <class... P, class... A>
void operator*(void (*kernel)(P...), cohort::simt::Pending<A...> pending) {
  using cohort::simt::last_error;
  const unsigned int threads = pending.block.x * pending.block.y * pending.block.z;
  if (threads == 0 || threads > 1024 || pending.grid.x == 0 || pending.grid.y == 0 || pending.grid.z == 0 ||
      pending.grid.y > 65535 || pending.grid.z > 65535) {
    last_error = cudaErrorInvalidConfiguration;
    return;
  }
  const std::function<void()> body = [&] { std::apply([&](auto&... a) { kernel(a...); }, pending.args); };
  cohort::simt::Scheduler::get().run(pending.grid, pending.block, body);
}

inline void __syncthreads() { cohort::simt::Scheduler::get().barrier(false); }

template <class T>
T __shfl_xor_sync(unsigned int, T value, int lane_mask, int = 32) {
  static_assert(sizeof(T) <= sizeof(uint64_t), "a shuffled value fits a lane's slot");
  auto& s = cohort::simt::Scheduler::get();
  const unsigned int me = s.linear_thread();
  std::memcpy(&s.slot(me), &value, sizeof(T));
  s.barrier(true);
  const unsigned int partner = (me & ~31U) | ((me & 31U) ^ static_cast<unsigned int>(lane_mask));
  T out;
  std::memcpy(&out, &s.slot(partner), sizeof(T));
  s.barrier(true);  // no lane overwrites its slot before every lane has read
  return out;
}

// Atomics: one thread runs at a time, so plain read-modify-writes are atomic.
inline unsigned int atomicAdd(unsigned int* p, unsigned int v) {
  const unsigned int old = *p;
  *p = old + v;
  return old;
}
inline unsigned long long atomicAdd(unsigned long long* p, unsigned long long v) {
  const unsigned long long old = *p;
  *p = old + v;
  return old;
}
inline float atomicAdd(float* p, float v) {
  const float old = *p;
  *p = old + v;
  return old;
}
inline unsigned int atomicOr(unsigned int* p, unsigned int v) {
  const unsigned int old = *p;
  *p = old | v;
  return old;
}

// Correctly rounded intrinsics: one IEEE operation each (the emulated sources build with
// -ffp-contract=off, so nothing is fused behind their back).
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fsub_rn(float a, float b) { return a - b; }
inline double __dadd_rn(double a, double b) { return a + b; }
inline double __dsub_rn(double a, double b) { return a - b; }
inline double __dmul_rn(double a, double b) { return a * b; }
inline double __ddiv_rn(double a, double b) { return a / b; }
inline double __dsqrt_rn(double a) { return std::sqrt(a); }
inline float __double2float_rn(double a) { return static_cast<float>(a); }
inline unsigned int __float_as_uint(float v) {
  unsigned int bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits;
}
inline float __uint_as_float(unsigned int bits) {
  float v;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}
