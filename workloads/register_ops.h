// Internal to the linearizability checker: one key's operations as register operations, and the
// fast zone-based check used when every written value is unique.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace kvlab::workloads {

inline constexpr int64_t kNeverReturns = INT64_MAX;  // an op that may never take effect.

// One register operation of one key, with values interned to small integers (0 = absent). Its
// call and return are ranks in its key's one order of events (history_order.h), not times:
// distinct, so an op precedes another iff its ret < the other's call.
struct RegOp {
  bool is_write = false;
  int32_t value = 0;
  int64_t call = 0;
  int64_t ret = 0;       // kNeverReturns for unknown writes.
  bool required = true;  // false for unknown writes: linearized anywhere after call, or never.
  size_t history_index = 0;
};

struct ZoneVerdict {
  bool linearizable = true;
  std::vector<size_t> witness;  // indexes into the ops vector, when not linearizable.
};

// Gibbons & Korach's zone test (as stated by Golab, Li and Shah, PODC 2011): with unique written
// values, a register history is linearizable iff every read has a write of its value that does
// not start after the read ends, no two forward zones overlap and no backward zone lies inside a
// forward zone. O(n log n). Returns nullopt when it does not apply (a value written twice, or a
// delete, i.e. a second write of "absent"); callers then use the exhaustive search.
std::optional<ZoneVerdict> CheckRegisterZones(const std::vector<RegOp>& ops);

}  // namespace kvlab::workloads
