#include "workloads/scenario.h"

#include <algorithm>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kvlab::workloads {
namespace {

Scenario Base(std::string name, std::string description) {
  Scenario s;
  s.name = std::move(name);
  s.description = std::move(description);
  s.value_size = {.min_bytes = 100, .max_bytes = 100};
  return s;
}

Scenario Ycsb(std::string name, std::string description, OpMix mix, KeyDistribution dist) {
  Scenario s = Base(std::move(name), std::move(description));
  s.keys = 1000;  // YCSB's default recordcount.
  s.ops = 10'000;
  s.clients = 10;
  s.preload = true;
  s.mix = mix;
  s.key_distribution.kind = dist;
  s.value_size = {.min_bytes = 1000, .max_bytes = 1000};  // 10 fields x 100 bytes.
  return s;
}

std::vector<Scenario> MakeBuiltins() {
  std::vector<Scenario> all;
  Scenario s = Base("throughput", "1000 concurrent PUTs; reports ops/s");
  s.clients = 1000;
  s.ops = 1000;
  all.push_back(s);

  s = Base("latency", "1000 PUTs one at a time; per-request latency percentiles");
  s.clients = 1;
  s.ops = 1000;
  all.push_back(s);

  s = Base("hot_cold", "90% of requests to 10% of keys, 50% reads / 50% writes");
  s.clients = 10;
  s.ops = 10'000;
  s.preload = true;
  s.mix = {.read = 0.5, .update = 0.5};
  s.key_distribution = {.kind = KeyDistribution::kHotspot};
  all.push_back(s);

  s = Base("mixed", "70% GET / 30% PUT over scrambled Zipfian keys (theta 0.99)");
  s.clients = 10;
  s.ops = 10'000;
  s.preload = true;
  s.mix = {.read = 0.7, .update = 0.3};
  s.key_distribution = {.kind = KeyDistribution::kZipfian};
  all.push_back(s);

  s = Base("high_concurrency", "100 clients x 50 PUTs, at most 10 in flight (semaphore)");
  s.clients = 100;
  s.ops = 5000;
  s.in_flight = 10;
  all.push_back(s);

  s = Base("failure", "steady open-loop load (500 ops/s, 30 s); node 1 crashes at 10 s, restarts at 20 s");
  s.clients = 10;
  s.ops = 0;
  s.duration = core::Seconds(30);
  s.arrival = Arrival::kOpen;
  s.rate_ops_s = 500;
  s.preload = true;
  s.mix = {.read = 0.5, .update = 0.5};
  FaultSpec crash;
  crash.at = core::Seconds(10);
  crash.kind = "crash";
  crash.node = 1;
  FaultSpec restart = crash;
  restart.at = core::Seconds(20);
  restart.kind = "restart";
  s.faults = {crash, restart};
  all.push_back(s);

  all.push_back(Ycsb("ycsb_a", "YCSB A: 50% read / 50% update, Zipfian", {.read = 0.5, .update = 0.5},
                     KeyDistribution::kZipfian));
  all.push_back(Ycsb("ycsb_b", "YCSB B: 95% read / 5% update, Zipfian", {.read = 0.95, .update = 0.05},
                     KeyDistribution::kZipfian));
  all.push_back(Ycsb("ycsb_c", "YCSB C: 100% read, Zipfian", {.read = 1, .update = 0}, KeyDistribution::kZipfian));
  all.push_back(Ycsb("ycsb_d", "YCSB D: 95% read / 5% insert, latest", {.read = 0.95, .update = 0, .insert = 0.05},
                     KeyDistribution::kLatest));
  all.push_back(Ycsb("ycsb_f", "YCSB F: 50% read / 50% read-modify-write, Zipfian",
                     {.read = 0.5, .update = 0, .rmw = 0.5}, KeyDistribution::kZipfian));
  return all;
}

absl::Status Invalid(const std::string& field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat("scenario field '", field, "': ", why));
}

}  // namespace

bool IsKnownFaultKind(const std::string& kind) {
  static const char* const kKinds[] = {"crash",       "restart",   "pause",     "resume",     "partition",
                                       "heal",        "disk_fail", "disk_heal", "clock_skew", "crash_leader",
                                       "restart_all", "hold",      "io_error"};
  return std::any_of(std::begin(kKinds), std::end(kKinds), [&](const char* k) { return kind == k; });
}

