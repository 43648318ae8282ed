#include "real/sync_thread.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "core/assert.h"

namespace kvlab::real {
namespace {

absl::Status SyncError(std::string_view what, std::string_view name, int err) {
  return absl::InternalError(absl::StrCat(std::string(what), " ", std::string(name), ": ", std::strerror(err)));
}

// Creates a thread with every signal blocked (it inherits the creator's mask, restored after).
std::thread StartWithSignalsBlocked(SyncThread* self, void (SyncThread::*run)()) {
  sigset_t all, old;
  sigfillset(&all);
  KV_ASSERT(pthread_sigmask(SIG_SETMASK, &all, &old) == 0);
  std::thread t(run, self);
  KV_ASSERT(pthread_sigmask(SIG_SETMASK, &old, nullptr) == 0);
  return t;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SyncThread>> SyncThread::Start(std::chrono::nanoseconds delay) {
  if (delay < std::chrono::nanoseconds::zero() || delay > kMaxSyncDelay) {
    return absl::InvalidArgumentError(absl::StrCat("sync delay must be 0..", kMaxSyncDelay.count(), " ms"));
  }
  const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return absl::InternalError(absl::StrCat("eventfd: ", std::strerror(errno)));
  std::unique_ptr<SyncThread> t(new SyncThread(fd, delay));
  t->worker_ = StartWithSignalsBlocked(t.get(), &SyncThread::Run);
  return t;
}

SyncThread::~SyncThread() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  work_.notify_one();
  worker_.join();  // the worker finishes the queue first.
  close(event_fd_);
}

void SyncThread::Submit(int fd, int dir_fd, std::string name, core::SyncToken token) {
  KV_ASSERT(outstanding_ < kMaxSyncsInFlight);
  Request r;
  r.name = std::move(name);
  r.token = token;
  r.fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (r.fd < 0) r.status = SyncError("dup", r.name, errno);
  if (dir_fd >= 0 && r.status.ok()) {
    r.dir_fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
    if (r.dir_fd < 0) r.status = SyncError("dup directory of", r.name, errno);
  }
  ++outstanding_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(r));
  }
  work_.notify_one();
}

std::vector<SyncDone> SyncThread::TakeDone() {
  uint64_t count = 0;
  // Read before taking: a completion after the read signals again (at worst a spurious wake-up).
  while (read(event_fd_, &count, sizeof(count)) < 0 && errno == EINTR) {
  }
  std::vector<SyncDone> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    out.swap(done_);
  }
  KV_ASSERT(out.size() <= outstanding_);
  outstanding_ -= out.size();
  return out;
}

void SyncThread::WaitForDone() {
  std::unique_lock<std::mutex> lock(mu_);
  idle_.wait(lock, [this] { return queue_.empty(); });
}

uint64_t SyncThread::started() const {
  std::lock_guard<std::mutex> lock(mu_);
  return started_;
}

void SyncThread::Signal() {
  const uint64_t one = 1;
  // Cannot fail short of a counter overflow (2^64 - 1 completions without a TakeDone).
  while (write(event_fd_, &one, sizeof(one)) < 0 && errno == EINTR) {
  }
}

// The worker: the front request stays queued while it runs (WaitForDone sees it), and only the
// worker touches it; push_back on a deque keeps references to existing elements valid.
void SyncThread::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    work_.wait(lock, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_, and nothing left to do.
    Request& r = queue_.front();
    ++started_;
    lock.unlock();
    std::chrono::nanoseconds took{0};
    absl::Status status = Execute(r, &took);
    lock.lock();
    done_.push_back(SyncDone{r.token, std::move(status), took});
    queue_.pop_front();
    Signal();
    if (queue_.empty()) idle_.notify_all();
  }
}

// Runs on the worker, without the lock. Closes the request's duplicates.
absl::Status SyncThread::Execute(Request& r, std::chrono::nanoseconds* took) const {
  absl::Status status = r.status;
  if (status.ok()) {
    const auto start = std::chrono::steady_clock::now();  // a test's slow disk counts too.
    if (delay_ > std::chrono::nanoseconds::zero()) std::this_thread::sleep_for(delay_);
    if (fdatasync(r.fd) != 0) status = SyncError("fdatasync", r.name, errno);
    *took = std::chrono::steady_clock::now() - start;
  }
  if (status.ok() && r.dir_fd >= 0 && fsync(r.dir_fd) != 0) status = SyncError("fsync directory of", r.name, errno);
  if (r.fd >= 0) close(r.fd);
  if (r.dir_fd >= 0) close(r.dir_fd);
  r.fd = r.dir_fd = -1;
  return status;
}

}  // namespace kvlab::real
