#include "real/sync_thread.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "tests/real/node_process.h"

namespace kvlab::real {
namespace {

using testing::TempDir;

// Waits (bounded) until the thread's eventfd is readable; false if the deadline passed.
bool WaitReadable(int fd, int timeout_ms = 10'000) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN) != 0;
}

bool Readable(int fd) { return WaitReadable(fd, 0); }

std::vector<core::SyncToken> Tokens(const std::vector<SyncDone>& done) {
  std::vector<core::SyncToken> out;
  for (const SyncDone& d : done) out.push_back(d.token);
  return out;
}

class SyncThreadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fd_ = open((dir_.path() + "/f").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ASSERT_GE(fd_, 0);
  }
  void TearDown() override { close(fd_); }

  TempDir dir_;
  int fd_ = -1;
};

TEST_F(SyncThreadTest, CompletesInSubmissionOrderAndSignalsTheEventfd) {
  auto t = *SyncThread::Start();
  EXPECT_FALSE(Readable(t->event_fd())) << "nothing submitted, nothing to announce";
  std::vector<core::SyncToken> want;
  for (core::SyncToken token = 1; token <= 50; ++token) {
    ASSERT_EQ(write(fd_, "x", 1), 1);
    t->Submit(fd_, -1, "f", token);
    want.push_back(token);
  }
  EXPECT_EQ(t->outstanding(), 50u);
  std::vector<SyncDone> done;
  while (done.size() < want.size() && WaitReadable(t->event_fd())) {
    for (SyncDone& d : t->TakeDone()) done.push_back(std::move(d));
  }
  EXPECT_EQ(Tokens(done), want);
  for (const SyncDone& d : done) EXPECT_TRUE(d.status.ok()) << d.status;
  EXPECT_EQ(t->outstanding(), 0u);
  EXPECT_FALSE(Readable(t->event_fd())) << "TakeDone clears the eventfd";
}

TEST_F(SyncThreadTest, ABadDescriptorFailsItsOwnRequestInItsTurn) {
  auto t = *SyncThread::Start();
  t->Submit(fd_, -1, "f", 1);
  t->Submit(-1, -1, "gone", 2);
  t->Submit(fd_, -1, "f", 3);
  t->WaitForDone();
  const std::vector<SyncDone> done = t->TakeDone();
  ASSERT_EQ(Tokens(done), (std::vector<core::SyncToken>{1, 2, 3}));
  EXPECT_TRUE(done[0].status.ok());
  EXPECT_EQ(done[1].status.code(), absl::StatusCode::kInternal);
  EXPECT_NE(done[1].status.message().find("gone"), std::string::npos) << done[1].status;
  EXPECT_TRUE(done[2].status.ok());
}

// Ordering, not timing: the worker is inside request 1 (started, not finished: it sleeps the
// delay) while the submitter goes on submitting and finds nothing done.
TEST_F(SyncThreadTest, ASlowSyncDoesNotBlockTheSubmitter) {
  auto t = *SyncThread::Start(std::chrono::seconds(2));
  t->Submit(fd_, -1, "f", 1);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (t->started() < 1 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  ASSERT_EQ(t->started(), 1u);
  t->Submit(fd_, -1, "f", 2);
  EXPECT_TRUE(t->TakeDone().empty());
  EXPECT_EQ(t->outstanding(), 2u);
  t->WaitForDone();
  EXPECT_EQ(Tokens(t->TakeDone()), (std::vector<core::SyncToken>{1, 2}));
}

TEST_F(SyncThreadTest, TheDescriptorMayBeClosedAndTheFileRemovedWhileItsSyncRuns) {
  auto t = *SyncThread::Start(std::chrono::milliseconds(300));
  const int fd = open((dir_.path() + "/g").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_EQ(write(fd, "abc", 3), 3);
  t->Submit(fd, -1, "g", 9);
  close(fd);
  std::filesystem::remove(dir_.path() + "/g");
  ASSERT_TRUE(WaitReadable(t->event_fd()));
  const std::vector<SyncDone> done = t->TakeDone();
  ASSERT_EQ(Tokens(done), std::vector<core::SyncToken>{9});
  EXPECT_TRUE(done[0].status.ok()) << done[0].status << ": the duplicate kept the file open";
}

TEST(SyncThreadLimits, ADelayOutOfRangeIsRefused) {
  EXPECT_EQ(SyncThread::Start(kMaxSyncDelay + std::chrono::milliseconds(1)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(SyncThread::Start(std::chrono::milliseconds(-1)).status().code(), absl::StatusCode::kInvalidArgument);
}

// Threads of this process that block both SIGTERM and SIGINT (from /proc/self/task/*/status).
int ThreadsBlockingTermAndInt() {
  int count = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream status(task.path() / "status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("SigBlk:", 0) != 0) continue;
      const unsigned long long mask = std::stoull(line.substr(7), nullptr, 16);
      const unsigned long long want = (1ull << (SIGTERM - 1)) | (1ull << (SIGINT - 1));
      if ((mask & want) == want) ++count;
    }
  }
  return count;
}

TEST(SyncThreadSignals, TheWorkerBlocksTheSignalsTheLoopHandles) {
  const int before = ThreadsBlockingTermAndInt();
  auto t = *SyncThread::Start();
  EXPECT_EQ(ThreadsBlockingTermAndInt(), before + 1);
  sigset_t mine;
  ASSERT_EQ(pthread_sigmask(SIG_SETMASK, nullptr, &mine), 0);
  EXPECT_EQ(sigismember(&mine, SIGTERM), 0) << "the creating thread's mask is restored";
}

}  // namespace
}  // namespace kvlab::real
