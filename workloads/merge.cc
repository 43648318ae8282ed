#include "workloads/merge.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kvlab::workloads {
namespace {

using nlohmann::json;

std::string Text(const json& run, const char* field, const char* fallback = "?") {
  auto it = run.find(field);
  return it != run.end() && it->is_string() ? it->get<std::string>() : std::string(fallback);
}

uint64_t Seed(const json& run) {
  auto it = run.find("seed");
  return it != run.end() && it->is_number_unsigned() ? it->get<uint64_t>() : 0;
}

using Key = std::tuple<std::string, std::string, std::string, uint64_t>;  // scenario, policy, fault mode, seed.
Key KeyOf(const json& run) {
  return {Text(run, "scenario"), Text(run, "policy"), Text(run, "fault_mode", "none"), Seed(run)};
}

// A run failed when its verdict says so (sim --json), or when its check failed (other producers).
bool Failed(const json& run) {
  if (auto v = run.find("verdict"); v != run.end() && v->is_string()) return *v != "ok";
  auto check = run.find("check");
  return check != run.end() && check->is_object() && !check->value("ok", true);
}

// The value at fraction q of sorted `v` (nearest rank).
double Quantile(const std::vector<double>& v, double q) {
  const size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

absl::StatusOr<MergeResult> MergeRuns(std::vector<json> runs) {
  for (json& r : runs) r.erase("wall_s");  // the only figure that differs between identical runs.
  std::stable_sort(runs.begin(), runs.end(), [](const json& a, const json& b) { return KeyOf(a) < KeyOf(b); });
  MergeResult merged;
  for (json& r : runs) {
    if (!merged.runs.empty() && KeyOf(merged.runs.back()) == KeyOf(r)) {
      const auto& [scenario, policy, mode, seed] = KeyOf(r);
      const std::string name = absl::StrCat(scenario, "/", policy, "/", mode, " seed ", seed);
      if (merged.runs.back() != r) {
        return absl::InvalidArgumentError(absl::StrCat(name, " appears twice with different results"));
      }
      merged.duplicates.push_back(name);
      continue;
    }
    merged.failed += Failed(r) ? 1 : 0;
    merged.runs.push_back(std::move(r));
  }
  return merged;
}

std::string FormatMerge(const MergeResult& merged) {
  std::map<std::tuple<std::string, std::string, std::string>, std::pair<int, int>> counts;  // runs, failed.
  std::map<std::pair<std::string, std::string>, std::vector<double>> throughput;
  for (const json& r : merged.runs) {
    auto& [runs, failed] = counts[{Text(r, "scenario"), Text(r, "policy"), Text(r, "fault_mode", "none")}];
    ++runs;
    failed += Failed(r) ? 1 : 0;
    throughput[{Text(r, "scenario"), Text(r, "policy")}].push_back(r.value("throughput_ops_s", 0.0));
  }
  std::string out = "| scenario | policy | faults | runs | passed | failed |\n|---|---|---|---|---|---|\n";
  for (const auto& [key, c] : counts) {
    absl::StrAppendFormat(&out, "| %s | %s | %s | %d | %d | %d |\n", std::get<0>(key), std::get<1>(key),
                          std::get<2>(key), c.first, c.first - c.second, c.second);
  }
  out += "\n| scenario | policy | seeds | ops/s min | p10 | median | p90 | max |\n|---|---|---|---|---|---|---|---|\n";
  for (auto& [key, v] : throughput) {
    std::sort(v.begin(), v.end());
    absl::StrAppendFormat(&out, "| %s | %s | %d | %.0f | %.0f | %.0f | %.0f | %.0f |\n", key.first, key.second,
                          v.size(), v.front(), Quantile(v, 0.1), Quantile(v, 0.5), Quantile(v, 0.9), v.back());
  }
  if (merged.failed > 0) out += "\nfailing seeds:\n";
  for (const json& r : merged.runs) {
    if (!Failed(r)) continue;
    absl::StrAppendFormat(&out, "  seed %d  %s/%s  replay: %s\n", Seed(r), Text(r, "scenario"), Text(r, "policy"),
                          Text(r, "replay", "(not recorded)"));
    if (auto p = r.find("problems"); p != r.end() && p->is_array()) {
      for (const json& problem : *p) {
        if (problem.is_string()) absl::StrAppend(&out, "    PROBLEM: ", problem.get<std::string>(), "\n");
      }
    }
  }
  for (const std::string& d : merged.duplicates) absl::StrAppend(&out, "duplicate (kept once): ", d, "\n");
  absl::StrAppendFormat(&out, "%d runs, %d passed, %d failed\n", merged.runs.size(), merged.runs.size() - merged.failed,
                        merged.failed);
  return out;
}

}  // namespace kvlab::workloads
