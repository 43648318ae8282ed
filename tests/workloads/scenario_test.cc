#include "workloads/scenario.h"

#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvlab::workloads {
namespace {

using ::testing::HasSubstr;

TEST(BuiltinScenarios, AllSixPlusYcsbAreValidAndUnique) {
  std::set<std::string> names;
  for (const Scenario& s : BuiltinScenarios()) {
    EXPECT_TRUE(s.Validate().ok()) << s.name << ": " << s.Validate();
    EXPECT_TRUE(names.insert(s.name).second) << s.name;
    EXPECT_FALSE(s.Summary().empty());
  }
  for (const char* n : {"throughput", "latency", "hot_cold", "mixed", "high_concurrency", "failure", "ycsb_a", "ycsb_b",
                        "ycsb_c", "ycsb_d", "ycsb_f"}) {
    EXPECT_EQ(names.count(n), 1u) << n;
  }
}

TEST(BuiltinScenarios, KeepTheOriginalDefaults) {
  const Scenario hc = *FindScenario("high_concurrency");
  EXPECT_EQ(hc.clients, 100);
  EXPECT_EQ(hc.ops, 5000u);
  EXPECT_GT(hc.in_flight, 0);
  const Scenario mixed = *FindScenario("mixed");
  EXPECT_EQ(mixed.mix.read, 0.7);
  EXPECT_EQ(mixed.key_distribution.kind, KeyDistribution::kZipfian);
  EXPECT_EQ(mixed.key_distribution.zipf_theta, 0.99);
  const Scenario failure = *FindScenario("failure");
  ASSERT_EQ(failure.faults.size(), 2u);
  EXPECT_EQ(failure.faults[0].kind, "crash");
  EXPECT_EQ(failure.faults[0].at * 3, failure.duration);
  EXPECT_EQ(failure.faults[1].at * 3, failure.duration * 2);
  EXPECT_EQ(FindScenario("throughput")->clients, 1000);
}

TEST(FindScenario, UnknownNameIsNotFound) {
  EXPECT_EQ(FindScenario("nope").status().code(), absl::StatusCode::kNotFound);
}

TEST(ParseDuration, AcceptsUnitsAndRejectsGarbage) {
  EXPECT_EQ(*ParseDuration("10s"), core::Seconds(10));
  EXPECT_EQ(*ParseDuration("250ms"), core::Millis(250));
  EXPECT_EQ(*ParseDuration("40us"), core::Micros(40));
  EXPECT_EQ(*ParseDuration("7ns"), 7);
  EXPECT_EQ(*ParseDuration("2m"), core::Seconds(120));
  for (const char* bad : {"", "s", "10", "1.5s", "-1s", "10 s", "10h"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
  EXPECT_EQ(FormatDuration(core::Millis(1500)), "1500ms");
}

TEST(LoadScenario, ReadsEveryField) {
  const auto s = LoadScenarioString(R"(
name = "custom"
description = "test"
keys = 500
distribution = "hotspot"
hot_set_fraction = 0.2
hot_op_fraction = 0.8
value_size = { min = 10, max = 20 }
clients = 4
in_flight = 2
duration = "3s"
ops = 0
arrival = "open"
rate = 250
preload = true
request_timeout = "500ms"
[mix]
get = 0.6
put = 0.4
[[faults]]
at = "2s"
kind = "restart"
node = 3
[[faults]]
at = "1s"
kind = "partition"
nodes = [1, 2]
one_way = true
[sim]
net_latency_us = 50
net_loss_ppm = 1000
)",
                                    "custom.toml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->name, "custom");
  EXPECT_EQ(s->keys, 500u);
  EXPECT_EQ(s->key_distribution.kind, KeyDistribution::kHotspot);
  EXPECT_EQ(s->key_distribution.hot_set_fraction, 0.2);
  EXPECT_EQ(s->value_size.max_bytes, 20u);
  EXPECT_EQ(s->in_flight, 2);
  EXPECT_EQ(s->duration, core::Seconds(3));
  EXPECT_EQ(s->arrival, Arrival::kOpen);
  EXPECT_EQ(s->rate_ops_s, 250);
  EXPECT_TRUE(s->preload);
  EXPECT_EQ(s->request_timeout, core::Millis(500));
  EXPECT_EQ(s->mix.read, 0.6);
  ASSERT_EQ(s->faults.size(), 2u);
  EXPECT_EQ(s->faults[0].kind, "partition");  // sorted by time.
  EXPECT_EQ(s->faults[0].nodes, (std::vector<core::NodeId>{1, 2}));
  EXPECT_TRUE(s->faults[0].one_way);
  EXPECT_EQ(s->faults[1].node, 3u);
  EXPECT_EQ(s->sim.net_latency_us, 50);
  EXPECT_EQ(s->sim.net_loss_ppm, 1000u);
  EXPECT_EQ(s->sim.disk_fsync_us, SimParams().disk_fsync_us);
}

TEST(LoadScenario, BaseStartsFromABuiltin) {
  const auto s = LoadScenarioString("base = \"mixed\"\nclients = 3\n", "dir/small.toml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->name, "mixed");
  EXPECT_EQ(s->clients, 3);
  EXPECT_EQ(s->mix.read, 0.7);
  const auto named = LoadScenarioString("keys = 10\n", "dir/small.toml");
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_EQ(named->name, "small");
}

TEST(LoadScenario, UnknownKeyNamesFileLineAndKey) {
  const auto s = LoadScenarioString("keys = 10\n\nclinets = 5\n", "x.toml");
  EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("x.toml:3: key 'clinets': unknown key"));
}

TEST(LoadScenario, BadValuesNameFileLineAndKey) {
  struct Case {
    const char* text;
    const char* want;
  } cases[] = {
      {"clients = \"many\"\n", "x.toml:1: key 'clients'"},
      {"keys = 1\n[mix]\nread = 1.5\n", "x.toml:3: key 'mix.read'"},
      {"[mix]\nread = 0.5\nupdate = 0.2\n", "key 'mix': mix proportions sum"},
      {"[[faults]]\nat = \"soon\"\nkind = \"crash\"\nnode = 1\n", "x.toml:2: key 'faults[0].at'"},
      {"[[faults]]\nat = \"1s\"\nkind = \"explode\"\n", "x.toml:3: key 'faults[0].kind'"},
      {"[sim]\nnet_latency_us = -5\n", "x.toml:2: key 'sim.net_latency_us'"},
      {"[sim]\nwarp = 1\n", "x.toml:2: key 'sim.warp': unknown key"},
      {"distribution = \"gauss\"\n", "x.toml:1: key 'distribution'"},
      {"base = \"nope\"\n", "x.toml:1: key 'base'"},
      {"keys = = 3\n", "x.toml:1:"},
      {"arrival = \"open\"\n", "rate"},
  };
  for (const Case& c : cases) {
    const auto s = LoadScenarioString(c.text, "x.toml");
    EXPECT_EQ(s.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(std::string(s.status().message()), HasSubstr(c.want)) << c.text;
  }
}

TEST(ScenarioToToml, EveryBuiltinRoundTripsExactly) {
  for (const Scenario& s : BuiltinScenarios()) {
    const std::string text = ScenarioToToml(s);
    const auto loaded = LoadScenarioString(text, s.name + ".toml");
    ASSERT_TRUE(loaded.ok()) << loaded.status() << "\n" << text;
    EXPECT_EQ(*loaded, s) << text;
  }
}

TEST(ScenarioToToml, CustomFieldsRoundTrip) {
  Scenario s = *FindScenario("failure");
  s.description = "quotes \" and \\ backslashes";
  s.key_distribution.zipf_theta = 0.8;
  s.value_size = {.min_bytes = 3, .max_bytes = 4000};
  s.rate_ops_s = 1234.5;
  s.duration = core::Micros(1500);
  FaultSpec p;
  p.at = core::Seconds(25);
  p.kind = "partition";
  p.nodes = {2, 3};
  p.one_way = true;
  p.buffered = true;
  s.faults.push_back(p);
  FaultSpec hold;
  hold.at = core::Seconds(26);
  hold.kind = "hold";
  hold.node = 1;
  hold.duration = core::Millis(1500);
  s.faults.push_back(hold);
  s.policy_params = {"raft.election_timeout_ms=50..100", "raft.snapshot_entries=50"};
  s.sim.net_loss_ppm = 10;
  const auto loaded = LoadScenarioString(ScenarioToToml(s), "custom.toml");
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*loaded, s);
}

// Issue 10 point 7: a scenario sets policy parameters (the run merges them under --param).
TEST(LoadScenario, PolicyTableGivesParamsInParamSyntax) {
  const auto s = LoadScenarioString(
      "[policy]\nraft.snapshot_entries = 50\nraft.election_timeout_ms = \"50..100\"\n[policy.other]\nx = 1\n",
      "p.toml");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->policy_params,
            (std::vector<std::string>{"other.x=1", "raft.election_timeout_ms=50..100", "raft.snapshot_entries=50"}));
  const auto bad = LoadScenarioString("[policy]\nraft.snapshot_entries = true\n", "p.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("policy.raft.snapshot_entries"), std::string::npos)
      << bad.status();
}

TEST(LoadScenario, MissingFileIsNotFound) {
  EXPECT_EQ(LoadScenarioFile("/nonexistent/x.toml").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace kvlab::workloads
