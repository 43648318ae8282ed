#include "workloads/progress.h"

#include <cstdio>
#include <string>

#include "gtest/gtest.h"

namespace kvlab::workloads {
namespace {

std::string Capture(bool terminal, int windows) {
  char* buffer = nullptr;
  size_t size = 0;
  std::FILE* out = open_memstream(&buffer, &size);
  ProgressLine line(out, terminal, "mixed/raft", 10);
  for (int i = 0; i < windows; ++i) {
    line.Update({.t_s = i * 0.1, .ops = 5, .errors = 1, .p50_us = 120, .p99_us = 250});
  }
  line.Finish();
  std::fclose(out);
  std::string text(buffer, size);
  std::free(buffer);
  return text;
}

TEST(ProgressLine, PlainOutputPrintsEveryNthWindowOnItsOwnLine) {
  const std::string text = Capture(false, 25);
  EXPECT_EQ(text,
            "mixed/raft t=0.9s ops=50 errors=10 last: 5 ops, p50 120 us, p99 250 us\n"
            "mixed/raft t=1.9s ops=100 errors=20 last: 5 ops, p50 120 us, p99 250 us\n");
}

TEST(ProgressLine, TerminalOutputRewritesOneLineInPlace) {
  const std::string text = Capture(true, 3);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 3);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1);
  EXPECT_NE(text.find("ops=15 errors=3"), std::string::npos);
}

}  // namespace
}  // namespace kvlab::workloads
