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

  // Folds one event: its kind label, its time and up to a few integer fields. Inline: it runs for
  // every simulated event, and the label's code folds to a constant.
  void Record(std::string_view kind, core::Nanos time, std::initializer_list<uint64_t> fields) {
    ++events_;
    uint64_t s = Fold(state_, LabelCode(kind));
    s = Fold(s, static_cast<uint64_t>(time));
    for (uint64_t f : fields) s = Fold(s, f);
    state_ = s;
    if (log_ != nullptr) WriteLine(kind, time, fields);
  }

  // The fingerprint of everything recorded so far.
  uint64_t hash() const { return Finalize(state_); }
  uint64_t events() const { return events_; }

 private:
  // One value into the state: rotate, xor, multiply by an odd constant. For a fixed value each
  // step is a bijection of the state, so two runs that differ in one value keep different states
  // whatever identical events follow. Three instructions: it runs several times per event.
  static uint64_t Fold(uint64_t s, uint64_t v) { return ((s << 5 | s >> 59) ^ v) * 0x9e3779b97f4a7c15ull; }
  // The splitmix64 finaliser, applied once when the hash is read: every state bit reaches every
  // output bit. Fixed arithmetic, identical everywhere.
  static uint64_t Finalize(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  static constexpr uint64_t LabelCode(std::string_view kind) {
    uint64_t code = 0;
    for (size_t i = 0; i < kind.size() && i < 8; ++i) {
      code |= static_cast<uint64_t>(static_cast<unsigned char>(kind[i])) << (8 * i);
    }
    return code;
  }
  void WriteLine(std::string_view kind, core::Nanos time, std::initializer_list<uint64_t> fields);

  uint64_t state_ = 0x6b766c6162ull;  // "kvlab"
  uint64_t events_ = 0;
  std::FILE* log_ = nullptr;
};

// Compares two event logs; returns "" when identical, else a description of the first line where
// they differ (line number and both lines). Errors name the unreadable file.
absl::StatusOr<std::string> FirstDivergence(const std::string& path_a, const std::string& path_b);

std::string Hex64(uint64_t v);

}  // namespace kvlab::sim
