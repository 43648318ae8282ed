// Scenario files in TOML (toml++). Every key is checked: an unknown key or a bad value is an error
// naming the file, the line and the key, so a typo never silently runs the default.
//
//   base = "mixed"                  # optional: start from a built-in
//   name = "my_mixed"
//   keys = 1000
//   distribution = "zipfian"        # uniform|zipfian|zipfian_exact|hotspot|latest|sequential
//   zipf_theta = 0.99
//   value_size = 100                # or { min = 10, max = 200 }
//   clients = 10
//   ops = 10000                     # or duration = "30s"
//   arrival = "open"                # closed|open
//   rate = 1000                     # ops/s, open loop
//   [mix]   read = 0.7  update = 0.3  insert = 0  rmw = 0   (get/put are aliases)
//   [[faults]]  at = "10s"  kind = "crash"  node = 2
//   [[faults]]  at = "12s"  kind = "hold"  node = 1  duration = "2s"
//   [sim]   net_latency_us = 100 ...
#include <toml++/toml.h>

#include <fstream>
#include <functional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "workloads/scenario.h"

namespace kvlab::workloads {
namespace {

// Reads typed values out of toml nodes, turning every mismatch into a positioned error.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  absl::Status Error(const toml::node& n, const std::string& key, const std::string& why) const {
    return absl::InvalidArgumentError(absl::StrCat(file_, ":", n.source().begin.line, ": key '", key, "': ", why));
  }

  absl::Status Int(const toml::node& n, const std::string& key, int64_t lo, int64_t hi, int64_t* out) const {
    const auto v = n.value_exact<int64_t>();
    if (!v || *v < lo || *v > hi) {
      return Error(n, key, absl::StrCat("must be an integer in [", lo, ", ", hi, "]"));
    }
    *out = *v;
    return absl::OkStatus();
  }
  template <typename T>
  absl::Status IntAs(const toml::node& n, const std::string& key, int64_t lo, int64_t hi, T* out) const {
    int64_t v = 0;
    if (absl::Status s = Int(n, key, lo, hi, &v); !s.ok()) return s;
    *out = static_cast<T>(v);
    return absl::OkStatus();
  }

  absl::Status Number(const toml::node& n, const std::string& key, double lo, double hi, double* out) const {
    std::optional<double> v;
    if (n.is_floating_point()) v = n.value_exact<double>();
    if (n.is_integer()) v = static_cast<double>(*n.value_exact<int64_t>());
    if (!v || !(*v >= lo && *v <= hi)) {
      return Error(n, key, absl::StrCat("must be a number in [", lo, ", ", hi, "]"));
    }
    *out = *v;
    return absl::OkStatus();
  }

  absl::Status String(const toml::node& n, const std::string& key, std::string* out) const {
    const auto v = n.value_exact<std::string>();
    if (!v) return Error(n, key, "must be a string");
    *out = *v;
    return absl::OkStatus();
  }

  absl::Status Bool(const toml::node& n, const std::string& key, bool* out) const {
    const auto v = n.value_exact<bool>();
    if (!v) return Error(n, key, "must be true or false");
    *out = *v;
    return absl::OkStatus();
  }

  // A duration string ("10s") or an integer number of nanoseconds.
  absl::Status Duration(const toml::node& n, const std::string& key, core::Nanos* out) const {
    if (n.is_integer()) return Int(n, key, 0, kMaxDuration, out);
    std::string text;
    if (!n.is_string() || !String(n, key, &text).ok()) {
      return Error(n, key, "must be a duration like \"10s\" or \"250ms\"");
    }
    auto d = ParseDuration(text);
    if (!d.ok()) return Error(n, key, std::string(d.status().message()));
    *out = *d;
    return absl::OkStatus();
  }

 private:
  std::string file_;
};

using Handler = std::function<absl::Status(const Reader&, const toml::node&, const std::string&, Scenario&)>;
using HandlerTable = std::vector<std::pair<std::string, Handler>>;

