// A cheap clock for timing every request (INFO commandstats): the CPU's time-stamp counter where
// the machine has an invariant one (x86-64: one instruction, where clock_gettime's vDSO path reads
// the same counter and then scales it under a sequence lock), converted to time at report time by
// the counter's rate measured against the monotonic clock since the first reading. Elsewhere it is
// the monotonic clock in ns.
#pragma once

#include <cstdint>

namespace kvlab::real {

class CycleClock {
 public:
  // Ticks since an arbitrary origin; only differences mean anything.
  static uint64_t Now();
  // `ticks` (a difference of Now()s) in microseconds.
  static double ToMicros(uint64_t ticks);
};

}  // namespace kvlab::real
