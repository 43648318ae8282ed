// `kvlab compare --world real` (app/compare_real.h): the simulator's comparison table produced from
// real processes, and what real processes cannot run refused by name before any cluster starts.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "tests/real/node_process.h"

namespace kvlab::real {
namespace {

using testing::NodeProcess;
using testing::TempDir;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

int CountLinesStartingWith(const std::string& text, const std::string& prefix) {
  int n = 0;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) n += line.rfind(prefix, 0) == 0 ? 1 : 0;
  return n;
}

// Two policies, one scenario, one seed, at a tenth of its size (100 PUTs): a cluster each, one row each.
TEST(CompareRealTest, TwoPoliciesOnOneScenarioGiveTwoRows) {
  TempDir dir;
  NodeProcess compare(NodeProcess::Kvlab{{"compare", "--world", "real", "--policies", "single,raft", "--scenarios",
                                          "latency", "--seeds", "1", "--scale", "0.1", "--out", dir.path()}});
  ASSERT_EQ(compare.WaitExit(), 0) << compare.stderr_text();
  const std::string md = ReadFile(dir.path() + "/compare.md");
  EXPECT_EQ(md.rfind("# Comparison on real processes", 0), 0u) << md;
  EXPECT_NE(md.find("| ops/s (mean ± 95% CI) |"), std::string::npos) << "wall-clock throughput, not virtual: " << md;
  // The summary and the table of every run: one line each per policy.
  EXPECT_EQ(CountLinesStartingWith(md, "| latency | single | "), 2) << md;
  EXPECT_EQ(CountLinesStartingWith(md, "| latency | raft | "), 2) << md;
  const nlohmann::json runs = nlohmann::json::parse(ReadFile(dir.path() + "/compare.json"));
  ASSERT_EQ(runs.size(), 2u);
  for (const nlohmann::json& r : runs) {
    EXPECT_EQ(r["world"], "real");
    EXPECT_EQ(r["scenario"], "latency");
    EXPECT_EQ(r["ops"], 100);
    EXPECT_TRUE(r["check"]["ok"].get<bool>()) << r.dump();
  }
  EXPECT_EQ(runs[0]["policy"], "single");
  EXPECT_EQ(runs[1]["policy"], "raft");
  EXPECT_EQ(runs[1]["nodes"], 3);
}

TEST(CompareRealTest, RandomFaultsAreRefusedByName) {
  NodeProcess compare(NodeProcess::Kvlab{
      {"compare", "--world", "real", "--policies", "raft", "--scenarios", "latency", "--faults", "random"}});
  EXPECT_EQ(compare.WaitExit(), 2);
  EXPECT_NE(compare.stderr_text().find("random faults are drawn by the simulator only"), std::string::npos)
      << compare.stderr_text();
}

TEST(CompareRealTest, AScenarioFaultRealProcessesCannotHaveIsRefusedByName) {
  TempDir dir;
  const std::string scenario = dir.path() + "/clock.toml";
  std::ofstream(scenario) << "base = \"failure\"\nname = \"clock\"\nduration = \"2s\"\n[[faults]]\nat = \"1s\"\n"
                             "kind = \"clock_skew\"\nnode = 1\namount = 1000\n";
  NodeProcess compare(
      NodeProcess::Kvlab{{"compare", "--world", "real", "--policies", "raft", "--scenarios", scenario}});
  EXPECT_EQ(compare.WaitExit(), 2);
  EXPECT_NE(compare.stderr_text().find("scenario 'clock' cannot run on real processes: fault 'clock_skew'"),
            std::string::npos)
      << compare.stderr_text();
}

}  // namespace
}  // namespace kvlab::real
