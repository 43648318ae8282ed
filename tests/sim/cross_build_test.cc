// Determinism across builds and compilers (DESIGN.md rule 5): the same seed gives the same trace
// hash from this (Debug + ASan/UBSan, g++) build, the Release build and the clang Release build.
// scripts/test builds the other two and names them in KVLAB_RELEASE_BINARY / KVLAB_CLANG_BINARY.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

namespace {

// Runs `command` and returns the value of its "trace_hash: " line, or "" if it has none.
std::string TraceHashOf(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(popen((command + " 2>&1").c_str(), "r"), pclose);
  if (!pipe) return "";
  std::array<char, 4096> line;
  std::string hash;
  while (fgets(line.data(), line.size(), pipe.get()) != nullptr) {
    std::string s(line.data());
    if (s.rfind("trace_hash: ", 0) == 0) hash = s.substr(12, 16);
  }
  return hash;
}

// The short sweep workload keeps the sanitized build's runs quick.
std::string SimCommand(const std::string& binary, const std::string& policy, int seed, const std::string& extra = "") {
  return binary + " sim --scenario " KVLAB_SOURCE_DIR "/scenarios/sweep.toml --policy " + policy + " --seed " +
         std::to_string(seed) + " " + extra;
}

TEST(CrossBuildTest, SameSeedSameHashInEveryBuild) {
  const char* release = std::getenv("KVLAB_RELEASE_BINARY");
  const char* clang = std::getenv("KVLAB_CLANG_BINARY");
  if (release == nullptr || clang == nullptr) GTEST_SKIP() << "scripts/test provides the other builds";
  for (const char* policy : {"single", "raft"}) {
    for (int seed : {1, 2, 3}) {
      const std::string here = TraceHashOf(SimCommand(KVLAB_BINARY, policy, seed));
      ASSERT_EQ(here.size(), 16u) << "no trace hash from " << SimCommand(KVLAB_BINARY, policy, seed);
      EXPECT_EQ(here, TraceHashOf(SimCommand(release, policy, seed))) << policy << " seed " << seed;
      EXPECT_EQ(here, TraceHashOf(SimCommand(clang, policy, seed))) << policy << " seed " << seed;
    }
  }
}

TEST(CrossBuildTest, RandomFaultRunsAgreeAcrossBuilds) {
  const char* release = std::getenv("KVLAB_RELEASE_BINARY");
  const char* clang = std::getenv("KVLAB_CLANG_BINARY");
  if (release == nullptr || clang == nullptr) GTEST_SKIP() << "scripts/test provides the other builds";
  const std::string extra = "--faults random";
  for (int seed : {7, 8}) {
    const std::string here = TraceHashOf(SimCommand(KVLAB_BINARY, "raft", seed, extra));
    ASSERT_EQ(here.size(), 16u);
    EXPECT_EQ(here, TraceHashOf(SimCommand(release, "raft", seed, extra))) << "seed " << seed;
    EXPECT_EQ(here, TraceHashOf(SimCommand(clang, "raft", seed, extra))) << "seed " << seed;
  }
}

}  // namespace
