// Large history files (workloads/history_fast.h, workloads/history_file_check.h): the fast line
// parser agrees with the general one, and a file checked bucket by bucket, on several threads,
// gets the in-memory checker's verdict, violations and counts.
#include "workloads/history_file_check.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "core/rng.h"
#include "tests/workloads/same_verdict.h"
#include "workloads/history_fast.h"
#include "workloads/synthetic_history.h"

namespace kvlab::workloads {
namespace {

using testing::ExpectSameVerdict;

class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    path_ =
        (std::filesystem::temp_directory_path() / absl::StrCat("kvlab-history-", ::getpid(), "-", count_++)).string();
    std::ofstream(path_) << text;
  }
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  static inline int count_ = 0;
  std::string path_;
};

std::string Jsonl(const std::vector<HistoryOp>& ops) {
  std::string out;
  for (const HistoryOp& op : ops) absl::StrAppend(&out, ToJsonLine(op), "\n");
  return out;
}

std::vector<HistoryOp> Register(uint64_t seed, int keys) {
  core::Rng rng(seed);
  return AtomicRegisterHistory(rng, {.clients = 20, .ops_per_client = 200, .keys = keys});
}

// Each key's first ok read gets a value nobody wrote, in every seventh key: violations that a
// split of one key's ops across buckets could hide, and more of them than max_violations.
std::vector<HistoryOp> WithViolations(std::vector<HistoryOp> ops) {
  std::map<std::string, bool> done;
  for (HistoryOp& op : ops) {
    if (op.op != "get" || op.result != OpResult::kOk || done[op.key]) continue;
    done[op.key] = true;
    if (std::hash<std::string>()(op.key) % 7 == 0) op.value = "never-written";
  }
  return ops;
}

FileCheckOptions SmallBuckets() {
  FileCheckOptions o;
  o.bucket_bytes = 16 << 10;  // a few hundred ops per bucket: many buckets.
  o.threads = 2;
  return o;
}

TEST(HistoryFast, AgreesWithTheGeneralParserOnWrittenLines) {
  std::vector<HistoryOp> ops = Register(3, 5);
  ops[0].value = "quote\" backslash\\ newline\n tab\t slash/";
  ops[1].value = std::nullopt;
  ops[2].key = "";
  ops[3].invoke_seq = 7;
  ops[3].complete_seq = 9;
  ops[4].client = -3;
  for (const HistoryOp& op : ops) {
    const std::string line = ToJsonLine(op);
    HistoryOp fast;
    ASSERT_TRUE(ParseHistoryLineFast(line, &fast)) << line;
    EXPECT_EQ(fast, op) << line;
    EXPECT_EQ(*ParseHistoryLine(line, 1), op);
  }
}

// What the fast path leaves to the general parser: accepted where valid, refused with its words.
TEST(HistoryFast, DefersToTheGeneralParserOnAnythingElse) {
  const std::string base = R"("client":1,"op":"put","key":"k","invoke_ns":1,"complete_ns":2,"result":"ok")";
  HistoryOp op;
  for (const std::string& line :
       {absl::StrCat(R"({"value":"caf\u00e9",)", base, "}"), absl::StrCat(R"({"value":"x",)", base, ",\"client\":2}"),
        absl::StrCat("{", base, ",\"extra\":1}"), absl::StrCat("{", base, "} trailing"),
        absl::StrCat(R"({"invoke_seq":1.5,)", base, "}"), std::string("{}")}) {
    EXPECT_FALSE(ParseHistoryLineFast(line, &op)) << line;
  }
  // 20 digits: past the fast path's integers (no overflow on the way), the general parser's.
  const std::string big = absl::StrCat(R"({"invoke_seq":1,"complete_seq":18446744073709551615,)", base, "}");
  EXPECT_FALSE(ParseHistoryLineFast(big, &op));
  absl::StatusOr<HistoryOp> parsed = ParseHistoryLine(big, 1);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->complete_seq, UINT64_MAX);
  absl::StatusOr<HistoryOp> unicode = ParseHistoryLine(absl::StrCat(R"({"value":"caf\u00e9",)", base, "}"), 1);
  ASSERT_TRUE(unicode.ok()) << unicode.status();
  EXPECT_EQ(*unicode->value, "caf\xc3\xa9");
  EXPECT_EQ(ParseHistoryLine(absl::StrCat("{", base, ",\"extra\":1}"), 4).status().message(),
            "line 4: unknown field \"extra\"");
  EXPECT_EQ(ParseHistoryLine(R"({"client":1})", 2).status().message(), "line 2: missing \"op\"");
}

