#include "workloads/report.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "workloads/scenario.h"

namespace kvlab::workloads {
namespace {

using nlohmann::json;
using ojson = nlohmann::ordered_json;

ojson LatencyJson(const LatencySummary& l) {
  return ojson{{"count", l.count}, {"mean", l.mean_us}, {"p50", l.p50_us},     {"p90", l.p90_us},
               {"p99", l.p99_us},  {"p999", l.p999_us}, {"p9999", l.p9999_us}, {"max", l.max_us}};
}

std::string LatencyLine(const std::string& label, const LatencySummary& l) {
  return absl::StrFormat("  %-8s n=%-8d mean %9.1f  p50 %9.1f  p90 %9.1f  p99 %9.1f  p99.9 %9.1f  max %9.1f us\n",
                         label, l.count, l.mean_us, l.p50_us, l.p90_us, l.p99_us, l.p999_us, l.max_us);
}

}  // namespace

LatencySummary Summarize(const Histogram& ns) {
  auto us = [&](double p) { return static_cast<double>(ns.ValueAtPercentile(p)) / 1000.0; };
  return LatencySummary{.count = ns.count(),
                        .mean_us = ns.Mean() / 1000.0,
                        .p50_us = us(50),
                        .p90_us = us(90),
                        .p99_us = us(99),
                        .p999_us = us(99.9),
                        .p9999_us = us(99.99),
                        .max_us = static_cast<double>(ns.max()) / 1000.0};
}

CheckSummary Summarize(const CheckResult& r) {
  return CheckSummary{.model = r.model,
                      .ok = r.ok,
                      .violations = r.violations.size() + r.inconclusive_keys.size(),
                      .details = FormatCheckResult(r)};
}

std::vector<FaultEvent> ScheduledFaultEvents(const std::vector<FaultSpec>& faults) {
  std::vector<FaultEvent> events;
  for (const FaultSpec& f : faults) {
    events.push_back({.t_s = static_cast<double>(f.at) / 1e9, .kind = f.kind, .node = f.node});
  }
  return events;
}

std::string FormatTraceHash(uint64_t hash) { return absl::StrFormat("%016x", hash); }

json ToJson(const RunReport& r) {
  ojson j;
  j["scenario"] = r.scenario;
  j["policy"] = r.policy;
  j["world"] = r.world;
  j["seed"] = r.seed;
  j["nodes"] = r.nodes;
  j["ops"] = r.ops;
  j["errors"] = r.errors;
  j["errors_by_kind"] = r.errors_by_kind;
  j["duration_s"] = r.duration_s;
  j["throughput_ops_s"] = r.throughput_ops_s;
  j["latency_us"] = LatencyJson(r.latency);
  ojson by_op = ojson::object();
  for (const auto& [op, l] : r.by_op) by_op[op] = LatencyJson(l);
  j["by_op"] = by_op;
  ojson timeline = ojson::array();
  for (const TimelinePoint& p : r.timeline) {
    timeline.push_back(
        {{"t_s", p.t_s}, {"ops", p.ops}, {"errors", p.errors}, {"p50_us", p.p50_us}, {"p99_us", p.p99_us}});
  }
  j["timeline"] = timeline;
  ojson faults = ojson::array();
  for (const FaultEvent& f : r.faults) {
    faults.push_back({{"t_s", f.t_s}, {"kind", f.kind}, {"node", f.node}});
  }
  j["faults"] = faults;
  if (r.check) {
    j["check"] = {{"model", r.check->model}, {"ok", r.check->ok}, {"violations", r.check->violations}};
  } else {
    j["check"] = nullptr;
  }
  if (!r.metrics.empty()) j["metrics"] = r.metrics;
  if (r.trace_hash) j["trace_hash"] = FormatTraceHash(*r.trace_hash);
  if (r.events) j["events"] = *r.events;
  if (r.wall_s) j["wall_s"] = *r.wall_s;
  return json::parse(j.dump());  // keep insertion order in the text, return the common type.
}

json ToBenchmarkJson(const std::vector<RunReport>& reports) {
  ojson benchmarks = ojson::array();
  for (const RunReport& r : reports) {
    const std::string name = absl::StrCat(r.scenario, "/", r.policy, "/", r.world);
    for (const auto& [suffix, value] : {std::pair{"", r.latency.mean_us}, std::pair{"_p99", r.latency.p99_us}}) {
      benchmarks.push_back({{"name", name + suffix},
                            {"run_name", name},
                            {"run_type", "iteration"},
                            {"iterations", r.ops},
                            {"real_time", value},
                            {"cpu_time", value},
                            {"time_unit", "us"},
                            {"items_per_second", r.throughput_ops_s},
                            {"errors", r.errors}});
    }
  }
  ojson j{{"context", {{"library_build_type", "kvlab"}, {"executable", "kvlab"}}}, {"benchmarks", benchmarks}};
  return json::parse(j.dump());
}

std::string TimelineCsv(const RunReport& r) {
  std::string out = "t_s,ops,errors,p50_us,p99_us\n";
  for (const TimelinePoint& p : r.timeline) {
    absl::StrAppendFormat(&out, "%.3f,%d,%d,%.1f,%.1f\n", p.t_s, p.ops, p.errors, p.p50_us, p.p99_us);
  }
  return out;
}

std::string FormatReport(const RunReport& r) {
  std::string out = absl::StrFormat("scenario %s  policy %s  world %s  nodes %d  seed %d\n", r.scenario, r.policy,
                                    r.world, r.nodes, r.seed);
  absl::StrAppendFormat(&out, "ops %d  errors %d  duration %.3f s  throughput %.1f ops/s\n", r.ops, r.errors,
                        r.duration_s, r.throughput_ops_s);
  out += LatencyLine("all", r.latency);
  if (!r.errors_by_kind.empty()) {
    std::string kinds;
    for (const auto& [kind, n] : r.errors_by_kind)
      absl::StrAppendFormat(&kinds, "%s%s %d", kinds.empty() ? "" : ", ", kind, n);
    absl::StrAppendFormat(&out, "  not in the percentiles: %d failed (%s)\n", r.errors, kinds);
  }
  for (const auto& [op, l] : r.by_op) out += LatencyLine(op, l);
  for (const FaultEvent& f : r.faults) {
    absl::StrAppendFormat(&out, "  fault at %.3f s: %s node %d\n", f.t_s, f.kind, f.node);
  }
  if (r.check) {
    absl::StrAppendFormat(&out, "check %s: %s (%d violations)\n", r.check->model, r.check->ok ? "OK" : "FAILED",
                          r.check->violations);
  }
  if (r.events) absl::StrAppendFormat(&out, "events: %d\n", *r.events);
  if (r.wall_s) absl::StrAppendFormat(&out, "wall: %.3f s\n", *r.wall_s);
  for (const auto& [name, value] : r.metrics) absl::StrAppendFormat(&out, "%s: %.4g\n", name, value);
  return out;
}

}  // namespace kvlab::workloads
