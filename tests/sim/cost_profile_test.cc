#include "sim/cost_profile.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sim/run.h"
#include "sim/sim_config.h"
#include "sim/sim_disk.h"

namespace kvlab::sim {
namespace {

using ::testing::HasSubstr;

const char* const kProfilePath = KVLAB_SOURCE_DIR "/profiles/loopback-2core.toml";

// A valid profile's text, to break one field at a time.
std::string ValidProfile() {
  absl::StatusOr<CostProfile> p = LoadCostProfile(kProfilePath);
  EXPECT_TRUE(p.ok()) << p.status();
  return CostProfileToToml(*p);
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(CostProfileTest, CompiledDefaultsMatchCommittedProfile) {
  absl::StatusOr<CostProfile> p = LoadCostProfile(kProfilePath);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(ModelCostsOf(*p), kLoopbackCosts);
  EXPECT_EQ(p->net_one_way_ns, kLoopbackNetLatencyNs);
  EXPECT_EQ(p->net_jitter_ns, kLoopbackNetJitterNs);
  EXPECT_EQ(p->cpu_per_request_ns, kLoopbackCpuPerEventNs);
  EXPECT_EQ(p->cpu_per_kib_ns, kLoopbackCpuPerKibNs);
  EXPECT_EQ(p->disk_write_ns, kLoopbackDiskWriteNs);
  // What runs use: a scenario's [sim] defaults are the profile's, rounded to their units.
  workloads::SimParams from_profile;
  ApplyCostProfile(*p, from_profile);
  EXPECT_EQ(from_profile, workloads::SimParams{});
  const SimConfig c = ToSimConfig(workloads::SimParams{}, core::Seconds(2));
  EXPECT_EQ(c.disk.fsync_quantiles, p->fsync);
  EXPECT_EQ(c.cpu.per_message_ns, p->cpu_per_message_ns);
}

// `text` without the line that sets `key` (whatever its value).
std::string DropKey(std::string text, const std::string& key) {
  const size_t at = text.find("\n" + key + " = ");
  EXPECT_NE(at, std::string::npos) << key;
  return text.erase(at + 1, text.find('\n', at + 1) - at);
}

// `text` with `key` of [cpu] set to `value`.
std::string SetCpuKey(const std::string& text, const std::string& key, const std::string& value) {
  return Replace(DropKey(text, key), "\n[cpu]\n", absl::StrCat("\n[cpu]\n", key, " = ", value, "\n"));
}

// Profiles written before the shared-host costs existed still load: their absence is the old
// model (no wake-up apart from per_message_ns, no CPU per sync, nothing shared).
TEST(CostProfileTest, SharedHostCostsMayBeMissing) {
  std::string text = ValidProfile();
  for (const char* key : {"wake_ns", "per_sync_ns", "cores", "devices"}) text = DropKey(text, key);
  absl::StatusOr<CostProfile> p = ParseCostProfile(text, "old.toml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->cpu_wake_ns, 0);
  EXPECT_EQ(p->cpu_per_sync_ns, 0);
  EXPECT_EQ(p->cpu_cores, 0);
  EXPECT_EQ(p->disk_devices, 0);
  absl::StatusOr<CostProfile> set = ParseCostProfile(
      SetCpuKey(SetCpuKey(SetCpuKey(ValidProfile(), "cores", "2"), "wake_ns", "7"), "per_sync_ns", "11"), "x");
  ASSERT_TRUE(set.ok()) << set.status();
  const ModelCosts costs = ModelCostsOf(*set);
  EXPECT_EQ(costs.cpu_cores, 2);
  EXPECT_EQ(costs.cpu_wake_ns, 7);
  EXPECT_EQ(costs.cpu_per_sync_ns, 11);
  const SimConfig c = ToSimConfig(workloads::SimParams{}, core::Seconds(2), costs);
  EXPECT_EQ(c.cpu.cores, 2);
  EXPECT_EQ(c.cpu.wake_ns, 7);
  EXPECT_EQ(c.cpu.per_sync_ns, 11);
}

// Profiles written before the per-connection costs existed load as closing costing nothing.
TEST(CostProfileTest, ConnectionCostsMayBeMissing) {
  const std::string old = DropKey(DropKey(ValidProfile(), "per_connection_ns"), "client_per_connection_ns");
  absl::StatusOr<CostProfile> p = ParseCostProfile(old, "old.toml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->cpu_per_connection_ns, 0);
  EXPECT_EQ(p->client_cpu_per_connection_ns, 0);
  absl::StatusOr<CostProfile> set = ParseCostProfile(
      Replace(old, "\n[cpu]\n", "\n[cpu]\nper_connection_ns = 13\nclient_per_connection_ns = 17\n"), "x");
  ASSERT_TRUE(set.ok()) << set.status();
  const SimConfig c = ToSimConfig(workloads::SimParams{}, core::Seconds(2), ModelCostsOf(*set));
  EXPECT_EQ(c.cpu.per_connection_ns, 13);
  EXPECT_EQ(c.cpu.client_per_connection_ns, 17);
  absl::StatusOr<CostProfile> bad =
      ParseCostProfile(Replace(ValidProfile(), "client_per_connection_ns = ", "client_per_connection_ns = -1\n#"), "b");
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("[cpu] client_per_connection_ns"));
}

TEST(CostProfileTest, AFirstOpCostMayBeMissing) {
  const std::string old = DropKey(ValidProfile(), "client_first_op_ns");
  absl::StatusOr<CostProfile> p = ParseCostProfile(old, "old.toml");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->client_cpu_first_op_ns, 0);
  absl::StatusOr<CostProfile> set =
      ParseCostProfile(Replace(old, "\n[cpu]\n", "\n[cpu]\nclient_first_op_ns = 23\n"), "x");
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(ToSimConfig(workloads::SimParams{}, core::Seconds(2), ModelCostsOf(*set)).cpu.client_first_op_ns, 23);
}

TEST(CostProfileTest, TomlRoundTrips) {
  absl::StatusOr<CostProfile> p = LoadCostProfile(kProfilePath);
  ASSERT_TRUE(p.ok()) << p.status();
  absl::StatusOr<CostProfile> back = ParseCostProfile(CostProfileToToml(*p), "x.toml");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(CostProfileToToml(*back), CostProfileToToml(*p));
}

TEST(CostProfileTest, BadProfilesNameTheFileAndField) {
  const std::string good = ValidProfile();
  const struct {
    std::string text;
    std::string error;
  } cases[] = {
      {Replace(good, "[fsync]\nmin_ns", "[fsync]\nmin_nz"), "bad.toml:"},
      {Replace(good, "p99_ns = ", "p99_ns = -"), "[fsync] p99_ns: must be an integer"},
      {Replace(good, "max_ns = ", "max_ns = 1\n#"), "[fsync] max_ns: must be at least p999_ns"},
      {Replace(good, "one_way_ns = ", "one_way_ns = 99999999999"), "[network] one_way_ns"},
      {Replace(good, "per_kib_ns = ", "per_kib_ns = \"1\"\n#"), "[cpu] per_kib_ns"},
      {Replace(good, "[disk]\nwrite_ns", "[disk]\nwrites_ns"), "unknown key"},
      {Replace(good, "samples = ", "samples = 0\n#"), "samples: must be a positive integer"},
      {Replace(good, "[disk]", "[disc]"), "[disc]"},
      {Replace(good, "cores = ", "cores = -1\n#"), "[cpu] cores: must be an integer in [0, 1024]"},
      {Replace(good, "devices = ", "devices = 2000\n#"), "[disk] devices: must be an integer in [0, 1024]"},
      {Replace(good, "wake_ns = ", "wake_ns = 1.5\n#"), "[cpu] wake_ns: must be an integer"},
      {Replace(good, "per_sync_ns = ", "per_sync_ns = -3\n#"), "[cpu] per_sync_ns: must be an integer"},
      {"[network\n", "bad.toml:1: not valid TOML"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<CostProfile> p = ParseCostProfile(c.text, "bad.toml");
    ASSERT_FALSE(p.ok()) << c.error;
    EXPECT_THAT(std::string(p.status().message()), HasSubstr(c.error));
    EXPECT_THAT(std::string(p.status().message()), HasSubstr("bad.toml"));
  }
}

// The empirical quantile q of `draws` (sorted).
core::Nanos At(const std::vector<core::Nanos>& draws, double q) {
  return draws[static_cast<size_t>(q * static_cast<double>(draws.size()))];
}

TEST(FsyncSamplerTest, QuantilesMatchTheTable) {
  const FsyncQuantiles& table = kLoopbackCosts.fsync;
  core::Rng rng(42);
  std::vector<core::Nanos> draws;
  constexpr int kDraws = 400'000;
  for (int i = 0; i < kDraws; ++i) draws.push_back(SampleFsync(table, rng));
  std::sort(draws.begin(), draws.end());
  // The share of draws at or below each of the table's values is its quantile (the CDF is
  // steep in the tail, so compare probabilities, not values).
  const auto cdf = [&draws](core::Nanos v) {
    return static_cast<double>(std::upper_bound(draws.begin(), draws.end(), v) - draws.begin()) / kDraws;
  };
  EXPECT_NEAR(cdf(table.p50), 0.5, 0.005);
  EXPECT_NEAR(cdf(table.p90), 0.9, 0.003);
  EXPECT_NEAR(cdf(table.p99), 0.99, 0.001);
  EXPECT_NEAR(cdf(table.p999), 0.999, 0.0003);
  EXPECT_GE(draws.front(), table.min);
  EXPECT_LE(draws.back(), table.max);
  // The tail is there: beyond p99.9 the draws reach well past it toward max.
  EXPECT_GT(draws.back(), table.p999 + (table.max - table.p999) / 2);
}

TEST(FsyncSamplerTest, DiskScalesTheTableToItsMedianAndIsDeterministic) {
  DiskModel model;
  model.fsync_latency_ns = 2 * model.fsync_quantiles.p50;  // a disk twice as slow, same shape.
  const auto draws = [&model](uint64_t seed) {
    SimDisk disk(model);
    core::Rng rng(seed);
    std::vector<core::Nanos> out;
    for (int i = 0; i < 20'001; ++i) {
      disk.StartSync("f", static_cast<core::SyncToken>(i));
      out.push_back(disk.BeginNextSync(rng));
      (void)disk.CompleteSync();
    }
    return out;
  };
  std::vector<core::Nanos> a = draws(7);
  EXPECT_EQ(a, draws(7));
  std::sort(a.begin(), a.end());
  const double median = static_cast<double>(At(a, 0.5));
  EXPECT_NEAR(median, 2.0 * static_cast<double>(model.fsync_quantiles.p50), 0.02 * median);
}

}  // namespace
}  // namespace kvlab::sim
