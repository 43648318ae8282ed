// Invariant assertions that stay on in every build (Release included): the simulator relies on
// them to turn a silent corruption into a failing seed. Expensive checks go behind kParanoid.
#pragma once

#include <cstdio>
#include <cstdlib>

namespace kvlab::core {

// Set to true to enable O(n) self-checks (e.g. full-state verification after every apply).
inline constexpr bool kParanoid = false;

[[noreturn]] inline void AssertFailed(const char* expr, const char* file, int line) {
  std::fprintf(stderr, "kvlab: assertion failed: %s at %s:%d\n", expr, file, line);
  std::abort();
}

}  // namespace kvlab::core

#define KV_ASSERT(expr) ((expr) ? static_cast<void>(0) : ::kvlab::core::AssertFailed(#expr, __FILE__, __LINE__))
