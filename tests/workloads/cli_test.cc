// `kvlab check` and `kvlab scenarios` through the real binary: exit codes are the contract.
#include <cstdlib>
#include <fstream>
#include <string>

#include <sys/wait.h>

#include "gtest/gtest.h"

namespace {

int RunKvlab(const std::string& args) {
  const std::string cmd = std::string(KVLAB_BINARY) + " " + args + " >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
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
      "ok.jsonl", std::string(kPut) + "\n" +
                      R"({"client":2,"op":"get","key":"k1","value":"v7","invoke_ns":6000,"complete_ns":7000,"result":"ok"})" "\n");
  const std::string bad = WriteFile(
      "bad.jsonl", std::string(kPut) + "\n" +
                       R"({"client":2,"op":"get","key":"k1","value":null,"invoke_ns":6000,"complete_ns":7000,"result":"ok"})" "\n");
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
  return WriteFile(
      "tie_" + std::to_string(client) + (seqs ? "_seqs" : "") + ".jsonl",
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

}  // namespace
