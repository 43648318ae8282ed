// Writes a Scenario as TOML that scenario_toml.cc reads back to an equal Scenario.
#include <toml++/toml.h>

#include <charconv>
#include <sstream>
#include <string>

#include "workloads/scenario.h"

namespace kvlab::workloads {
namespace {

// The shortest text that reads back as exactly `v` (std::to_chars), e.g. 0.99 not 0.98999...
std::string Number(double v) {
  char buffer[64];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), v);
  std::string s(buffer, error == std::errc() ? end : buffer);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";  // keep TOML floats floats.
  return s;
}

std::string Quoted(const std::string& s) {
  std::ostringstream out;
  out << toml::value<std::string>(s);  // toml++ escapes as TOML requires.
  return out.str();
}

}  // namespace

std::string ScenarioToToml(const Scenario& s) {
  std::ostringstream out;
  out << "name = " << Quoted(s.name) << "\n";
  out << "description = " << Quoted(s.description) << "\n";
  out << "keys = " << s.keys << "\n";
  out << "distribution = \"" << KeyDistributionName(s.key_distribution.kind) << "\"\n";
  out << "zipf_theta = " << Number(s.key_distribution.zipf_theta) << "\n";
  out << "hot_set_fraction = " << Number(s.key_distribution.hot_set_fraction) << "\n";
  out << "hot_op_fraction = " << Number(s.key_distribution.hot_op_fraction) << "\n";
  out << "value_size = { min = " << s.value_size.min_bytes << ", max = " << s.value_size.max_bytes << " }\n";
  out << "clients = " << s.clients << "\n";
  out << "in_flight = " << s.in_flight << "\n";
  out << "ops = " << s.ops << "\n";
  out << "duration = \"" << FormatDuration(s.duration) << "\"\n";
  out << "arrival = \"" << (s.arrival == Arrival::kOpen ? "open" : "closed") << "\"\n";
  out << "rate = " << Number(s.rate_ops_s) << "\n";
  out << "preload = " << (s.preload ? "true" : "false") << "\n";
  out << "request_timeout = \"" << FormatDuration(s.request_timeout) << "\"\n";
  out << "timeline_interval = \"" << FormatDuration(s.timeline_interval) << "\"\n";
  out << "\n[mix]\nread = " << Number(s.mix.read) << "\nupdate = " << Number(s.mix.update)
      << "\ninsert = " << Number(s.mix.insert) << "\nrmw = " << Number(s.mix.rmw) << "\n";
  for (const FaultSpec& f : s.faults) {
    out << "\n[[faults]]\nat = \"" << FormatDuration(f.at) << "\"\nkind = " << Quoted(f.kind) << "\n";
    if (f.node != core::kNoNode) out << "node = " << f.node << "\n";
    if (!f.nodes.empty()) {
      out << "nodes = [";
      for (size_t i = 0; i < f.nodes.size(); ++i) out << (i ? ", " : "") << f.nodes[i];
      out << "]\n";
    }
    if (f.one_way) out << "one_way = true\n";
    if (f.buffered) out << "buffered = true\n";
    if (f.process_exit) out << "exit = true\n";
    if (f.amount != 0) out << "amount = " << f.amount << "\n";
    if (f.duration != 0) out << "duration = \"" << FormatDuration(f.duration) << "\"\n";
  }
  if (!s.policy_params.empty()) out << "\n[policy]\n";
  for (const std::string& param : s.policy_params) {  // "policy.key=value"; the value as a string.
    const size_t eq = param.find('=');
    out << param.substr(0, eq) << " = " << Quoted(param.substr(eq + 1)) << "\n";
  }
  const SimParams& p = s.sim;
  out << "\n[sim]\n"
      << "net_latency_us = " << p.net_latency_us << "\nnet_jitter_us = " << p.net_jitter_us
      << "\nnet_bandwidth_mbps = " << p.net_bandwidth_mbps << "\nnet_loss_ppm = " << p.net_loss_ppm
      << "\nnet_duplicate_ppm = " << p.net_duplicate_ppm << "\nnet_reorder_ppm = " << p.net_reorder_ppm
      << "\ndisk_write_us = " << p.disk_write_us << "\ndisk_fsync_us = " << p.disk_fsync_us
      << "\ncpu_event_ns = " << p.cpu_event_ns << "\ncpu_per_byte_ns = " << p.cpu_per_byte_ns
      << "\nclock_max_skew_us = " << p.clock_max_skew_us << "\nclock_max_drift_ppm = " << p.clock_max_drift_ppm << "\n";
  return out.str();
}

}  // namespace kvlab::workloads
