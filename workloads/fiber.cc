#include "workloads/fiber.h"

#include <boost/context/stack_context.hpp>
#include <cstdlib>
#include <utility>

#include "core/assert.h"

#if defined(KVLAB_ASAN) || defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define KVLAB_FIBER_ASAN 1
#endif

namespace kvlab::workloads {
namespace {

thread_local Fiber* current_fiber = nullptr;

void StartSwitch(void** fake_stack_save, const void* bottom, size_t size) {
#ifdef KVLAB_FIBER_ASAN
  __sanitizer_start_switch_fiber(fake_stack_save, bottom, size);
#else
  (void)fake_stack_save, (void)bottom, (void)size;
#endif
}

void FinishSwitch(void* fake_stack_save, const void** old_bottom, size_t* old_size) {
#ifdef KVLAB_FIBER_ASAN
  __sanitizer_finish_switch_fiber(fake_stack_save, old_bottom, old_size);
#else
  (void)fake_stack_save, (void)old_bottom, (void)old_size;
#endif
}

}  // namespace

// A heap stack whose bounds we know, so ASan can be told about every switch onto it.
struct Fiber::Stack {
  explicit Stack(size_t bytes) : size(bytes), memory(static_cast<char*>(std::malloc(bytes))) {
    KV_ASSERT(memory != nullptr);
  }
  ~Stack() { std::free(memory); }
  size_t size;
  char* memory;
};

namespace {

// Boost.Context stack allocator over a Stack we own (the fiber never frees it itself).
struct BorrowedStack {
  char* memory;
  size_t size;
  boost::context::stack_context allocate() {
    boost::context::stack_context sc;
    sc.size = size;
    sc.sp = memory + size;  // stacks grow down: sp is the top.
    return sc;
  }
  void deallocate(boost::context::stack_context&) {}
};

}  // namespace

Fiber::Fiber(std::function<void()> body, size_t stack_bytes)
    : body_(std::move(body)), stack_(std::make_unique<Stack>(stack_bytes)) {
  self_ = boost::context::fiber(std::allocator_arg, BorrowedStack{stack_->memory, stack_->size},
                                [this](boost::context::fiber&& caller) {
                                  caller_ = std::move(caller);
                                  // First entry: complete the switch the resumer started, remembering its stack.
                                  FinishSwitch(nullptr, &caller_stack_bottom_, &caller_stack_size_);
                                  body_();
                                  finished_ = true;
                                  // Leaving for good: nullptr tells ASan this stack's fake frames can be dropped.
                                  StartSwitch(nullptr, caller_stack_bottom_, caller_stack_size_);
                                  return std::move(caller_);
                                });
}

Fiber::~Fiber() {
  // Schedulers run every fiber they started to completion (pending calls fail at shutdown):
  // destroying a suspended fiber would make Boost unwind it with an unannotated stack switch.
  KV_ASSERT(finished_ || !started_);
}

void Fiber::Resume() {
  KV_ASSERT(!finished_);
  KV_ASSERT(current_fiber != this);
  started_ = true;
  previous_ = current_fiber;
  current_fiber = this;
  EnterFromCaller();
  current_fiber = previous_;
}

void Fiber::EnterFromCaller() {
  StartSwitch(&fake_stack_, stack_->memory, stack_->size);
  self_ = std::move(self_).resume();
  FinishSwitch(fake_stack_, nullptr, nullptr);
}

void Fiber::Suspend() {
  Fiber* f = current_fiber;
  KV_ASSERT(f != nullptr);
  f->LeaveToCaller();
}

void Fiber::LeaveToCaller() {
  void* fake = nullptr;
  StartSwitch(&fake, caller_stack_bottom_, caller_stack_size_);
  caller_ = std::move(caller_).resume();
  FinishSwitch(fake, &caller_stack_bottom_, &caller_stack_size_);
}

Fiber* Fiber::Current() { return current_fiber; }

}  // namespace kvlab::workloads
