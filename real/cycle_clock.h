// A cheap clock for timing every request (INFO commandstats): the CPU's time-stamp counter where
// the machine has an invariant one (x86-64: one instruction, where clock_gettime's vDSO path reads
// the same counter and then scales it under a sequence lock), converted to time at report time by
// the counter's rate measured against the monotonic clock since the first reading. Elsewhere it is
// the monotonic clock in ns.
#pragma once

#include <cstdint>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace kvlab::real {

class CycleClock {
 public:
  // Ticks since an arbitrary origin; only differences mean anything. Inline: it runs twice per
  // request.
  static uint64_t Now() {
#if defined(__x86_64__)
    return __rdtsc();
#else
    return MonotonicTicks();
#endif
  }
  // `ticks` (a difference of Now()s) in microseconds.
  static double ToMicros(uint64_t ticks);

 private:
  static uint64_t MonotonicTicks();
};

}  // namespace kvlab::real
