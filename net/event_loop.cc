#include "net/event_loop.h"

#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/assert.h"
#include "net/limits.h"

namespace kvlab::net {

absl::StatusOr<std::unique_ptr<EventLoop>> EventLoop::Create() {
  const int fd = epoll_create1(EPOLL_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("epoll_create1: ", std::strerror(errno)));
  return std::unique_ptr<EventLoop>(new EventLoop(fd));
}

EventLoop::~EventLoop() { close(epoll_fd_); }

core::Nanos EventLoop::MonotonicNow() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<core::Nanos>(ts.tv_sec) * core::kNanosPerSecond + ts.tv_nsec;
}

absl::StatusOr<EventLoop::WatchId> EventLoop::Watch(int fd, uint32_t events, FdCallback callback) {
  const WatchId id = next_watch_id_++;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = id;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    return absl::InternalError(absl::StrCat("epoll_ctl add fd ", fd, ": ", std::strerror(errno)));
  }
  watched_.emplace(id, std::make_unique<Watched>(Watched{fd, events, std::move(callback)}));
  return id;
}

bool EventLoop::Modify(WatchId id, uint32_t events) {
  auto it = watched_.find(id);
  if (it == watched_.end()) return false;
  if (it->second->events == events) return true;
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = id;
  KV_ASSERT(epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, it->second->fd, &ev) == 0);
  it->second->events = events;
  return true;
}

void EventLoop::Unwatch(WatchId id) {
  auto it = watched_.find(id);
  if (it == watched_.end()) return;
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, it->second->fd, nullptr);
  unwatched_.push_back(std::move(it->second));
  watched_.erase(it);
}

void EventLoop::AddTimer(core::Nanos delay, Task task) {
  KV_ASSERT(delay >= 0);
  timers_.emplace(std::make_pair(MonotonicNow() + delay, timer_seq_++), std::move(task));
}

void EventLoop::Post(Task task) { posted_.push_back(std::move(task)); }

void EventLoop::AddEndOfTurnHook(Task hook) { hooks_.push_back(std::move(hook)); }

core::Nanos EventLoop::NextTimeoutNs() const {
  if (!posted_.empty() || stopping_) return 0;
  if (timers_.empty()) return -1;
  const core::Nanos wait = timers_.begin()->first.first - MonotonicNow();
  return std::clamp<core::Nanos>(wait, 0, kMaxWaitNs);
}

int EventLoop::Wait(epoll_event* events, int max, core::Nanos timeout) {
  if (timeout >= 0 && has_pwait2_) {
    const timespec ts{.tv_sec = timeout / core::kNanosPerSecond, .tv_nsec = timeout % core::kNanosPerSecond};
    const int n = epoll_pwait2(epoll_fd_, events, max, &ts, nullptr);
    if (n >= 0 || errno != ENOSYS) return n;
    has_pwait2_ = false;  // an older kernel: ms from now on.
  }
  const int ms = timeout < 0 ? -1 : static_cast<int>((timeout + core::kNanosPerMilli - 1) / core::kNanosPerMilli);
  return epoll_wait(epoll_fd_, events, max, ms);  // rounded up: never early.
}

void EventLoop::RunDueTimers() {
  const core::Nanos now = turn_now_;
  // Only timers due at entry run now: a timer added by a timer runs in a later turn.
  std::vector<Task> due;
  while (!timers_.empty() && timers_.begin()->first.first <= now) {
    due.push_back(std::move(timers_.begin()->second));
    timers_.erase(timers_.begin());
  }
  for (Task& t : due) t();
}

void EventLoop::RunTurn() {
  epoll_event events[kMaxEventsPerWait];
  const int n = Wait(events, kMaxEventsPerWait, NextTimeoutNs());
  KV_ASSERT(n >= 0 || errno == EINTR);
  turn_now_ = MonotonicNow();
  in_turn_ = true;
  for (int i = 0; i < n; ++i) {
    auto it = watched_.find(events[i].data.u64);
    if (it == watched_.end()) continue;  // unwatched earlier in this turn.
    Watched* w = it->second.get();       // stays alive until the turn ends, even if unwatched.
    w->callback(events[i].events);
  }
  RunDueTimers();
  std::vector<Task> posted;
  posted.swap(posted_);
  for (Task& t : posted) t();
  for (Task& hook : hooks_) hook();
  unwatched_.clear();
  in_turn_ = false;
  ++turns_;
}

void EventLoop::Run() {
  while (!stopping_) RunTurn();
}

}  // namespace kvlab::net
