// The conformance suite: what every registered policy must pass, parameterized over the registry
// (core/policy/registry.h), so a new policy gets these tests by being listed there. Each test
// runs short simulations through sim::RunSimulation and holds the policy to its own PolicyInfo:
// determinism, its promised consistency under every fault mode it claims to survive, no lost
// acknowledged write where it promises durability, recovery after every node restarts, and
// parameters whose defaults parse and print back unchanged.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/policy/registry.h"
#include "sim/run.h"
#include "workloads/readback.h"

namespace kvlab::sim {
namespace {

// Seeds per claimed fault mode: a smoke test of the claim (the CI sweeps run hundreds), kept
// short so the whole suite stays well under a minute under sanitizers.
constexpr uint64_t kSeedsPerFaultMode = 3;

class PolicyConformance : public ::testing::TestWithParam<const core::PolicyInfo*> {
 protected:
  const core::PolicyInfo& info() const { return *GetParam(); }

  // A short contended workload: every seed elects, writes, reads and retries within ~1 s.
  static workloads::Scenario Small() {
    absl::StatusOr<workloads::Scenario> s = workloads::FindScenario("mixed");
    EXPECT_TRUE(s.ok()) << s.status();
    s->ops = 600;
    s->clients = 8;
    s->keys = 40;
    return *s;
  }

  SimRunOutcome Run(const workloads::Scenario& scenario, uint64_t seed, FaultMode faults) const {
    SimRunOptions options;
    options.scenario = scenario;
    absl::StatusOr<core::PolicyChoice> choice = core::ParsePolicyChoice(info().name);
    EXPECT_TRUE(choice.ok()) << choice.status();
    options.policy = *choice;
    options.seed = seed;
    options.faults = faults;
    absl::StatusOr<SimRunOutcome> outcome = RunSimulation(options);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    return outcome.ok() ? *std::move(outcome) : SimRunOutcome{};
  }

  static std::string Why(const SimRunOutcome& o) {
    std::string why = o.check_details;
    for (const std::string& p : o.problems) absl::StrAppend(&why, "PROBLEM: ", p, "\n");
    return why;
  }

  std::string ExpectedModel() const {
    return info().promise == core::Consistency::kEventual ? "eventual" : "linearizable";
  }

