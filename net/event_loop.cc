#include "net/event_loop.h"

#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

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

int EventLoop::NextTimeoutMs() const {
  if (!posted_.empty() || stopping_) return 0;
  if (timers_.empty()) return -1;
  const core::Nanos wait = timers_.begin()->first.first - MonotonicNow();
  if (wait <= 0) return 0;
  const core::Nanos ms = (wait + core::kNanosPerMilli - 1) / core::kNanosPerMilli;  // never early.
  return ms > 60'000 ? 60'000 : static_cast<int>(ms);
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
  const int n = epoll_wait(epoll_fd_, events, kMaxEventsPerWait, NextTimeoutMs());
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