absl::Status Scenario::Validate() const {
  if (name.empty()) return Invalid("name", "must not be empty");
  if (keys == 0 || keys > kMaxKeys) return Invalid("keys", "must be in [1, 1e9]");
  if (key_distribution.kind == KeyDistribution::kHotspot && keys < 2) {
    return Invalid("keys", "hotspot needs at least 2 keys");
  }
  const auto& kd = key_distribution;
  if (!(kd.zipf_theta > 0 && kd.zipf_theta < 1)) return Invalid("zipf_theta", "must be in (0, 1)");
  if (!(kd.hot_set_fraction > 0 && kd.hot_set_fraction < 1)) {
    return Invalid("hot_set_fraction", "must be in (0, 1)");
  }
  if (!(kd.hot_op_fraction >= 0 && kd.hot_op_fraction <= 1)) {
    return Invalid("hot_op_fraction", "must be in [0, 1]");
  }
  if (absl::Status s = mix.Validate(); !s.ok()) return Invalid("mix", std::string(s.message()));
  if (absl::Status s = value_size.Validate(); !s.ok()) {
    return Invalid("value_size", std::string(s.message()));
  }
  if (clients < 1 || clients > kMaxClients) return Invalid("clients", "must be in [1, 100000]");
  if (in_flight < 0) return Invalid("in_flight", "must be >= 0");
  if (ops > kMaxOps) return Invalid("ops", "must be <= 1e9");
  if (duration < 0 || duration > kMaxDuration) return Invalid("duration", "out of range");
  if (ops == 0 && duration == 0) return Invalid("ops", "either ops or duration must be set");
  if (arrival == Arrival::kOpen && !(rate_ops_s > 0 && rate_ops_s <= 1e9)) {
    return Invalid("rate", "open-loop arrival needs a rate in (0, 1e9] ops/s");
  }
  if (request_timeout <= 0) return Invalid("request_timeout", "must be > 0");
  if (timeline_interval <= 0) return Invalid("timeline_interval", "must be > 0");
  if (faults.size() > kMaxFaults) return Invalid("faults", "too many (max 10000)");
  for (size_t i = 0; i < faults.size(); ++i) {
    const FaultSpec& f = faults[i];
    const std::string field = absl::StrCat("faults[", i, "]");
    if (!IsKnownFaultKind(f.kind)) return Invalid(field, absl::StrCat("unknown kind '", f.kind, "'"));
    if (f.at < 0) return Invalid(field, "'at' must be >= 0");
    if (i > 0 && f.at < faults[i - 1].at) return Invalid(field, "faults must be sorted by 'at'");
    if (f.kind == "partition" && f.nodes.empty()) return Invalid(field, "partition needs 'nodes'");
    if (f.kind == "hold" && f.duration <= 0) return Invalid(field, "hold needs a 'duration' > 0");
    if (f.process_exit && f.kind != "crash" && f.kind != "crash_leader") {
      return Invalid(field, "'exit' is for crash and crash_leader only");
    }
    if (f.kind != "partition" && f.kind != "heal" && f.kind != "crash_leader" && f.kind != "restart_all" &&
        f.node == core::kNoNode) {
      return Invalid(field, "needs 'node'");
    }
  }
  return absl::OkStatus();
}

std::string Scenario::Summary() const {
  std::string length = ops > 0 ? absl::StrCat(ops, " ops") : FormatDuration(duration);
  std::string arrival_text = arrival == Arrival::kOpen ? absl::StrFormat("open %g ops/s", rate_ops_s) : "closed";
  return absl::StrFormat("%-16s %s [%d clients, %s, %s, %d keys %s]", name, description, clients, length, arrival_text,
                         keys, KeyDistributionName(key_distribution.kind));
}

const std::vector<Scenario>& BuiltinScenarios() {
  static const std::vector<Scenario>* all = new std::vector<Scenario>(MakeBuiltins());
  return *all;
}

absl::StatusOr<Scenario> FindScenario(const std::string& name_or_path) {
  for (const Scenario& s : BuiltinScenarios()) {
    if (s.name == name_or_path) return s;
  }
  if (std::ifstream(name_or_path).good()) return LoadScenarioFile(name_or_path);
  std::string names;
  for (const Scenario& s : BuiltinScenarios()) absl::StrAppend(&names, names.empty() ? "" : ", ", s.name);
  return absl::NotFoundError(
      absl::StrCat("no built-in scenario or file named '", name_or_path, "' (built-ins: ", names, ")"));
}

absl::StatusOr<core::Nanos> ParseDuration(const std::string& text) {
  static const std::pair<const char*, core::Nanos> kUnits[] = {{"ns", 1},
                                                               {"us", core::kNanosPerMicro},
                                                               {"ms", core::kNanosPerMilli},
                                                               {"s", core::kNanosPerSecond},
                                                               {"m", 60 * core::kNanosPerSecond}};
  for (const auto& [suffix, scale] : kUnits) {
    const std::string_view sv(text);
    const size_t n = std::string_view(suffix).size();
    if (sv.size() <= n || sv.substr(sv.size() - n) != suffix) continue;
    const std::string_view number = sv.substr(0, sv.size() - n);
    if (!number.empty() && (number.back() < '0' || number.back() > '9')) continue;  // "ms" vs "s"
    int64_t value = 0;
    if (!absl::SimpleAtoi(std::string(number), &value) || value < 0 || value > INT64_MAX / scale) break;
    return value * scale;
  }
  return absl::InvalidArgumentError(absl::StrCat("bad duration '", text, "' (want e.g. 10s, 250ms, 40us, 5000ns, 2m)"));
}

std::string FormatDuration(core::Nanos ns) {
  if (ns % core::kNanosPerSecond == 0) return absl::StrCat(ns / core::kNanosPerSecond, "s");
  if (ns % core::kNanosPerMilli == 0) return absl::StrCat(ns / core::kNanosPerMilli, "ms");
  if (ns % core::kNanosPerMicro == 0) return absl::StrCat(ns / core::kNanosPerMicro, "us");
  return absl::StrCat(ns, "ns");
}

}  // namespace kvlab::workloads
