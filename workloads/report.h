// The result of one workload run, with DESIGN.md's --json fields, plus the other exports:
// Google-benchmark-compatible JSON (for CI regression tools), timeline CSV and a text report.
// The driver fills the measured part; whoever ran it (sim or real) adds policy, world, nodes,
// faults, check and, for the simulator, trace_hash / events / wall_s.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/types.h"
#include "workloads/checker.h"
#include "workloads/histogram.h"

namespace kvlab::workloads {

struct FaultSpec;  // workloads/scenario.h

struct LatencySummary {
  uint64_t count = 0;
  double mean_us = 0, p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, p9999_us = 0, max_us = 0;
};
// From a histogram of nanoseconds.
LatencySummary Summarize(const Histogram& ns);

struct TimelinePoint {
  double t_s = 0;  // start of the window, seconds since the measured run began.
  uint64_t ops = 0;
  uint64_t errors = 0;
  double p50_us = 0;  // of the window's successful requests; 0 when it had none.
  double p99_us = 0;
};

struct FaultEvent {
  double t_s = 0;
  std::string kind;
  core::NodeId node = core::kNoNode;
};

// The scenario's scheduled faults as report entries (t_s relative to the measured start). Runners
// that apply faults at other times (random faults) fill RunReport::faults themselves.
std::vector<FaultEvent> ScheduledFaultEvents(const std::vector<FaultSpec>& faults);

struct CheckSummary {
  std::string model;
  bool ok = true;
  uint64_t violations = 0;
  std::string details;  // FormatCheckResult text; not in JSON.
};
CheckSummary Summarize(const CheckResult& result);

struct RunReport {
  std::string scenario;
  std::string policy;
  std::string world;  // "sim" or "real".
  uint64_t seed = 0;
  int nodes = 0;
  uint64_t ops = 0;     // completed requests in the measured run (any outcome).
  uint64_t errors = 0;  // outcomes fail or unknown.
  // The errors by ErrorKindName (timeout, connection, unknown, unavailable, command): the latency
  // percentiles cover successes only, so these are shown beside them.
  std::map<std::string, uint64_t> errors_by_kind;
  double duration_s = 0;
  double throughput_ops_s = 0;  // successful ops per second.
  LatencySummary latency;
  std::map<std::string, LatencySummary> by_op;  // "get", "put".
  std::vector<TimelinePoint> timeline;
  std::vector<FaultEvent> faults;
  std::optional<CheckSummary> check;
  // Named figures a world adds (e.g. the simulator's messages_per_write, unavailability_s).
  std::map<std::string, double> metrics;
  // Simulator only.
  std::optional<uint64_t> trace_hash;
  std::optional<uint64_t> events;
  std::optional<double> wall_s;
};

nlohmann::json ToJson(const RunReport& report);
// {"context":{...},"benchmarks":[{"name":"scenario/policy","real_time":p50,...}]} per Google
// Benchmark's JSON output, one entry per report plus p99 entries, times in microseconds.
nlohmann::json ToBenchmarkJson(const std::vector<RunReport>& reports);
std::string TimelineCsv(const RunReport& report);
std::string FormatReport(const RunReport& report);
// "0123456789abcdef": the 16 hex digits DESIGN.md asks for.
std::string FormatTraceHash(uint64_t hash);

}  // namespace kvlab::workloads
