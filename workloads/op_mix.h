// Operation mixes and value sizes: what each workload operation does and how big its value is.
// Proportions are turned into parts per million once, so every draw is integer arithmetic.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "core/rng.h"

namespace kvlab::workloads {

// YCSB's operation kinds (scan is left out: the store has no range reads).
enum class WorkloadOp { kRead, kUpdate, kInsert, kReadModifyWrite };
const char* WorkloadOpName(WorkloadOp op);

struct OpMix {
  double read = 0;    // GET of an existing key.
  double update = 1;  // PUT of an existing key.
  double insert = 0;  // PUT of a new key (grows the keyspace; used with "latest").
  double rmw = 0;     // GET then PUT of the same key.

  // OK when every proportion is >= 0 and they sum to 1 (within 1e-9).
  absl::Status Validate() const;
  bool operator==(const OpMix&) const = default;
};

// Draws operations from a validated mix.
class OpChooser {
 public:
  explicit OpChooser(const OpMix& mix);
  WorkloadOp Next(core::Rng& rng);

 private:
  uint32_t read_ppm_;
  uint32_t update_ppm_;  // cumulative thresholds.
  uint32_t insert_ppm_;
};

struct ValueSizeSpec {
  uint32_t min_bytes = 100;
  uint32_t max_bytes = 100;  // == min_bytes: fixed size.
  absl::Status Validate() const;
  bool operator==(const ValueSizeSpec&) const = default;
};

// Size of the next value: fixed, or uniform in [min, max].
uint32_t NextValueSize(const ValueSizeSpec& spec, core::Rng& rng);

// A value unique to (client, seq) padded to `size_bytes` (longer if the unique prefix needs it):
// the checker relies on every written value being distinct.
std::string MakeValue(int client, uint64_t seq, uint32_t size_bytes);

}  // namespace kvlab::workloads
