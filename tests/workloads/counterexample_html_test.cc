#include "workloads/counterexample_html.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace kvlab::workloads {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

HistoryOp Op(int client, const std::string& op, std::optional<std::string> value, core::Nanos invoke,
             core::Nanos complete) {
  HistoryOp h;
  h.client = client;
  h.op = op;
  h.key = "k1";
  h.value = std::move(value);
  h.invoke_ns = invoke;
  h.complete_ns = complete;
  return h;
}

TEST(CounterexampleHtml, DrawsTheViolatingOpsPerClientWithFaultsOnTheSameAxis) {
  // A write acknowledged, then a later read that misses it: a stale read.
  const std::vector<HistoryOp> history = {Op(1, "put", "v1", 1'000'000, 2'000'000),
                                          Op(2, "get", std::nullopt, 5'000'000, 6'000'000)};
  const CheckResult result = CheckLinearizable(history);
  ASSERT_FALSE(result.ok);
  const std::string html = CounterexampleHtml(result, {{.at = 3'000'000, .kind = "crash", .node = 1}}, "t<1>");
  EXPECT_THAT(html, HasSubstr("<!DOCTYPE html>"));
  EXPECT_THAT(html, HasSubstr("<title>t&lt;1&gt;</title>"));  // escaped.
  EXPECT_THAT(html, HasSubstr("NOT consistent"));
  EXPECT_THAT(html, HasSubstr("client 1"));
  EXPECT_THAT(html, HasSubstr("client 2"));
  EXPECT_THAT(html, HasSubstr("put v1"));
  EXPECT_THAT(html, HasSubstr("get → absent"));
  EXPECT_THAT(html, HasSubstr("class='fault'"));
  EXPECT_THAT(html, HasSubstr("crash n1"));
  // Self-contained: nothing is fetched from the network.
  EXPECT_THAT(html, Not(HasSubstr("http://www.w3.org/1999")));
  EXPECT_THAT(html, Not(HasSubstr("src=")));
  EXPECT_THAT(html, Not(HasSubstr("href=")));
}

TEST(CounterexampleHtml, APassingResultSaysSoAndDrawsNothing) {
  const CheckResult result = CheckLinearizable({Op(1, "put", "v1", 1, 2), Op(2, "get", "v1", 3, 4)});
  const std::string html = CounterexampleHtml(result, {}, "ok run");
  EXPECT_THAT(html, HasSubstr("consistent"));
  EXPECT_THAT(html, Not(HasSubstr("<svg")));
}

}  // namespace
}  // namespace kvlab::workloads
