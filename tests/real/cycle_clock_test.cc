#include "real/cycle_clock.h"

#include <gtest/gtest.h>

#include <chrono>

namespace kvlab::real {
namespace {

// The counter's ticks, converted, agree with the monotonic clock over the same interval (both
// measure one stretch of wall time, so the machine's load does not matter).
TEST(CycleClockTest, TicksConvertToTheMonotonicClocksMicroseconds) {
  const auto start = std::chrono::steady_clock::now();
  const uint64_t ticks_start = CycleClock::Now();
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(30)) {
  }
  const uint64_t ticks = CycleClock::Now() - ticks_start;
  const double steady_us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  const double cycle_us = CycleClock::ToMicros(ticks);
  EXPECT_GT(cycle_us, steady_us * 0.8) << cycle_us << " vs " << steady_us;
  EXPECT_LT(cycle_us, steady_us * 1.2) << cycle_us << " vs " << steady_us;
}

}  // namespace
}  // namespace kvlab::real
