// Determinism across builds and compilers (DESIGN.md rule 5): the same seed gives the same trace
// hash from this (Debug + ASan/UBSan, g++) build, the Release build and the clang Release build.
// scripts/test builds the other two and names them in KVLAB_RELEASE_BINARY / KVLAB_CLANG_BINARY.
#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include <gtest/gtest.h>

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

std::string SimCommand(const std::string& binary, const std::string& scenario, int seed, const std::string& extra = "") {
  return binary + " sim --scenario " + scenario + " --seed " + std::to_string(seed) + " " + extra;
}

TEST(CrossBuildTest, SameSeedSameHashInEveryBuild) {
  const char* release = std::getenv("KVLAB_RELEASE_BINARY");
  const char* clang = std::getenv("KVLAB_CLANG_BINARY");
  if (release == nullptr || clang == nullptr) GTEST_SKIP() << "scripts/test provides the other builds";
  for (const char* scenario : {"mixed", "hot_cold"}) {
    for (int seed : {1, 2, 3}) {
      const std::string here = TraceHashOf(SimCommand(KVLAB_BINARY, scenario, seed));
      ASSERT_EQ(here.size(), 16u) << "no trace hash from " << SimCommand(KVLAB_BINARY, scenario, seed);
      EXPECT_EQ(here, TraceHashOf(SimCommand(release, scenario, seed))) << scenario << " seed " << seed;
      EXPECT_EQ(here, TraceHashOf(SimCommand(clang, scenario, seed))) << scenario << " seed " << seed;
    }
  }
}

TEST(CrossBuildTest, RandomFaultRunsAgreeAcrossBuilds) {
  const char* release = std::getenv("KVLAB_RELEASE_BINARY");
  const char* clang = std::getenv("KVLAB_CLANG_BINARY");
  if (release == nullptr || clang == nullptr) GTEST_SKIP() << "scripts/test provides the other builds";
  const std::string extra = "--faults random";
  const std::string here = TraceHashOf(SimCommand(KVLAB_BINARY, "mixed", 7, extra));
  ASSERT_EQ(here.size(), 16u);
  EXPECT_EQ(here, TraceHashOf(SimCommand(release, "mixed", 7, extra)));
  EXPECT_EQ(here, TraceHashOf(SimCommand(clang, "mixed", 7, extra)));
}

}  // namespace
