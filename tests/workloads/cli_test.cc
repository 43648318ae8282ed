// The `kvlab` command line through the real binary: exit codes and one-line reasons are the
// contract. Inputs that must not pass (issue 12) exit 2 with one line, never "OK".
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace {

int RunKvlab(const std::string& args) {
  const std::string cmd = std::string(KVLAB_BINARY) + " " + args + " >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Runs `kvlab ARGS`; fills *out with stdout and stderr together; returns the exit code.
int RunKvlabOutput(const std::string& args, std::string* out) {
  out->clear();
  const std::string cmd = std::string(KVLAB_BINARY) + " " + args + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), p)) > 0) out->append(buf, n);
  const int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Exit 2 with exactly one line that contains `why`, and no verdict.
void ExpectBadInput(const std::string& args, const std::string& why) {
  std::string out;
  EXPECT_EQ(RunKvlabOutput(args, &out), 2) << args << ": " << out;
  EXPECT_NE(out.find(why), std::string::npos) << args << ": " << out;
  EXPECT_EQ(out.find('\n'), out.size() - 1) << args << ": not one line: " << out;
  EXPECT_EQ(out.find("OK"), std::string::npos) << args << ": " << out;
}

std::string WriteFile(const std::string& name, const std::string& text) {
  const std::string path = ::testing::TempDir() + "/" + name;
  std::ofstream(path) << text;
  return path;
}

const char kPut[] =
    R"({"client":1,"op":"put","key":"k1","value":"v7","invoke_ns":1200,"complete_ns":5400,"result":"ok"})";

TEST(KvlabCheck, ExitCodesAreZeroOkOneViolationTwoBadInput) {
  const std::string ok = WriteFile(
      "ok.jsonl",
      std::string(kPut) + "\n" +
          R"({"client":2,"op":"get","key":"k1","value":"v7","invoke_ns":6000,"complete_ns":7000,"result":"ok"})"
          "\n");
  const std::string bad = WriteFile(
      "bad.jsonl",
      std::string(kPut) + "\n" +
          R"({"client":2,"op":"get","key":"k1","value":null,"invoke_ns":6000,"complete_ns":7000,"result":"ok"})"
          "\n");
  EXPECT_EQ(RunKvlab("check " + ok), 0);
  EXPECT_EQ(RunKvlab("check " + ok + " --model eventual"), 0);
  EXPECT_EQ(RunKvlab("check " + bad), 1);
  EXPECT_EQ(RunKvlab("check " + WriteFile("garbage.jsonl", "{oops\n")), 2);
  EXPECT_EQ(RunKvlab("check /nonexistent/history.jsonl"), 2);
  EXPECT_EQ(RunKvlab("check " + ok + " --model sequential"), 2);
}

// Client 0 puts k=v1 over [0, 10]; then `client` gets k over [10, 20] and misses it (issue 10).
std::string TieHistory(int client, bool seqs) {
  const std::string put_seqs = seqs ? R"(,"invoke_seq":1,"complete_seq":2)" : "";
  const std::string get_seqs = seqs ? R"(,"invoke_seq":3,"complete_seq":4)" : "";
  return WriteFile("tie_" + std::to_string(client) + (seqs ? "_seqs" : "") + ".jsonl",
                   R"({"client":0,"op":"put","key":"k","value":"v1","invoke_ns":0,"complete_ns":10,"result":"ok")" +
                       put_seqs + "}\n" + R"({"client":)" + std::to_string(client) +
                       R"(,"op":"get","key":"k","value":null,"invoke_ns":10,"complete_ns":20,"result":"ok")" +
                       get_seqs + "}\n");
}

TEST(KvlabCheck, OrdersEventsThatTieInTimeByClientAndSeq) {
  EXPECT_EQ(RunKvlab("check " + TieHistory(0, false)), 1);  // a client's own ops are sequential.
  EXPECT_EQ(RunKvlab("check " + TieHistory(0, true)), 1);
  EXPECT_EQ(RunKvlab("check " + TieHistory(1, false)), 0);  // another client's get overlaps...
  EXPECT_EQ(RunKvlab("check " + TieHistory(1, true)), 1);   // unless the seqs say the put ended.
}

TEST(KvlabScenarios, ListsBuiltinsAndExitsZero) { EXPECT_EQ(RunKvlab("scenarios"), 0); }

TEST(KvlabScenarios, DumpsABuiltinAsTomlThatLoadsBack) {
  const std::string path = ::testing::TempDir() + "/mixed.toml";
  const std::string dump = std::string(KVLAB_BINARY) + " scenarios --toml mixed > " + path;
  ASSERT_EQ(std::system(dump.c_str()), 0);
  EXPECT_EQ(RunKvlab("scenarios --toml " + path), 0);
  EXPECT_EQ(RunKvlab("scenarios --toml no_such_scenario"), 2);
}

TEST(KvlabCheck, DirectoryOrEmptyFileIsBadInputNeverOk) {
  ExpectBadInput("check " + ::testing::TempDir(), "is a directory, not a file");
  ExpectBadInput("check " + WriteFile("empty.jsonl", ""), "is empty");
}

TEST(KvlabTraceDiff, DirectoriesAreBadInput) {
  const std::string dir = ::testing::TempDir();
  ExpectBadInput("trace-diff " + dir + " " + dir, "trace '" + dir + "' is a directory");
}

