// SyncThread: one worker thread that runs a PosixDisk's fdatasync requests, oldest first, so a
// slow sync never stalls the node's event loop (heartbeats, reads and other clients go on while it
// runs). Completions come back through an eventfd the event loop watches: readable once at least
// one request finished; TakeDone() clears it and hands the finished requests over, in order.
//
// Threading contract: Submit, TakeDone, outstanding and WaitForDone are called from one thread
// (the event loop's); the worker touches only the queue (under the mutex) and the descriptors it
// was given. The worker starts with every signal blocked: the node reads SIGTERM/SIGINT from a
// signalfd on its loop, and a signal must never be delivered to this thread instead.
//
// Descriptor lifetime: Submit takes its own duplicate of the file's descriptor (and of the
// directory's), which the worker closes after the sync. The disk may truncate, rename, remove or
// close the file while its sync is in flight: the duplicate keeps the open file (and its inode)
// alive, and the sync covers the data written to it before Submit.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/types.h"

namespace kvlab::real {

// Syncs queued or running at once; PosixDisk makes StartSync wait (backpressure) beyond it.
inline constexpr size_t kMaxSyncsInFlight = 1024;
// The test-only per-sync delay is at most this long (a slowed disk, not a hung one).
inline constexpr std::chrono::milliseconds kMaxSyncDelay{10'000};

struct SyncDone {
  core::SyncToken token = 0;
  absl::Status status;  // OK: the file's data written before Submit is durable.
  // How long the fdatasync itself took on the worker (0 when none ran: a failed duplicate).
  std::chrono::nanoseconds took{0};
};

class SyncThread {
 public:
  // `delay` (test/debug only, <= kMaxSyncDelay) is slept by the worker before each fdatasync:
  // a slow disk whose syncs each take that much longer.
  static absl::StatusOr<std::unique_ptr<SyncThread>> Start(std::chrono::nanoseconds delay = {});
  // Finishes every submitted request (a clean stop loses no sync), then joins the worker.
  ~SyncThread();
  SyncThread(const SyncThread&) = delete;
  SyncThread& operator=(const SyncThread&) = delete;

  // Queues fdatasync(fd) (then fsync(dir_fd) when dir_fd >= 0: a new file's name) under `token`.
  // `name` names the file in an error. Returns at once. REQUIRES: outstanding() < kMaxSyncsInFlight.
  // A descriptor that cannot be duplicated completes the request with that error, in its turn.
  void Submit(int fd, int dir_fd, std::string name, core::SyncToken token);
  // The finished requests, oldest first, removed; also clears the eventfd's readiness.
  std::vector<SyncDone> TakeDone();
  // Submitted and not yet handed out by TakeDone.
  size_t outstanding() const { return outstanding_; }
  // Blocks until every submitted request has finished (a clean stop; a full queue).
  void WaitForDone();
  // Readable (EPOLLIN) once a request has finished and TakeDone was not yet called.
  int event_fd() const { return event_fd_; }
  // Requests the worker has started, for tests: it is busy with, or past, the first `n`.
  uint64_t started() const;

 private:
  struct Request {
    int fd = -1;      // our duplicate; -1 when the duplicate failed (`status` says why).
    int dir_fd = -1;  // our duplicate, or -1.
    std::string name;
    core::SyncToken token = 0;
    absl::Status status;
  };

  SyncThread(int event_fd, std::chrono::nanoseconds delay) : event_fd_(event_fd), delay_(delay) {}
  void Run();
  // Runs the request's syncs; `took` is set to the fdatasync's duration.
  absl::Status Execute(Request& request, std::chrono::nanoseconds* took) const;
  void Signal();

  const int event_fd_;
  const std::chrono::nanoseconds delay_;
  size_t outstanding_ = 0;  // loop thread only.
  mutable std::mutex mu_;
  std::condition_variable work_;  // the worker waits for requests or stop.
  std::condition_variable idle_;  // WaitForDone waits for the queue to empty.
  std::deque<Request> queue_;     // guarded by mu_: not yet finished, oldest first.
  std::vector<SyncDone> done_;    // guarded by mu_: finished, not yet taken.
  uint64_t started_ = 0;          // guarded by mu_.
  bool stop_ = false;             // guarded by mu_.
  std::thread worker_;
};

}  // namespace kvlab::real
