// Synthetic histories of an atomic in-memory register, for checker tests and benchmarks: clients
// issue random gets/puts over random intervals; each op takes effect at a random instant inside
// its interval (unknown puts possibly later, or never; failed ops never), so the result is
// linearizable by construction.
#pragma once

#include <cstdint>
#include <vector>

#include "core/rng.h"
#include "workloads/history.h"

namespace kvlab::workloads {

struct SyntheticHistoryOptions {
  int clients = 10;
  int ops_per_client = 100;
  int keys = 10;
  uint32_t unknown_ppm = 50'000;  // share of ops whose outcome is unknown.
  uint32_t fail_ppm = 50'000;     // share of ops that definitely failed.
};

std::vector<HistoryOp> AtomicRegisterHistory(core::Rng& rng, const SyntheticHistoryOptions& o);

}  // namespace kvlab::workloads