TEST(KvlabScenarioArg, DirectoryIsBadInputForEveryCommand) {
  const std::string dir = ::testing::TempDir();
  ExpectBadInput("sim --scenario " + dir, "--scenario '" + dir + "' is a directory");
  ExpectBadInput("compare --scenarios " + dir, "--scenarios '" + dir + "' is a directory");
  ExpectBadInput("bench --target 127.0.0.1:1 --scenario " + dir, "--scenario '" + dir + "' is a directory");
  ExpectBadInput("scenarios --toml " + dir, "--toml '" + dir + "' is a directory");
  ExpectBadInput("sim --scenario " + WriteFile("empty.toml", ""), "is empty");
}

TEST(KvlabSim, ShardWithoutSeedsIsBadInput) {
  ExpectBadInput("sim --shard 1/4", "--shard I/N splits a --seeds A..B sweep");
}

TEST(KvlabCompare, OutCreatesTheFolderAndItsParents) {
  const std::string out_dir = ::testing::TempDir() + "/compare-out/a/b";
  std::filesystem::remove_all(::testing::TempDir() + "/compare-out");
  std::string out;
  ASSERT_EQ(RunKvlabOutput("compare --policies single --scenarios latency --seeds 1 --out " + out_dir, &out), 0) << out;
  EXPECT_TRUE(std::filesystem::exists(out_dir + "/compare.json")) << out;
  EXPECT_TRUE(std::filesystem::exists(out_dir + "/compare.md")) << out;
}

// Issue 11: two settings of one policy compare as two policies, each summary row with the
// unavailability windows of its runs (the failure scenario crashes node 1 at 10 s).
TEST(KvlabCompare, TwoSettingsOfOnePolicyAreTwoRowsWithTheirUnavailability) {
  std::string out;
  ASSERT_EQ(
      RunKvlabOutput("compare --policies raft,raft:election_timeout_ms=50..100 --scenarios failure --seeds 1..2", &out),
      0)
      << out;
  for (const std::string policy : {"raft", "raft:election_timeout_ms=50..100"}) {
    const size_t row = out.find("| failure | " + policy + " | 2 | 0 |");
    ASSERT_NE(row, std::string::npos) << policy << " in:\n" << out;
    const std::string line = out.substr(row, out.find('\n', row) - row);
    EXPECT_NE(line.find("| median "), std::string::npos) << line;
    EXPECT_NE(line.find("(2 runs) |"), std::string::npos) << line;
  }
}

TEST(KvlabHelp, ListsScenariosAndFaultKindsOneLineEach) {
  std::string sim, scenarios, bench;
  ASSERT_EQ(RunKvlabOutput("sim --help", &sim), 0);
  for (const char* mode : {"none", "crash", "partition", "disk", "clock", "network", "random"}) {
    EXPECT_NE(sim.find(std::string("\n  ") + mode + " "), std::string::npos) << mode << " in:\n" << sim;
  }
  for (const char* name : {"throughput", "latency", "hot_cold", "mixed", "high_concurrency", "failure", "ycsb_a"}) {
    EXPECT_NE(sim.find(name), std::string::npos) << name;
  }
  ASSERT_EQ(RunKvlabOutput("bench --help", &bench), 0);
  EXPECT_NE(bench.find("high_concurrency"), std::string::npos) << bench;
  ASSERT_EQ(RunKvlabOutput("scenarios --help", &scenarios), 0);
  for (const char* kind : {"crash", "restart", "pause", "resume", "partition", "heal", "disk_fail", "disk_heal",
                           "clock_skew", "crash_leader", "restart_all"}) {
    EXPECT_NE(scenarios.find(std::string("\n  ") + kind + " "), std::string::npos) << kind << " in:\n" << scenarios;
  }
}

// A scenario's [policy] table sets the policy's parameters; --param wins. The snapshot sweep's
// run snapshots (every 50 entries) and installs snapshots on followers that fell behind.
TEST(KvlabSim, ScenarioPolicyTableSetsParamsAndFlagsWin) {
  const std::string scenario = std::string(KVLAB_SOURCE_DIR) + "/scenarios/sweep_snapshot.toml";
  std::string out;
  ASSERT_EQ(RunKvlabOutput("sim --scenario " + scenario + " --policy raft --faults random --seed 3", &out), 0) << out;
  EXPECT_NE(out.find("policy raft:snapshot_entries=50 "), std::string::npos) << out;
  EXPECT_NE(out.find("\nsnapshots_installed: "), std::string::npos) << out;
  ASSERT_EQ(RunKvlabOutput("sim --scenario " + scenario + " --policy raft --param raft.snapshot_entries=10000 --seed 3",
                           &out),
            0)
      << out;
  EXPECT_NE(out.find("policy raft "), std::string::npos) << out;
  EXPECT_EQ(out.find("snapshots_taken"), std::string::npos) << out;
  // Another policy ignores raft's parameters.
  EXPECT_EQ(RunKvlabOutput("sim --scenario " + scenario + " --policy single --seed 3", &out), 0) << out;
}

TEST(KvlabVersion, PrintsOneLineAndExitsZero) {
  std::string out;
  EXPECT_EQ(RunKvlabOutput("--version", &out), 0) << out;
  EXPECT_EQ(out.rfind("kvlab ", 0), 0u) << out;
  EXPECT_EQ(out.find('\n'), out.size() - 1) << out;
}

}  // namespace
