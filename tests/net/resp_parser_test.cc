#include "net/resp_parser.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kvlab::net {
namespace {

using ::testing::ElementsAre;
using Args = std::vector<std::string>;

// Feeds `input` in pieces of `chunk` bytes (0: all at once) like a connection would, keeping
// unconsumed bytes, and collects every request. Stops at the first error and returns its text.
struct Feeder {
  RespRequestParser parser;
  std::string buffer;
  std::vector<Args> requests;
  std::string error;

  explicit Feeder(size_t max_bulk = kDefaultMaxBulkBytes) : parser(max_bulk) {}

  void Feed(std::string_view input, size_t chunk = 0) {
    if (chunk == 0) chunk = input.size();
    for (size_t i = 0; i < input.size() && error.empty(); i += chunk) {
      buffer.append(input.substr(i, chunk));
      Drain();
    }
  }

  void Drain() {
    for (;;) {
      size_t consumed = 0;
      auto state = parser.Parse(buffer, &consumed);
      buffer.erase(0, consumed);
      if (state == RespRequestParser::State::kRequest) {
        requests.push_back(parser.args());
        continue;
      }
      if (state == RespRequestParser::State::kError) error = parser.error();
      return;
    }
  }
};

TEST(RespParserTest, ParsesOneMultibulkRequest) {
  Feeder f;
  f.Feed("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n");
  ASSERT_EQ(f.error, "");
  ASSERT_EQ(f.requests.size(), 1u);
  EXPECT_THAT(f.requests[0], ElementsAre("SET", "k", "hello"));
  EXPECT_TRUE(f.buffer.empty());
  EXPECT_TRUE(f.parser.Idle());
}

TEST(RespParserTest, ParsesPipelinedRequestsFromOneRead) {
  std::string input;
  for (int i = 0; i < 1000; ++i)
    input += "*2\r\n$3\r\nGET\r\n$" + std::to_string(std::to_string(i).size()) + "\r\n" + std::to_string(i) + "\r\n";
  Feeder f;
  f.Feed(input);
  ASSERT_EQ(f.requests.size(), 1000u);
  EXPECT_THAT(f.requests[999], ElementsAre("GET", "999"));
}

TEST(RespParserTest, ByteAtATimeGivesTheSameRequests) {
  const std::string input =
      "*2\r\n$4\r\nECHO\r\n$12\r\nhello\r\nworld\r\nPING\r\n*1\r\n$6\r\nDBSIZE\r\n  SET a   \"b c\"  \r\n";
  Feeder whole, bytes;
  whole.Feed(input);
  bytes.Feed(input, 1);
  ASSERT_EQ(bytes.error, "");
  EXPECT_EQ(whole.requests, bytes.requests);
  ASSERT_EQ(bytes.requests.size(), 4u);
  EXPECT_THAT(bytes.requests[0], ElementsAre("ECHO", "hello\r\nworld"));
  EXPECT_THAT(bytes.requests[1], ElementsAre("PING"));
  EXPECT_THAT(bytes.requests[3], ElementsAre("SET", "a", "b c"));
}

// Headers of 1-9 digits take a one-pass path; longer, zero-padded, split or odd ones the general
// path. Both must give the same requests, whole or a byte at a time.
TEST(RespParserTest, EveryHeaderFormReadsTheSameWholeOrSplit) {
  const std::string input =
      "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"         // short: the one-pass path
      "*01\r\n$0000000004\r\nPING\r\n"         // zero-padded, 10 digits: the general path
      "*1\r\n$000000000000000004\r\nPING\r\n"  // 18 digits
      "*2\r\n$3\r\nSET\r\n$123456789\r\n";     // 9 digits, value not yet sent
  Feeder whole(1u << 30), bytes(1u << 30);
  whole.Feed(input);
  bytes.Feed(input, 1);
  ASSERT_EQ(whole.error, "");
  ASSERT_EQ(bytes.error, "");
  EXPECT_EQ(whole.requests, bytes.requests);
  ASSERT_EQ(whole.requests.size(), 3u);
  EXPECT_THAT(whole.requests[0], ElementsAre("GET", "k"));
  EXPECT_THAT(whole.requests[1], ElementsAre("PING"));
  EXPECT_THAT(whole.requests[2], ElementsAre("PING"));
  EXPECT_FALSE(whole.parser.Idle());  // waiting for the 123456789 bytes.
  for (const char* bad : {"*1\r\n$+3\r\nabc\r\n", "*1\r\n$3x\r\nabc\r\n", "*1\r\n$\r\n"}) {
    Feeder f, g;
    f.Feed(bad);
    g.Feed(bad, 1);
    EXPECT_EQ(f.error, "Protocol error: invalid bulk length") << bad;
    EXPECT_EQ(g.error, f.error) << bad;
  }
}

TEST(RespParserTest, BulkStringsAreBinarySafe) {
  std::string value("a\0b\r\n\xff", 6);
  Feeder f;
  f.Feed("*2\r\n$4\r\nECHO\r\n$6\r\n" + value + "\r\n", 3);
  ASSERT_EQ(f.requests.size(), 1u);
  EXPECT_EQ(f.requests[0][1], value);
}

TEST(RespParserTest, LargeBulkIsNotRescannedPerRead) {
  const std::string value(1 << 20, 'v');
  Feeder f;
  f.buffer = "*2\r\n$4\r\nECHO\r\n$" + std::to_string(value.size()) + "\r\n";
  f.Drain();
  EXPECT_TRUE(f.buffer.empty()) << "headers are consumed as soon as they are complete";
  EXPECT_EQ(f.parser.PendingBulkBytes(), value.size() + 2);
  f.Feed(value + "\r\n", 64 * 1024);
  ASSERT_EQ(f.requests.size(), 1u);
  EXPECT_EQ(f.requests[0][1].size(), value.size());
}

TEST(RespParserTest, InlineCommandsSplitOnWhitespaceAndQuotes) {
  Feeder f;
  f.Feed("PING\r\nset k 'it\\'s'\nECHO \"a\\x41\\n\"\r\n\r\n");
  ASSERT_EQ(f.error, "");
  ASSERT_EQ(f.requests.size(), 3u);
  EXPECT_THAT(f.requests[0], ElementsAre("PING"));
  EXPECT_THAT(f.requests[1], ElementsAre("set", "k", "it's"));
  EXPECT_THAT(f.requests[2], ElementsAre("ECHO", "aA\n"));
}

TEST(RespParserTest, EmptyMultibulkAndEmptyLinesAreIgnored) {
  Feeder f;
  f.Feed("*0\r\n\r\n*-1\r\nPING\r\n");
  ASSERT_EQ(f.error, "");
  ASSERT_EQ(f.requests.size(), 1u);
}

TEST(RespParserTest, UnbalancedQuotesIsAProtocolError) {
  Feeder f;
  f.Feed("SET k \"abc\r\n");
  EXPECT_EQ(f.error, "Protocol error: unbalanced quotes in request");
}

TEST(RespParserTest, InvalidMultibulkLengthIsAProtocolError) {
  for (const char* bad : {"*abc\r\n", "*1x\r\n", "*99999999999\r\n", "*-\r\n"}) {
    Feeder f;
    f.Feed(bad);
    EXPECT_EQ(f.error, "Protocol error: invalid multibulk length") << bad;
  }
}

TEST(RespParserTest, HugeDeclaredBulkLengthIsRefusedBeforeReadingIt) {
  Feeder f(1024);
  f.Feed("*2\r\n$3\r\nGET\r\n$1025\r\n");
  EXPECT_EQ(f.error, "Protocol error: invalid bulk length");
  Feeder negative;
  negative.Feed("*1\r\n$-5\r\n");
  EXPECT_EQ(negative.error, "Protocol error: invalid bulk length");
}

TEST(RespParserTest, MissingDollarIsAProtocolError) {
  Feeder f;
  f.Feed("*1\r\n:12\r\n");
  EXPECT_EQ(f.error, "Protocol error: expected '$', got ':'");
}

TEST(RespParserTest, OverlongInlineRequestIsAProtocolError) {
  Feeder f;
  f.Feed(std::string(kMaxInlineBytes + 1, 'a'));
  EXPECT_EQ(f.error, "Protocol error: too big inline request");
}

TEST(RespParserTest, OverlongHeaderLineIsAProtocolError) {
  Feeder mbulk;
  mbulk.Feed("*" + std::string(kMaxInlineBytes + 1, '1'));
  EXPECT_EQ(mbulk.error, "Protocol error: too big mbulk count string");
  Feeder bulk;
  bulk.Feed("*1\r\n$" + std::string(kMaxInlineBytes + 1, '1'));
  EXPECT_EQ(bulk.error, "Protocol error: too big bulk count string");
}

TEST(RespParserTest, TruncatedFrameWaitsForMoreBytes) {
  Feeder f;
  f.Feed("*2\r\n$3\r\nGET\r\n$3\r\nab");
  EXPECT_EQ(f.error, "");
  EXPECT_TRUE(f.requests.empty());
  EXPECT_FALSE(f.parser.Idle());
  f.Feed("c\r\n");
  ASSERT_EQ(f.requests.size(), 1u);
  EXPECT_THAT(f.requests[0], ElementsAre("GET", "abc"));
}

}  // namespace
}  // namespace kvlab::net
