#include "workloads/history.h"

#include <sstream>
#include <tuple>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvlab::workloads {
namespace {

using ::testing::HasSubstr;

TEST(History, JsonLineMatchesDesignFormat) {
  HistoryOp op{.client = 3,
               .op = "put",
               .key = "k1",
               .value = "v7",
               .invoke_ns = 1200,
               .complete_ns = 5400,
               .result = OpResult::kOk};
  EXPECT_EQ(ToJsonLine(op),
            R"({"client":3,"op":"put","key":"k1","value":"v7","invoke_ns":1200,"complete_ns":5400,"result":"ok"})");
  op.op = "get";
  op.value.reset();
  op.result = OpResult::kUnknown;
  EXPECT_THAT(ToJsonLine(op), HasSubstr(R"("value":null)"));
  EXPECT_THAT(ToJsonLine(op), HasSubstr(R"("result":"unknown")"));
}

TEST(History, SeqsAreWrittenAfterTheResultWhenRecorded) {
  HistoryOp op{.client = 3,
               .op = "put",
               .key = "k1",
               .value = "v7",
               .invoke_ns = 1200,
               .complete_ns = 5400,
               .result = OpResult::kOk,
               .invoke_seq = 41,
               .complete_seq = 57};
  EXPECT_EQ(
      ToJsonLine(op),
      R"({"client":3,"op":"put","key":"k1","value":"v7","invoke_ns":1200,"complete_ns":5400,"result":"ok","invoke_seq":41,"complete_seq":57})");
}

TEST(History, RoundTripsThroughJsonLines) {
  std::vector<HistoryOp> ops = {{.client = 1,
                                 .op = "put",
                                 .key = "a",
                                 .value = "x\"y\n",
                                 .invoke_ns = 1,
                                 .complete_ns = 2,
                                 .result = OpResult::kOk},
                                {.client = 2,
                                 .op = "get",
                                 .key = "a",
                                 .value = std::nullopt,
                                 .invoke_ns = 3,
                                 .complete_ns = 9,
                                 .result = OpResult::kFail},
                                {.client = 0,
                                 .op = "del",
                                 .key = "b",
                                 .value = std::nullopt,
                                 .invoke_ns = 4,
                                 .complete_ns = 4,
                                 .result = OpResult::kUnknown},
                                {.client = 0,
                                 .op = "get",
                                 .key = "b",
                                 .value = "z",
                                 .invoke_ns = 4,
                                 .complete_ns = 7,
                                 .result = OpResult::kOk,
                                 .invoke_seq = 1,
                                 .complete_seq = 18'446'744'073'709'551'615u}};
  std::ostringstream out;
  WriteHistory(ops, out);
  auto parsed = ParseHistory(out.str() + "\n\n");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(*parsed, ops);
}

TEST(History, BadLinesNameTheLineNumber) {
  const std::string good =
      R"({"client":1,"op":"get","key":"a","value":null,"invoke_ns":1,"complete_ns":2,"result":"ok"})";
  struct Case {
    std::string line;
    const char* want;
  } cases[] = {
      {"{not json", "line 2: not valid JSON"},
      {R"({"client":1,"op":"get","key":"a","invoke_ns":1,"complete_ns":2})", "line 2: missing \"result\""},
      {R"({"client":1,"op":"get","key":"a","invoke_ns":1,"complete_ns":2,"result":"maybe"})", "line 2: \"result\""},
      {R"({"client":"x","op":"get","key":"a","invoke_ns":1,"complete_ns":2,"result":"ok"})", "line 2: \"client\""},
      {R"({"client":1,"op":"get","key":"a","invoke_ns":5,"complete_ns":2,"result":"ok"})", "line 2: \"complete_ns\""},
      {R"({"client":1,"op":"get","key":"a","invoke_ns":1,"complete_ns":2,"result":"ok","x":1})",
       "line 2: unknown field"},
      {R"([1,2])", "line 2: not a JSON object"},
      {R"({"client":1,"op":"get","key":"a","invoke_ns":1,"complete_ns":2,"result":"ok","invoke_seq":3})",
       "line 2: \"invoke_seq\" and \"complete_seq\" come together"},
      {R"({"client":1,"op":"get","key":"a","invoke_ns":1,"complete_ns":2,"result":"ok","invoke_seq":3,"complete_seq":3})",
       "line 2: \"complete_seq\" must be > invoke_seq"},
      {R"({"client":1,"op":"get","key":"a","invoke_ns":1,"complete_ns":2,"result":"ok","invoke_seq":0,"complete_seq":3})",
       "line 2: \"invoke_seq\" must be a positive integer"},
      {R"({"client":1,"op":"get","key":"a","invoke_ns":1,"complete_ns":2,"result":"ok","invoke_seq":1,"complete_seq":-3})",
       "line 2: \"complete_seq\" must be a positive integer"},
      {R"({"client":1,"op":"get","key":"a","invoke_ns":1,"complete_ns":2,"result":"ok","invoke_seq":1,"complete_seq":"4"})",
       "line 2: \"complete_seq\" must be a positive integer"},
  };
  for (const Case& c : cases) {
    auto parsed = ParseHistory(good + "\n" + c.line + "\n");
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << c.line;
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr(c.want)) << c.line;
  }
}

TEST(HistorySequence, StampsEventsInTheOrderTheyAreRecorded) {
  HistorySequence seq;
  HistoryOp a, b;
  seq.Invoke(a, 10);
  seq.Invoke(b, 10);
  seq.Complete(a, 20);
  seq.Complete(b, 20);
  EXPECT_EQ(std::tie(a.invoke_ns, a.invoke_seq, a.complete_ns, a.complete_seq), std::make_tuple(10, 1u, 20, 3u));
  EXPECT_EQ(std::tie(b.invoke_seq, b.complete_seq), std::make_tuple(2u, 4u));
  EXPECT_EQ(seq.last(), 4u);
}

TEST(HistorySequence, AfterAHistoryContinuesPastItsLastSeq) {
  HistoryOp a{.client = 0,
              .op = "get",
              .key = "k",
              .value = std::nullopt,
              .invoke_ns = 0,
              .complete_ns = 1,
              .result = OpResult::kOk,
              .invoke_seq = 5,
              .complete_seq = 9};
  HistoryOp b = a;
  b.invoke_seq = 6;
  b.complete_seq = 7;
  HistorySequence seq = HistorySequence::After({a, b, HistoryOp{}});
  HistoryOp c;
  seq.Invoke(c, 2);
  EXPECT_EQ(c.invoke_seq, 10u);
  EXPECT_EQ(HistorySequence::After({}).last(), 0u);
}

TEST(History, MissingFileIsNotFound) {
  EXPECT_EQ(ReadHistoryFile("/nonexistent/h.jsonl").status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace kvlab::workloads
