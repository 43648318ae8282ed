// Fiber: a stackful coroutine (Boost.Context) that lets workload code read as plain blocking calls
// (`auto v = client.Get(k);`) while a scheduler (the simulator in virtual time, or the real driver's
// epoll loop) decides when it runs. One thread only.
//
// Under AddressSanitizer every stack switch is announced with __sanitizer_start_switch_fiber /
// __sanitizer_finish_switch_fiber, so ASan knows which stack is live and stays exact.
#pragma once

#include <boost/context/fiber.hpp>
#include <cstddef>
#include <functional>
#include <memory>

namespace kvlab::workloads {

inline constexpr size_t kFiberStackBytes = 256 * 1024;

class Fiber {
 public:
  explicit Fiber(std::function<void()> body, size_t stack_bytes = kFiberStackBytes);
  ~Fiber();
  Fiber(const Fiber&) = delete;
  Fiber& operator=(const Fiber&) = delete;

  // Runs the fiber until it calls Suspend() or returns. REQUIRES: !finished(), not called from
  // inside this fiber.
  void Resume();
  // From inside a fiber: switches back to whoever called Resume().
  static void Suspend();
  // The fiber running now, or nullptr on the scheduler's own stack.
  static Fiber* Current();

  bool finished() const { return finished_; }

 private:
  struct Stack;
  void EnterFromCaller();
  void LeaveToCaller();

  std::function<void()> body_;
  std::unique_ptr<Stack> stack_;
  boost::context::fiber self_;    // the fiber's continuation while it is suspended.
  boost::context::fiber caller_;  // the resumer's continuation while the fiber runs.
  bool started_ = false;
  bool finished_ = false;
  Fiber* previous_ = nullptr;
  // ASan bookkeeping: the caller's stack bounds, saved when entering the fiber.
  const void* caller_stack_bottom_ = nullptr;
  size_t caller_stack_size_ = 0;
  void* fake_stack_ = nullptr;
};

}  // namespace kvlab::workloads