TEST(HistoryFileCheck, BucketsGiveTheInMemoryVerdictOnALinearizableHistory) {
  const std::vector<HistoryOp> ops = Register(5, 300);
  TempFile file(Jsonl(ops));
  absl::StatusOr<HistoryFileCheck> streamed = CheckHistoryFile(file.path(), CheckModel::kLinearizable, SmallBuckets());
  ASSERT_TRUE(streamed.ok()) << streamed.status();
  EXPECT_GT(streamed->buckets, 10u);
  EXPECT_EQ(streamed->lines, ops.size());
  EXPECT_TRUE(streamed->result.ok);
  ExpectSameVerdict(streamed->result, CheckLinearizable(ops));
}

TEST(HistoryFileCheck, BucketsFindTheViolationsTheInMemoryCheckerFinds) {
  const std::vector<HistoryOp> ops = WithViolations(Register(6, 300));
  TempFile file(Jsonl(ops));
  for (size_t threads : {1, 2, 3}) {
    FileCheckOptions options = SmallBuckets();
    options.threads = threads;
    absl::StatusOr<HistoryFileCheck> streamed = CheckHistoryFile(file.path(), CheckModel::kLinearizable, options);
    ASSERT_TRUE(streamed.ok()) << streamed.status();
    EXPECT_FALSE(streamed->result.ok);
    ExpectSameVerdict(streamed->result, CheckLinearizable(ops));
  }
}

TEST(HistoryFileCheck, BucketsGiveTheEventualModelsCounts) {
  std::vector<HistoryOp> ops = WithViolations(Register(7, 200));
  TempFile file(Jsonl(ops));
  absl::StatusOr<HistoryFileCheck> streamed = CheckHistoryFile(file.path(), CheckModel::kEventual, SmallBuckets());
  ASSERT_TRUE(streamed.ok()) << streamed.status();
  const CheckResult in_memory = CheckEventual(ops);
  ExpectSameVerdict(streamed->result, in_memory);
  EXPECT_EQ(streamed->result.staleness.reads, in_memory.staleness.reads);
  EXPECT_EQ(streamed->result.staleness.stale_reads, in_memory.staleness.stale_reads);
  EXPECT_EQ(streamed->result.staleness.max_staleness_ns, in_memory.staleness.max_staleness_ns);
  EXPECT_NEAR(streamed->result.staleness.mean_staleness_ns, in_memory.staleness.mean_staleness_ns, 1.0);
}

// The first bad line in file order is reported with its line number in the whole file, though a
// later part of the file is parsed by another thread.
TEST(HistoryFileCheck, ABadLineIsNamedByItsLineInTheFile) {
  std::vector<HistoryOp> ops = Register(8, 50);
  std::string text = Jsonl(ops);
  const size_t cut = text.find('\n', text.size() * 3 / 4);
  const int line = static_cast<int>(std::count(text.begin(), text.begin() + cut, '\n')) + 2;
  text.insert(cut + 1, "{\"client\":1}\n");
  TempFile file(text);
  absl::StatusOr<HistoryFileCheck> streamed = CheckHistoryFile(file.path(), CheckModel::kLinearizable, SmallBuckets());
  ASSERT_FALSE(streamed.ok());
  EXPECT_EQ(streamed.status().message(), absl::StrCat(file.path(), ": line ", line, ": missing \"op\""));
}

}  // namespace
}  // namespace kvlab::workloads