  bool Survives(std::string_view mode) const {
    return std::find(info().survives.begin(), info().survives.end(), mode) != info().survives.end();
  }
};

TEST_P(PolicyConformance, DeclarationIsCoherent) {
  EXPECT_FALSE(info().name.empty());
  EXPECT_EQ(info().name.find_first_of(":,.= "), std::string_view::npos)
      << "a policy name must not hold the separators of policy lists and --param";
  EXPECT_LE(info().min_nodes, info().default_nodes);
  EXPECT_LE(info().default_nodes, info().max_nodes);
  ASSERT_NE(info().make, nullptr);
  ASSERT_NE(info().max_faulty, nullptr);
  for (int n = info().min_nodes; n <= info().max_nodes; ++n) {
    EXPECT_GE(info().max_faulty(n), 0) << n << " nodes";
    EXPECT_LT(info().max_faulty(n), n) << n << " nodes";
  }
  for (std::string_view mode : info().survives) {
    EXPECT_TRUE(ParseFaultMode(mode).ok()) << "survives '" << mode << "': not a --faults mode";
  }
  // A data dir made before the dir kept a record is told apart by its files (real/
  // data_dir_layout), so no two policies may keep a file of the same name.
  for (const core::PolicyInfo* other : core::Policies()) {
    if (other == &info()) continue;
    for (std::string_view mine : {info().log_file, info().snapshot_file}) {
      if (mine.empty()) continue;
      EXPECT_NE(mine, other->log_file) << "'" << mine << "' is also " << other->name << "'s log";
      EXPECT_NE(mine, other->snapshot_file) << "'" << mine << "' is also " << other->name << "'s snapshot";
    }
  }
}

// DESIGN.md determinism rule 5: a run is a pure function of (scenario, policy, seed).
TEST_P(PolicyConformance, SameSeedSameTraceHashDifferentSeedDifferentHash) {
  const FaultMode faults = Survives("random") ? FaultMode::kRandom : FaultMode::kNone;
  std::set<uint64_t> hashes;
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    const SimRunOutcome a = Run(Small(), seed, faults);
    const SimRunOutcome b = Run(Small(), seed, faults);
    ASSERT_TRUE(a.report.trace_hash.has_value());
    ASSERT_EQ(a.report.trace_hash, b.report.trace_hash) << "seed " << seed;
    EXPECT_EQ(a.report.ops, b.report.ops) << "seed " << seed;
    hashes.insert(*a.report.trace_hash);
  }
  EXPECT_EQ(hashes.size(), 3u);
}

TEST_P(PolicyConformance, KeepsItsPromiseWithoutFaults) {
  const SimRunOutcome o = Run(Small(), 1, FaultMode::kNone);
  EXPECT_TRUE(o.ok()) << Why(o);
  ASSERT_TRUE(o.report.check.has_value());
  EXPECT_EQ(o.report.check->model, ExpectedModel());
  EXPECT_GT(o.report.ops, 0u);
}

// Every fault mode the policy claims to survive, a few seeds each: the run's verdict (its
// promised consistency, the read-back, progress once faults heal) must pass.
TEST_P(PolicyConformance, KeepsItsPromiseUnderEveryFaultItClaimsToSurvive) {
  for (std::string_view name : info().survives) {
    absl::StatusOr<FaultMode> mode = ParseFaultMode(name);
    ASSERT_TRUE(mode.ok()) << mode.status();
    for (uint64_t seed = 1; seed <= kSeedsPerFaultMode; ++seed) {
      const SimRunOutcome o = Run(Small(), seed, *mode);
      EXPECT_TRUE(o.ok()) << "--faults " << name << " --seed " << seed << "\n" << Why(o);
      ASSERT_TRUE(o.report.check.has_value());
      EXPECT_EQ(o.report.check->model, ExpectedModel());
    }
  }
}

// The read-back after crashes reads every key an acknowledged write touched, and the checker
// holds those reads to the writes: a lost acknowledged write fails the verdict.
TEST_P(PolicyConformance, NoAcknowledgedWriteIsLostToCrashes) {
  if (!info().durable) GTEST_SKIP() << info().name << " does not promise durability";
  ASSERT_TRUE(Survives("crash")) << "a durable policy survives crashes of max_faulty nodes";
  const workloads::Scenario scenario = Small();
  for (uint64_t seed = 1; seed <= kSeedsPerFaultMode; ++seed) {
    const SimRunOutcome o = Run(scenario, seed, FaultMode::kCrash);
    EXPECT_TRUE(o.ok()) << "seed " << seed << "\n" << Why(o);
    bool crashed = false;
    for (const workloads::FaultEvent& f : o.report.faults)
      crashed = crashed || f.kind.find("crash") != std::string::npos;
    EXPECT_TRUE(crashed) << "seed " << seed << ": no crash was injected";
    std::set<std::string> read_back;
    for (const workloads::HistoryOp& op : o.history) {
      if (op.client == scenario.clients && op.result == workloads::OpResult::kOk) read_back.insert(op.key);
    }
    for (const std::string& key : workloads::WrittenKeys(o.history)) {
      EXPECT_TRUE(read_back.contains(key)) << "seed " << seed << ": written key " << key << " was not read back";
    }
  }
}

// Every node crashes at once and restarts from its disk; the cluster serves again and still
// holds what it acknowledged before (the read-back), for durable policies.
TEST_P(PolicyConformance, RecoversAfterEveryNodeRestarts) {
  workloads::Scenario s = Small();
  s.ops = 0;
  s.duration = core::Seconds(3);
  s.arrival = workloads::Arrival::kOpen;
  s.rate_ops_s = 400;
  const core::Nanos crash_at = core::Seconds(1);
  const core::Nanos restart_at = core::Millis(1500);
  for (core::NodeId id = 1; id <= static_cast<core::NodeId>(info().default_nodes); ++id) {
    s.faults.push_back(
        workloads::FaultSpec{.at = crash_at, .kind = "crash", .node = id, .nodes = {}, .one_way = false, .amount = 0});
  }
  s.faults.push_back(workloads::FaultSpec{
      .at = restart_at, .kind = "restart_all", .node = core::kNoNode, .nodes = {}, .one_way = false, .amount = 0});
  const SimRunOutcome o = Run(s, 1, FaultMode::kNone);
  EXPECT_TRUE(o.ok()) << Why(o);
  int restarts = 0;
  for (const workloads::FaultEvent& f : o.report.faults) restarts += f.kind == "restart" ? 1 : 0;
  EXPECT_EQ(restarts, info().default_nodes);
  uint64_t served_after = 0;  // successful ops completed from half a second after the restart.
  for (const workloads::TimelinePoint& p : o.report.timeline) {
    if (p.t_s >= 2.0) served_after += p.ops - p.errors;
  }
  EXPECT_GT(served_after, 0u) << "the cluster did not serve again after every node restarted";
}

// Every parameter's default parses and prints back as itself, and a choice's label parses back
// to the same parameters: the text a report or replay line shows is a valid input.
TEST_P(PolicyConformance, ParametersRoundTrip) {
  absl::StatusOr<core::PolicyChoice> defaults = core::ParsePolicyChoice(info().name);
  ASSERT_TRUE(defaults.ok()) << defaults.status();
  EXPECT_EQ(defaults->label(), std::string(info().name));
  const std::vector<std::pair<std::string, std::string>> all = defaults->params.All();
  ASSERT_EQ(all.size(), info().params.size());
  for (const core::ParamSpec& spec : info().params) {
    const std::string text =
        absl::StrCat(std::string(info().name), ":", std::string(spec.name), "=", std::string(spec.default_value));
    absl::StatusOr<core::PolicyChoice> given = core::ParsePolicyChoice(text);
    ASSERT_TRUE(given.ok()) << text << ": " << given.status();
    EXPECT_EQ(given->label(), std::string(info().name)) << text << ": the default is no override";
    EXPECT_EQ(given->params.All(), all) << text;
    auto it = std::find_if(all.begin(), all.end(), [&](const auto& kv) { return kv.first == spec.name; });
    ASSERT_NE(it, all.end()) << spec.name;
    EXPECT_EQ(it->second, std::string(spec.default_value)) << spec.name;
    EXPECT_FALSE(core::DescribeParam(spec).empty());
  }
  for (const core::ParamSpec& spec : info().params) {
    if (spec.kind != core::ParamKind::kInt && spec.kind != core::ParamKind::kRange) continue;
    // The upper bound is a legal value other than the default (where the policy's own relations
    // between parameters allow it): its label must parse back to the same parameters.
    const std::string text = absl::StrCat(std::string(info().name), ":", std::string(spec.name), "=", spec.max);
    absl::StatusOr<core::PolicyChoice> given = core::ParsePolicyChoice(text);
    if (!given.ok()) continue;
    absl::StatusOr<core::PolicyChoice> again = core::ParsePolicyChoice(given->label());
    ASSERT_TRUE(again.ok()) << given->label() << ": " << again.status();
    EXPECT_EQ(again->params.All(), given->params.All()) << given->label();
    EXPECT_EQ(again->label(), given->label());
  }
}

std::string PolicyName(const ::testing::TestParamInfo<const core::PolicyInfo*>& p) {
  return std::string(p.param->name);
}

INSTANTIATE_TEST_SUITE_P(Registry, PolicyConformance, ::testing::ValuesIn(core::Policies()), PolicyName);

}  // namespace
}  // namespace kvlab::sim
