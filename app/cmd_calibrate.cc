// kvlab calibrate: measures on this machine what the simulator models and writes a cost profile
// (sim/cost_profile.h) that `kvlab sim --costs FILE` loads. The probes live in calibrate_probes.
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "app/calibrate_probes.h"
#include "app/commands.h"
#include "sim/cost_profile.h"

namespace kvlab::app {
namespace {

// --budget limits: a tenth of a second still takes kMinProbeSamples of each; an hour is plenty.
constexpr double kMinBudgetS = 0.1;
constexpr double kMaxBudgetS = 3600;

struct CalibrateFlags {
  std::string data_dir = ".";
  double budget_s = 20;
  std::string out = "cost-profile.toml";
};

int Fail(const std::string& why) {
  std::fprintf(stderr, "kvlab calibrate: %s\n", why.c_str());
  return 2;
}

std::string UtcNow() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The filesystem type of `dir` by its statfs magic, as /proc/mounts would name it.
std::string FilesystemOf(const std::string& dir) {
  struct statfs st {};
  if (statfs(dir.c_str(), &st) != 0) return "unknown";
  switch (static_cast<uint64_t>(st.f_type)) {
    case 0xEF53: return "ext4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x01021994: return "tmpfs";
    case 0x794C7630: return "overlayfs";
    case 0x2FC12FC1: return "zfs";
    default: return absl::StrFormat("0x%x", static_cast<uint64_t>(st.f_type));
  }
}

void Provenance(const CalibrateFlags& f, sim::CostProfile& p) {
  utsname u{};
  uname(&u);
  p.date = UtcNow();
  p.host = absl::StrCat(u.nodename, " (", sysconf(_SC_NPROCESSORS_ONLN), " CPUs, ", u.machine, ")");
  p.kernel = absl::StrCat(u.sysname, " ", u.release);
  p.filesystem = FilesystemOf(f.data_dir);
  char real[4096];
  p.data_dir = realpath(f.data_dir.c_str(), real) != nullptr ? real : f.data_dir;
  p.command = absl::StrFormat("kvlab calibrate --data-dir %s --budget %g", f.data_dir, f.budget_s);
  p.budget_s = f.budget_s;
}

absl::StatusOr<sim::CostProfile> Measure(const CalibrateFlags& f) {
  sim::CostProfile p;
  Provenance(f, p);
  const auto budget = static_cast<core::Nanos>(f.budget_s * 1e9);
  // Shares: the fsync tail needs the most samples, the loopback the fewest.
  absl::StatusOr<LoopbackCosts> net = MeasureLoopback(budget / 5);
  if (!net.ok()) return net.status();
  absl::StatusOr<CpuCosts> cpu = MeasureNodeCpu(f.data_dir, budget * 2 / 5);
  if (!cpu.ok()) return cpu.status();
  absl::StatusOr<DiskCosts> disk = MeasureDisk(f.data_dir, budget * 3 / 10);
  if (!disk.ok()) return disk.status();
  absl::StatusOr<core::Nanos> synced_set = MeasureSyncedSetCpu(f.data_dir, budget / 10, &cpu->samples);
  if (!synced_set.ok()) return synced_set.status();
  absl::StatusOr<ConnectionCosts> conns = MeasureConnectionCpu(f.data_dir);
  if (!conns.ok()) return conns.status();
  p.net_one_way_ns = net->one_way_ns;
  p.net_jitter_ns = net->jitter_ns;
  p.net_samples = net->samples;
  p.cpu_wake_ns = cpu->wake_ns;
  p.cpu_cores = static_cast<int>(std::min<long>(sysconf(_SC_NPROCESSORS_ONLN), sim::kMaxSharedUnits));
  p.cpu_per_message_ns = cpu->per_message_ns;
  p.cpu_per_request_ns = cpu->per_request_ns;
  p.cpu_per_kib_ns = cpu->per_kib_ns;
  p.cpu_per_sync_ns = PerSyncCpu(*synced_set, *cpu, disk->write_ns);
  p.client_cpu_per_op_ns = cpu->client_per_op_ns;
  p.client_cpu_first_op_ns = conns->client_first_op_ns;
  // The close's input already pays a request's CPU (CpuModel::per_event_ns) beside this.
  p.cpu_per_connection_ns = std::max<core::Nanos>(0, conns->node_ns - cpu->per_request_ns);
  p.client_cpu_per_connection_ns = conns->client_ns;
  p.cpu_samples = cpu->samples + conns->samples;
  p.disk_write_ns = disk->write_ns;
  p.disk_devices = 1;  // one data dir: every node of a loopback cluster syncs to its filesystem.
  p.fsync = disk->fsync;
  p.fsync_samples = disk->samples;
  return p;
}

int RunCalibrate(const CalibrateFlags& f) {
  if (!(f.budget_s >= kMinBudgetS && f.budget_s <= kMaxBudgetS)) {
    return Fail(absl::StrFormat("--budget: want %g..%g seconds, got %g", kMinBudgetS, kMaxBudgetS, f.budget_s));
  }
  if (access(f.data_dir.c_str(), W_OK) != 0)
    return Fail(absl::StrCat("--data-dir: '", f.data_dir, "' is not a writable directory"));
  absl::StatusOr<sim::CostProfile> profile = Measure(f);
  if (!profile.ok()) return Fail(std::string(profile.status().message()));
  const std::string text = sim::CostProfileToToml(*profile);
  // What we write must load: a measurement out of the profile's ranges fails here, not later.
  if (auto back = sim::ParseCostProfile(text, f.out); !back.ok()) return Fail(std::string(back.status().message()));
  std::ofstream out(f.out);
  out << text;
  out.close();
  if (!out) return Fail(absl::StrCat("--out: cannot write '", f.out, "'"));
  const sim::FsyncQuantiles& q = profile->fsync;
  std::printf("loopback one-way %.1f us + jitter %.1f us (%llu round trips)\n", profile->net_one_way_ns / 1e3,
              profile->net_jitter_ns / 1e3, static_cast<unsigned long long>(profile->net_samples));
  std::printf(
      "node cpu wake-up %.1f us, per message %.1f us, per request %.1f us, per KiB %.2f us, per sync %.1f us (%llu "
      "requests); client %.1f us/op (a connection's first %.1f us); per connection closed: node %.1f us, client "
      "%.1f us\n",
      profile->cpu_wake_ns / 1e3, profile->cpu_per_message_ns / 1e3, profile->cpu_per_request_ns / 1e3,
      profile->cpu_per_kib_ns / 1e3, profile->cpu_per_sync_ns / 1e3,
      static_cast<unsigned long long>(profile->cpu_samples), profile->client_cpu_per_op_ns / 1e3,
      profile->client_cpu_first_op_ns / 1e3, profile->cpu_per_connection_ns / 1e3,
      profile->client_cpu_per_connection_ns / 1e3);
  std::printf("disk write %.1f us; fdatasync p50 %.1f p90 %.1f p99 %.1f p99.9 %.1f max %.1f us (%llu syncs, %s)\n",
              profile->disk_write_ns / 1e3, q.p50 / 1e3, q.p90 / 1e3, q.p99 / 1e3, q.p999 / 1e3, q.max / 1e3,
              static_cast<unsigned long long>(profile->fsync_samples), profile->filesystem.c_str());
  std::printf("wrote %s\n", f.out.c_str());
  return 0;
}

}  // namespace

void AddCalibrateCommand(CLI::App& app) {
  auto flags = std::make_shared<CalibrateFlags>();
  CLI::App* cmd = app.add_subcommand(
      "calibrate",
      "Measure this machine's loopback latency, a node's CPU cost and the fsync latency distribution; write a cost "
      "profile for `kvlab sim --costs`");
  cmd->add_option("--data-dir", flags->data_dir, "Measure fdatasync on this directory's filesystem (use the nodes')")
      ->capture_default_str();
  cmd->add_option("--budget", flags->budget_s, "Seconds to spend measuring (0.1..3600)")->capture_default_str();
  cmd->add_option("--out", flags->out, "Write the cost profile (TOML) to FILE")->capture_default_str();
  cmd->callback([flags] { SetExitCode(RunCalibrate(*flags)); });
}

}  // namespace kvlab::app
