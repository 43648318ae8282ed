#include "sim/cost_profile.h"

#include <toml++/toml.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kvlab::sim {
namespace {

// One expected key: how to read it into the profile.
using Field = std::function<absl::Status(const toml::node&, const std::string& where, CostProfile&)>;
using Table = std::map<std::string, Field>;

absl::Status Bad(const std::string& where, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(where, ": ", why));
}

Field Nanos(core::Nanos CostProfile::*member) {
  return [member](const toml::node& n, const std::string& where, CostProfile& p) {
    const auto v = n.value_exact<int64_t>();
    if (!v || *v < 0 || *v > kMaxProfileCostNs) {
      return Bad(where, absl::StrCat("must be an integer number of ns in [0, ", kMaxProfileCostNs, "]"));
    }
    p.*member = *v;
    return absl::OkStatus();
  };
}

Field Quantile(core::Nanos FsyncQuantiles::*member) {
  return [member](const toml::node& n, const std::string& where, CostProfile& p) {
    const auto v = n.value_exact<int64_t>();
    if (!v || *v < 0 || *v > kMaxProfileCostNs) {
      return Bad(where, absl::StrCat("must be an integer number of ns in [0, ", kMaxProfileCostNs, "]"));
    }
    p.fsync.*member = *v;
    return absl::OkStatus();
  };
}

Field Count(uint64_t CostProfile::*member) {
  return [member](const toml::node& n, const std::string& where, CostProfile& p) {
    const auto v = n.value_exact<int64_t>();
    if (!v || *v < 1) return Bad(where, "must be a positive integer (a sample count)");
    p.*member = static_cast<uint64_t>(*v);
    return absl::OkStatus();
  };
}

Field Units(int CostProfile::*member) {
  return [member](const toml::node& n, const std::string& where, CostProfile& p) {
    const auto v = n.value_exact<int64_t>();
    if (!v || *v < 0 || *v > kMaxSharedUnits) {
      return Bad(where, absl::StrCat("must be an integer in [0, ", kMaxSharedUnits, "] (0: not shared)"));
    }
    p.*member = static_cast<int>(*v);
    return absl::OkStatus();
  };
}

Field Text(std::string CostProfile::*member) {
  return [member](const toml::node& n, const std::string& where, CostProfile& p) {
    const auto v = n.value_exact<std::string>();
    if (!v) return Bad(where, "must be a string");
    p.*member = *v;
    return absl::OkStatus();
  };
}

