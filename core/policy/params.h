// Run-time parameters of a replication policy: each policy declares its parameters (name, kind,
// default, bounds) in its PolicyInfo; a user sets them as `--param raft.election_timeout_ms=50..100`,
// as `raft:election_timeout_ms=50..100` in a policy list, or in a scenario's [policy] table.
// Values are parsed and checked against the declaration once; the policy reads them typed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/status/statusor.h"

namespace kvlab::core {

enum class ParamKind : uint8_t {
  kInt,     // one integer in [min, max]
  kRange,   // "lo..hi" with min <= lo <= hi <= max (a single integer means lo = hi)
  kChoice,  // one of `choices`
  kBool,    // true|false|on|off|yes|no|1|0
};

struct ParamSpec {
  std::string_view name;  // without the policy prefix, e.g. "election_timeout_ms".
  ParamKind kind = ParamKind::kInt;
  std::string_view default_value;  // in the text form a user would write.
  int64_t min = 0;                 // kInt and kRange bounds, inclusive.
  int64_t max = 0;
  std::vector<std::string_view> choices;  // kChoice.
  std::string_view help;
};

// Declaration helpers, for a policy's parameter list.
inline ParamSpec IntParam(std::string_view name, std::string_view def, int64_t min, int64_t max,
                          std::string_view help) {
  return ParamSpec{name, ParamKind::kInt, def, min, max, {}, help};
}
inline ParamSpec RangeParam(std::string_view name, std::string_view def, int64_t min, int64_t max,
                            std::string_view help) {
  return ParamSpec{name, ParamKind::kRange, def, min, max, {}, help};
}
inline ParamSpec ChoiceParam(std::string_view name, std::string_view def, std::vector<std::string_view> choices,
                             std::string_view help) {
  return ParamSpec{name, ParamKind::kChoice, def, 0, 0, std::move(choices), help};
}
inline ParamSpec BoolParam(std::string_view name, std::string_view def, std::string_view help) {
  return ParamSpec{name, ParamKind::kBool, def, 0, 1, {}, help};
}

// One parsed value. Integers for kInt (lo == hi), kRange and kBool (0/1); `text` for kChoice.
struct ParamValue {
  int64_t lo = 0;
  int64_t hi = 0;
  std::string text;
};

// Every parameter of one policy, with a value (given or default). Built only by ParseParams, so
// a PolicyParams always holds a complete, valid set.
class PolicyParams {
 public:
  PolicyParams() = default;

  // REQUIRES: `name` is declared with the matching kind (a programming error otherwise).
  int64_t Int(std::string_view name) const;
  std::pair<int64_t, int64_t> Range(std::string_view name) const;
  const std::string& Choice(std::string_view name) const;
  bool Bool(std::string_view name) const;

  // The values that differ from their defaults, as "name=value:name=value" (empty if none), in
  // name order: a stable label for reports and replay lines.
  const std::string& overrides() const { return overrides_; }
  // Every value in text form, in name order.
  std::vector<std::pair<std::string, std::string>> All() const;

 private:
  friend absl::StatusOr<PolicyParams> ParseParams(std::string_view policy, const std::vector<ParamSpec>& specs,
                                                  const std::vector<std::pair<std::string, std::string>>& given);
  const ParamValue& Get(std::string_view name) const;

  absl::btree_map<std::string, ParamValue, std::less<>> values_;
  absl::btree_map<std::string, std::string, std::less<>> text_;
  std::string overrides_;
};

// Checks `given` (name -> text, names without the policy prefix) against `specs` and fills in the
// defaults. InvalidArgument naming the parameter, e.g. "raft.election_timeout_ms=50..10: the
// range's low end is above its high end". A later duplicate of a name wins.
absl::StatusOr<PolicyParams> ParseParams(std::string_view policy, const std::vector<ParamSpec>& specs,
                                         const std::vector<std::pair<std::string, std::string>>& given);

// One line per parameter for `kvlab policies` and --help: "name=default (kind, bounds): help".
std::string DescribeParam(const ParamSpec& spec);

}  // namespace kvlab::core
