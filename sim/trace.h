// The run's fingerprint: every delivered message, timer, fault and client operation is folded into
// a rolling 64-bit hash (DESIGN.md rule 5). With a log file attached, each folded event is also
// written as one text line, so two runs can be compared and the first divergence named.
#pragma once

#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/types.h"

namespace kvlab::sim {

class Trace {
 public:
  Trace() = default;
  ~Trace();
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;

  // Starts writing the event log to `path`; errors name the path.
  absl::Status OpenLog(const std::string& path);

  // Folds one event: its kind label, its time and up to a few integer fields.
  void Record(std::string_view kind, core::Nanos time, std::initializer_list<uint64_t> fields);

  uint64_t hash() const { return hash_; }
  uint64_t events() const { return events_; }

 private:
  uint64_t hash_ = 0x6b766c6162ull;  // "kvlab"
  uint64_t events_ = 0;
  std::FILE* log_ = nullptr;
};

// Compares two event logs; returns "" when identical, else a description of the first line where
// they differ (line number and both lines). Errors name the unreadable file.
absl::StatusOr<std::string> FirstDivergence(const std::string& path_a, const std::string& path_b);

std::string Hex64(uint64_t v);

}  // namespace kvlab::sim
