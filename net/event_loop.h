// A single-threaded epoll event loop: file-descriptor readiness callbacks, one-shot timers, posted
// tasks and end-of-turn hooks. One turn = wait for readiness (or the next timer), run every ready
// callback, every due timer and posted task, then every end-of-turn hook once. The node server
// hangs core::Node::EndTurn() (group commit: one fsync per turn) and the reply flush there.
//
// Level-triggered. Callbacks may watch/unwatch descriptors (including their own) and add timers;
// an unwatched callback is destroyed only after the turn, so it may safely unwatch itself.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/types.h"

struct epoll_event;

namespace kvlab::net {

class EventLoop {
 public:
  using WatchId = uint64_t;
  using FdCallback = absl::AnyInvocable<void(uint32_t events)>;  // EPOLLIN/EPOLLOUT/EPOLLERR/...
  using Task = absl::AnyInvocable<void()>;

  static absl::StatusOr<std::unique_ptr<EventLoop>> Create();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // Watches `fd` for `events` (EPOLLIN and/or EPOLLOUT). The loop does not own `fd`.
  absl::StatusOr<WatchId> Watch(int fd, uint32_t events, FdCallback callback);
  // Changes the events of a watch; false if the watch is gone.
  bool Modify(WatchId id, uint32_t events);
  // Stops watching (the caller closes the fd afterwards). Unknown ids are ignored.
  void Unwatch(WatchId id);

  // Runs `task` once, `delay` from now (>= 0). Timers cannot be cancelled.
  void AddTimer(core::Nanos delay, Task task);
  // Runs `task` in the next turn, without waiting for readiness.
  void Post(Task task);
  // Called once at the end of every turn, in the order added.
  void AddEndOfTurnHook(Task hook);

  // Runs turns until Stop(); the turn in which Stop() was called completes (hooks included).
  void Run();
  // Runs one turn (waiting for readiness or the next timer if nothing is ready): for tests.
  void RunOnce() { RunTurn(); }
  void Stop() { stopping_ = true; }
  bool stopping() const { return stopping_; }

  // CLOCK_MONOTONIC, in nanoseconds.
  static core::Nanos MonotonicNow();
  // The clock as read once when the current turn's events arrived (Redis's cached mstime): the
  // hot path pays no clock_gettime per request. Outside a turn, the current time. Never goes back.
  core::Nanos TurnNow() const { return in_turn_ ? turn_now_ : MonotonicNow(); }
  uint64_t turns() const { return turns_; }

 private:
  struct Watched {
    int fd;
    uint32_t events;
    FdCallback callback;
  };

  explicit EventLoop(int epoll_fd) : epoll_fd_(epoll_fd) {}
  // How long the next wait may block: -1 without timers, else ns until the first is due (0 when
  // work is posted or one is due).
  core::Nanos NextTimeoutNs() const;
  // epoll_wait for at most `timeout` ns (-1: until an event): to the ns where the kernel has
  // epoll_pwait2 (5.11+), else rounded up to epoll_wait's ms (a timer then fires up to 1 ms late).
  int Wait(epoll_event* events, int max, core::Nanos timeout);
  void RunTurn();
  void RunDueTimers();

  // The longest one wait blocks with a timer pending (a timer far away is waited for in steps).
  static constexpr core::Nanos kMaxWaitNs = core::Seconds(60);

  const int epoll_fd_;
  bool has_pwait2_ = true;  // false once the kernel said ENOSYS.
  WatchId next_watch_id_ = 1;
  absl::flat_hash_map<WatchId, std::unique_ptr<Watched>> watched_;
  std::vector<std::unique_ptr<Watched>> unwatched_;          // destroyed after the turn.
  std::map<std::pair<core::Nanos, uint64_t>, Task> timers_;  // (deadline, sequence) -> task.
  uint64_t timer_seq_ = 0;
  std::vector<Task> posted_;
  std::vector<Task> hooks_;
  bool stopping_ = false;
  bool in_turn_ = false;
  core::Nanos turn_now_ = 0;
  uint64_t turns_ = 0;
};

}  // namespace kvlab::net