absl::Status ReadBudget(const toml::node& n, const std::string& where, CostProfile& p) {
  std::optional<double> v;
  if (n.is_floating_point()) v = n.value_exact<double>();
  if (n.is_integer()) v = static_cast<double>(*n.value_exact<int64_t>());
  if (!v || !(*v > 0 && *v <= 86'400)) return Bad(where, "must be a number of seconds in (0, 86400]");
  p.budget_s = *v;
  return absl::OkStatus();
}

const std::map<std::string, Table>& Schema() {
  static const auto* schema = new std::map<std::string, Table>{
      {"measured",
       {{"date", Text(&CostProfile::date)},
        {"host", Text(&CostProfile::host)},
        {"kernel", Text(&CostProfile::kernel)},
        {"filesystem", Text(&CostProfile::filesystem)},
        {"data_dir", Text(&CostProfile::data_dir)},
        {"command", Text(&CostProfile::command)},
        {"budget_s", ReadBudget}}},
      {"network",
       {{"one_way_ns", Nanos(&CostProfile::net_one_way_ns)},
        {"jitter_ns", Nanos(&CostProfile::net_jitter_ns)},
        {"samples", Count(&CostProfile::net_samples)}}},
      {"cpu",
       {{"wake_ns", Nanos(&CostProfile::cpu_wake_ns)},
        {"per_message_ns", Nanos(&CostProfile::cpu_per_message_ns)},
        {"per_request_ns", Nanos(&CostProfile::cpu_per_request_ns)},
        {"per_kib_ns", Nanos(&CostProfile::cpu_per_kib_ns)},
        {"per_sync_ns", Nanos(&CostProfile::cpu_per_sync_ns)},
        {"client_per_op_ns", Nanos(&CostProfile::client_cpu_per_op_ns)},
        {"client_first_op_ns", Nanos(&CostProfile::client_cpu_first_op_ns)},
        {"per_connection_ns", Nanos(&CostProfile::cpu_per_connection_ns)},
        {"client_per_connection_ns", Nanos(&CostProfile::client_cpu_per_connection_ns)},
        {"cores", Units(&CostProfile::cpu_cores)},
        {"samples", Count(&CostProfile::cpu_samples)}}},
      {"disk", {{"write_ns", Nanos(&CostProfile::disk_write_ns)}, {"devices", Units(&CostProfile::disk_devices)}}},
      {"fsync",
       {{"min_ns", Quantile(&FsyncQuantiles::min)},
        {"p50_ns", Quantile(&FsyncQuantiles::p50)},
        {"p90_ns", Quantile(&FsyncQuantiles::p90)},
        {"p99_ns", Quantile(&FsyncQuantiles::p99)},
        {"p999_ns", Quantile(&FsyncQuantiles::p999)},
        {"max_ns", Quantile(&FsyncQuantiles::max)},
        {"samples", Count(&CostProfile::fsync_samples)}}},
  };
  return *schema;
}

// Keys a profile may lack, with the meaning of their absence (see cost_profile.h).
bool IsOptional(const std::string& table, const std::string& key) {
  return (table == "cpu" && (key == "wake_ns" || key == "per_sync_ns" || key == "cores" || key == "per_connection_ns" ||
                             key == "client_per_connection_ns" || key == "client_first_op_ns")) ||
         (table == "disk" && key == "devices");
}

std::string Where(const std::string& file, const toml::node& n, const std::string& table, const std::string& key) {
  return absl::StrCat(file, ":", n.source().begin.line, ": [", table, "] ", key);
}

absl::Status ReadTable(const std::string& file, const std::string& name, const Table& fields, const toml::table& t,
                       CostProfile& p) {
  for (const auto& [key, node] : t) {
    const std::string k(key.str());
    if (fields.count(k) == 0) return Bad(Where(file, node, name, k), "unknown key");
  }
  for (const auto& [key, read] : fields) {
    const toml::node* node = t.get(key);
    if (node == nullptr && IsOptional(name, key)) continue;
    if (node == nullptr) return Bad(absl::StrCat(file, ": [", name, "] ", key), "missing");
    if (absl::Status s = read(*node, Where(file, *node, name, key), p); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status CheckQuantiles(const std::string& file, const FsyncQuantiles& q) {
  const std::pair<const char*, core::Nanos> order[] = {{"min_ns", q.min}, {"p50_ns", q.p50},   {"p90_ns", q.p90},
                                                       {"p99_ns", q.p99}, {"p999_ns", q.p999}, {"max_ns", q.max}};
  if (q.p50 < 1) return Bad(absl::StrCat(file, ": [fsync] p50_ns"), "must be at least 1");
  for (size_t i = 1; i < std::size(order); ++i) {
    if (order[i].second < order[i - 1].second) {
      return Bad(absl::StrCat(file, ": [fsync] ", order[i].first),
                 absl::StrCat("must be at least ", order[i - 1].first, " (quantiles are non-decreasing)"));
    }
  }
  return absl::OkStatus();
}

int64_t RoundDiv(int64_t n, int64_t d) { return (n + d / 2) / d; }

}  // namespace

absl::StatusOr<CostProfile> ParseCostProfile(const std::string& text, const std::string& file) {
  toml::table root;
  try {
    root = toml::parse(text, file);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ":", e.source().begin.line, ": not valid TOML: ", std::string(e.description())));
  }
  for (const auto& [key, node] : root) {
    const std::string k(key.str());
    if (Schema().count(k) == 0 || !node.is_table()) {
      return Bad(absl::StrCat(file, ":", node.source().begin.line, ": [", k, "]"), "unknown table");
    }
  }
  CostProfile p;
  for (const auto& [name, fields] : Schema()) {
    const toml::table* t = root.get_as<toml::table>(name);
    if (t == nullptr) return Bad(absl::StrCat(file, ": [", name, "]"), "missing table");
    if (absl::Status s = ReadTable(file, name, fields, *t, p); !s.ok()) return s;
  }
  if (absl::Status s = CheckQuantiles(file, p.fsync); !s.ok()) return s;
  return p;
}

absl::StatusOr<CostProfile> LoadCostProfile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read cost profile '", path, "'"));
  std::stringstream text;
  text << in.rdbuf();
  return ParseCostProfile(text.str(), path);
}

std::string CostProfileToToml(const CostProfile& p) {
  const auto quote = [](const std::string& s) {
    std::ostringstream out;
    out << toml::value<std::string>(s);
    return out.str();
  };
  const FsyncQuantiles& q = p.fsync;
  return absl::StrFormat(
      "# kvlab cost profile, written by `kvlab calibrate` (see README: Calibration).\n"
      "# Loopback one-way latency and jitter from a TCP ping-pong on 127.0.0.1; a `kvlab node`'s CPU\n"
      "# time (all threads) per GET one at a time, 64 deep and one each on 32 connections at once (wake-up,\n"
      "# per message, per request) and per KiB of SET value; `kvlab bench`'s own CPU per operation of\n"
      "# mixed; a `--durability fsync` node's CPU per SET one at a time beyond what the model already\n"
      "# charges it (per sync); per client connection closed, the node's CPU (closing many at once)\n"
      "# and the client's (a run of one request per connection beside one of the same requests on a\n"
      "# few), and of a connection's first request (the gap between first requests sent in a burst);\n"
      "# fdatasync after a small write on a preallocated file in data_dir, as the WAL does.\n"
      "# Integers in ns.\n\n"
      "[measured]\ndate = %s\nhost = %s\nkernel = %s\nfilesystem = %s\ndata_dir = %s\ncommand = %s\n"
      "budget_s = %.3f\n\n"
      "[network]\none_way_ns = %d\njitter_ns = %d\nsamples = %d\n\n"
      "[cpu]\nwake_ns = %d\nper_message_ns = %d\nper_request_ns = %d\nper_kib_ns = %d\nper_sync_ns = %d\n"
      "client_per_op_ns = %d\nclient_first_op_ns = %d\nper_connection_ns = %d\nclient_per_connection_ns = %d\n"
      "cores = %d\nsamples = %d\n\n"
      "[disk]\nwrite_ns = %d\ndevices = %d\n\n"
      "[fsync]\nmin_ns = %d\np50_ns = %d\np90_ns = %d\np99_ns = %d\np999_ns = %d\nmax_ns = %d\nsamples = %d\n",
      quote(p.date), quote(p.host), quote(p.kernel), quote(p.filesystem), quote(p.data_dir), quote(p.command),
      p.budget_s, p.net_one_way_ns, p.net_jitter_ns, p.net_samples, p.cpu_wake_ns, p.cpu_per_message_ns,
      p.cpu_per_request_ns, p.cpu_per_kib_ns, p.cpu_per_sync_ns, p.client_cpu_per_op_ns, p.client_cpu_first_op_ns,
      p.cpu_per_connection_ns, p.client_cpu_per_connection_ns, p.cpu_cores, p.cpu_samples, p.disk_write_ns,
      p.disk_devices, q.min, q.p50, q.p90, q.p99, q.p999, q.max, p.fsync_samples);
}

void ApplyCostProfile(const CostProfile& p, workloads::SimParams& params) {
  params.net_latency_us = RoundDiv(p.net_one_way_ns, core::kNanosPerMicro);
  params.net_jitter_us = RoundDiv(p.net_jitter_ns, core::kNanosPerMicro);
  params.disk_write_us = RoundDiv(p.disk_write_ns, core::kNanosPerMicro);
  params.disk_fsync_us = std::max<int64_t>(1, RoundDiv(p.fsync.p50, core::kNanosPerMicro));
  params.disk_fsync_jitter_us = 0;  // the distribution has the tail.
  params.disk_fsync_slow_ppm = 0;
  params.disk_fsync_slow_us = 0;
  params.cpu_event_ns = p.cpu_per_request_ns;
  params.cpu_per_byte_ns = RoundDiv(p.cpu_per_kib_ns, 1024);
}

ModelCosts ModelCostsOf(const CostProfile& p) {
  return ModelCosts{.fsync = p.fsync,
                    .cpu_wake_ns = p.cpu_wake_ns,
                    .cpu_per_message_ns = p.cpu_per_message_ns,
                    .cpu_per_sync_ns = p.cpu_per_sync_ns,
                    .client_cpu_per_op_ns = p.client_cpu_per_op_ns,
                    .client_cpu_first_op_ns = p.client_cpu_first_op_ns,
                    .cpu_per_connection_ns = p.cpu_per_connection_ns,
                    .client_cpu_per_connection_ns = p.client_cpu_per_connection_ns,
                    .cpu_cores = p.cpu_cores,
                    .disk_devices = p.disk_devices};
}

}  // namespace kvlab::sim
