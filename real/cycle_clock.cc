#include "real/cycle_clock.h"

#include "net/event_loop.h"

namespace kvlab::real {
namespace {

uint64_t MonotonicNs() { return static_cast<uint64_t>(net::EventLoop::MonotonicNow()); }

#if defined(__x86_64__)
// The first reading of both clocks: the rate is measured from here to each report.
struct Origin {
  uint64_t ticks = __rdtsc();
  uint64_t ns = MonotonicNs();
};
const Origin& TheOrigin() {
  static const Origin origin;
  return origin;
}
// Taken when the program starts, before any reading it will be compared with.
[[maybe_unused]] const Origin& origin_at_start = TheOrigin();
// Below this much elapsed time the measured rate is too coarse: ticks count as ns until then.
constexpr uint64_t kMinRateWindowNs = 10'000'000;
#endif

}  // namespace

uint64_t CycleClock::MonotonicTicks() { return MonotonicNs(); }

double CycleClock::ToMicros(uint64_t ticks) {
#if defined(__x86_64__)
  const Origin& o = TheOrigin();
  const uint64_t ns = MonotonicNs() - o.ns;
  const uint64_t elapsed_ticks = __rdtsc() - o.ticks;
  if (ns < kMinRateWindowNs || elapsed_ticks == 0) return static_cast<double>(ticks) / 1e3;
  return static_cast<double>(ticks) * (static_cast<double>(ns) / static_cast<double>(elapsed_ticks)) / 1e3;
#else
  return static_cast<double>(ticks) / 1e3;
#endif
}

}  // namespace kvlab::real