// Applies every key of `table` through `handlers`; `prefix` qualifies keys in messages ("mix.").
absl::Status ApplyTable(const Reader& r, const toml::table& table, const HandlerTable& handlers,
                        const std::string& prefix, Scenario& s) {
  for (const auto& entry : table) {
    const std::string key(entry.first.str());
    const toml::node& node = entry.second;
    const std::string name = prefix + key;
    const auto it = std::find_if(handlers.begin(), handlers.end(), [&](const auto& h) { return h.first == key; });
    if (it == handlers.end()) return r.Error(node, name, "unknown key");
    if (absl::Status st = it->second(r, node, name, s); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::Status ApplyMix(const Reader& r, const toml::node& n, const std::string& key, Scenario& s) {
  const toml::table* t = n.as_table();
  if (!t) return r.Error(n, key, "must be a table");
  s.mix = OpMix{.read = 0, .update = 0, .insert = 0, .rmw = 0};  // a [mix] replaces the base mix.
  auto share = [](double OpMix::*field) {
    return [field](const Reader& r, const toml::node& n, const std::string& k, Scenario& s) {
      return r.Number(n, k, 0, 1, &(s.mix.*field));
    };
  };
  const HandlerTable h = {{"read", share(&OpMix::read)},     {"get", share(&OpMix::read)},
                          {"update", share(&OpMix::update)}, {"put", share(&OpMix::update)},
                          {"insert", share(&OpMix::insert)}, {"rmw", share(&OpMix::rmw)}};
  if (absl::Status st = ApplyTable(r, *t, h, key + ".", s); !st.ok()) return st;
  if (absl::Status st = s.mix.Validate(); !st.ok()) return r.Error(n, key, std::string(st.message()));
  return absl::OkStatus();
}

absl::Status ApplyValueSize(const Reader& r, const toml::node& n, const std::string& key, Scenario& s) {
  if (n.is_integer()) {
    uint32_t v = 0;
    if (absl::Status st = r.IntAs(n, key, 0, UINT32_MAX, &v); !st.ok()) return st;
    s.value_size = {.min_bytes = v, .max_bytes = v};
    return absl::OkStatus();
  }
  const toml::table* t = n.as_table();
  if (!t) return r.Error(n, key, "must be an integer or { min = A, max = B }");
  const HandlerTable h = {{"min", [](const Reader& r, const toml::node& n, const std::string& k,
                                     Scenario& s) { return r.IntAs(n, k, 0, UINT32_MAX, &s.value_size.min_bytes); }},
                          {"max", [](const Reader& r, const toml::node& n, const std::string& k, Scenario& s) {
                             return r.IntAs(n, k, 0, UINT32_MAX, &s.value_size.max_bytes);
                           }}};
  if (absl::Status st = ApplyTable(r, *t, h, key + ".", s); !st.ok()) return st;
  if (absl::Status st = s.value_size.Validate(); !st.ok()) {
    return r.Error(n, key, std::string(st.message()));
  }
  return absl::OkStatus();
}

absl::Status ApplyFault(const Reader& r, const toml::table& t, const std::string& prefix, FaultSpec& f) {
  Scenario unused;
  const HandlerTable h = {{"at", [&f](const Reader& r, const toml::node& n, const std::string& k,
                                      Scenario&) { return r.Duration(n, k, &f.at); }},
                          {"kind",
                           [&f](const Reader& r, const toml::node& n, const std::string& k, Scenario&) {
                             if (absl::Status st = r.String(n, k, &f.kind); !st.ok()) return st;
                             if (!IsKnownFaultKind(f.kind)) return r.Error(n, k, "unknown fault kind '" + f.kind + "'");
                             return absl::OkStatus();
                           }},
                          {"node", [&f](const Reader& r, const toml::node& n, const std::string& k,
                                        Scenario&) { return r.IntAs(n, k, 1, UINT32_MAX, &f.node); }},
                          {"nodes",
                           [&f](const Reader& r, const toml::node& n, const std::string& k, Scenario&) {
                             const toml::array* a = n.as_array();
                             if (!a) return r.Error(n, k, "must be an array of node ids");
                             for (const toml::node& e : *a) {
                               core::NodeId id = 0;
                               if (absl::Status st = r.IntAs(e, k, 1, UINT32_MAX, &id); !st.ok()) return st;
                               f.nodes.push_back(id);
                             }
                             return absl::OkStatus();
                           }},
                          {"one_way", [&f](const Reader& r, const toml::node& n, const std::string& k,
                                           Scenario&) { return r.Bool(n, k, &f.one_way); }},
                          {"buffered", [&f](const Reader& r, const toml::node& n, const std::string& k,
                                            Scenario&) { return r.Bool(n, k, &f.buffered); }},
                          {"exit", [&f](const Reader& r, const toml::node& n, const std::string& k,
                                        Scenario&) { return r.Bool(n, k, &f.process_exit); }},
                          {"duration", [&f](const Reader& r, const toml::node& n, const std::string& k,
                                            Scenario&) { return r.Duration(n, k, &f.duration); }},
                          {"amount", [&f](const Reader& r, const toml::node& n, const std::string& k, Scenario&) {
                             return r.Int(n, k, INT64_MIN, INT64_MAX, &f.amount);
                           }}};
  if (absl::Status st = ApplyTable(r, t, h, prefix, unused); !st.ok()) return st;
  if (f.kind.empty()) return r.Error(t, prefix + "kind", "missing");
  return absl::OkStatus();
}

absl::Status ApplyFaults(const Reader& r, const toml::node& n, const std::string& key, Scenario& s) {
  const toml::array* a = n.as_array();
  if (!a) return r.Error(n, key, "must be an array of tables ([[faults]])");
  s.faults.clear();
  for (size_t i = 0; i < a->size(); ++i) {
    const toml::table* t = (*a)[i].as_table();
    const std::string prefix = absl::StrCat(key, "[", i, "].");
    if (!t) return r.Error((*a)[i], prefix, "must be a table");
    FaultSpec f;
    if (absl::Status st = ApplyFault(r, *t, prefix, f); !st.ok()) return st;
    s.faults.push_back(std::move(f));
  }
  std::stable_sort(s.faults.begin(), s.faults.end(),
                   [](const FaultSpec& a, const FaultSpec& b) { return a.at < b.at; });
  return absl::OkStatus();
}

// [policy] with one sub-table per policy: `raft.snapshot_entries = 50` or [policy.raft]. Values
// are integers or strings (ranges like "50..100"); the policy checks them when a run chooses it.
absl::Status ApplyPolicy(const Reader& r, const toml::node& n, const std::string& key, Scenario& s) {
  const toml::table* t = n.as_table();
  if (!t) return r.Error(n, key, "must be a table of policies ([policy] raft.snapshot_entries = 50)");
  s.policy_params.clear();
  for (const auto& [policy, params] : *t) {
    const std::string policy_key = absl::StrCat(key, ".", std::string(policy.str()));
    const toml::table* pt = params.as_table();
    if (!pt) return r.Error(params, policy_key, "must be a table of parameters (e.g. raft.snapshot_entries = 50)");
    for (const auto& [name, value] : *pt) {
      const std::string param_key = absl::StrCat(policy_key, ".", std::string(name.str()));
      std::string text;
      if (value.is_integer()) {
        text = absl::StrCat(*value.value_exact<int64_t>());
      } else if (!value.is_string() || !r.String(value, param_key, &text).ok()) {
        return r.Error(value, param_key, "must be an integer or a string");
      }
      s.policy_params.push_back(absl::StrCat(std::string(policy.str()), ".", std::string(name.str()), "=", text));
    }
  }
  return absl::OkStatus();
}

template <typename T>
Handler SimField(T SimParams::*field) {
  return [field](const Reader& r, const toml::node& n, const std::string& k, Scenario& s) {
    return r.IntAs(n, k, 0, std::is_same_v<T, uint32_t> ? 1'000'000 : INT64_MAX / 2, &(s.sim.*field));
  };
}

absl::Status ApplySim(const Reader& r, const toml::node& n, const std::string& key, Scenario& s) {
  const toml::table* t = n.as_table();
  if (!t) return r.Error(n, key, "must be a table");
  const HandlerTable h = {{"net_latency_us", SimField(&SimParams::net_latency_us)},
                          {"net_jitter_us", SimField(&SimParams::net_jitter_us)},
                          {"net_bandwidth_mbps", SimField(&SimParams::net_bandwidth_mbps)},
                          {"net_loss_ppm", SimField(&SimParams::net_loss_ppm)},
                          {"net_duplicate_ppm", SimField(&SimParams::net_duplicate_ppm)},
                          {"net_reorder_ppm", SimField(&SimParams::net_reorder_ppm)},
                          {"disk_write_us", SimField(&SimParams::disk_write_us)},
                          {"disk_fsync_us", SimField(&SimParams::disk_fsync_us)},
                          {"disk_fsync_jitter_us", SimField(&SimParams::disk_fsync_jitter_us)},
                          {"disk_fsync_slow_ppm", SimField(&SimParams::disk_fsync_slow_ppm)},
                          {"disk_fsync_slow_us", SimField(&SimParams::disk_fsync_slow_us)},
                          {"cpu_event_ns", SimField(&SimParams::cpu_event_ns)},
                          {"cpu_per_byte_ns", SimField(&SimParams::cpu_per_byte_ns)},
                          {"clock_max_skew_us", SimField(&SimParams::clock_max_skew_us)},
                          {"clock_max_drift_ppm", SimField(&SimParams::clock_max_drift_ppm)}};
  return ApplyTable(r, *t, h, key + ".", s);
}

const HandlerTable& TopLevelHandlers() {
  using R = const Reader&;
  using N = const toml::node&;
  using K = const std::string&;
  static const HandlerTable* h = new HandlerTable{
      {"base", [](R, N, K, Scenario&) { return absl::OkStatus(); }},  // applied first.
      {"name", [](R r, N n, K k, Scenario& s) { return r.String(n, k, &s.name); }},
      {"description", [](R r, N n, K k, Scenario& s) { return r.String(n, k, &s.description); }},
      {"keys", [](R r, N n, K k, Scenario& s) { return r.IntAs(n, k, 1, kMaxKeys, &s.keys); }},
      {"distribution",
       [](R r, N n, K k, Scenario& s) {
         std::string v;
         if (absl::Status st = r.String(n, k, &v); !st.ok()) return st;
         if (!ParseKeyDistribution(v, &s.key_distribution.kind)) {
           return r.Error(n, k,
                          "unknown distribution '" + v + "' (uniform|zipfian|zipfian_exact|hotspot|latest|sequential)");
         }
         return absl::OkStatus();
       }},
      {"zipf_theta",
       [](R r, N n, K k, Scenario& s) { return r.Number(n, k, 0.01, 0.9999, &s.key_distribution.zipf_theta); }},
      {"hot_set_fraction",
       [](R r, N n, K k, Scenario& s) { return r.Number(n, k, 0.0001, 0.9999, &s.key_distribution.hot_set_fraction); }},
      {"hot_op_fraction",
       [](R r, N n, K k, Scenario& s) { return r.Number(n, k, 0, 1, &s.key_distribution.hot_op_fraction); }},
      {"mix", ApplyMix},
      {"value_size", ApplyValueSize},
      {"clients", [](R r, N n, K k, Scenario& s) { return r.IntAs(n, k, 1, kMaxClients, &s.clients); }},
      {"in_flight", [](R r, N n, K k, Scenario& s) { return r.IntAs(n, k, 0, kMaxClients, &s.in_flight); }},
      {"ops", [](R r, N n, K k, Scenario& s) { return r.IntAs(n, k, 0, kMaxOps, &s.ops); }},
      {"duration", [](R r, N n, K k, Scenario& s) { return r.Duration(n, k, &s.duration); }},
      {"arrival",
       [](R r, N n, K k, Scenario& s) {
         std::string v;
         if (absl::Status st = r.String(n, k, &v); !st.ok()) return st;
         if (v != "closed" && v != "open") return r.Error(n, k, "must be \"closed\" or \"open\"");
         s.arrival = v == "open" ? Arrival::kOpen : Arrival::kClosed;
         return absl::OkStatus();
       }},
      {"rate", [](R r, N n, K k, Scenario& s) { return r.Number(n, k, 0, 1e9, &s.rate_ops_s); }},
      {"preload", [](R r, N n, K k, Scenario& s) { return r.Bool(n, k, &s.preload); }},
      {"request_timeout", [](R r, N n, K k, Scenario& s) { return r.Duration(n, k, &s.request_timeout); }},
      {"timeline_interval", [](R r, N n, K k, Scenario& s) { return r.Duration(n, k, &s.timeline_interval); }},
      {"faults", ApplyFaults},
      {"policy", ApplyPolicy},
      {"sim", ApplySim}};
  return *h;
}

}  // namespace

absl::StatusOr<Scenario> LoadScenarioString(const std::string& text, const std::string& name_for_errors) {
  toml::table table;
  try {
    table = toml::parse(text, name_for_errors);
  } catch (const toml::parse_error& e) {
    return absl::InvalidArgumentError(
        absl::StrCat(name_for_errors, ":", e.source().begin.line, ": ", std::string(e.description())));
  }
  const Reader r(name_for_errors);
  Scenario s;
  s.name.clear();
  if (const toml::node* base = table.get("base")) {
    std::string name;
    if (absl::Status st = r.String(*base, "base", &name); !st.ok()) return st;
    const auto& all = BuiltinScenarios();
    const auto it = std::find_if(all.begin(), all.end(), [&](const Scenario& b) { return b.name == name; });
    if (it == all.end()) return r.Error(*base, "base", "no built-in scenario '" + name + "'");
    s = *it;
  }
  if (absl::Status st = ApplyTable(r, table, TopLevelHandlers(), "", s); !st.ok()) return st;
  if (s.name.empty()) {  // default: the file's stem.
    std::string stem = name_for_errors.substr(name_for_errors.find_last_of('/') + 1);
    s.name = stem.substr(0, stem.find('.'));
  }
  if (absl::Status st = s.Validate(); !st.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(name_for_errors, ": ", st.message()));
  }
  return s;
}

absl::StatusOr<Scenario> LoadScenarioFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open scenario file '", path, "'"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  return LoadScenarioString(buffer.str(), path);
}

}  // namespace kvlab::workloads
