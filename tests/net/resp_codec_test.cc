#include <gtest/gtest.h>

#include <string>

#include "net/resp_reply.h"
#include "net/resp_writer.h"

namespace kvlab::net {
namespace {

TEST(RespWriterTest, WritesEveryReplyType) {
  std::string out;
  AppendOk(&out);
  AppendSimpleString(&out, "PONG");
  AppendError(&out, "ERR bad\r\nthing");
  AppendInteger(&out, -42);
  AppendBulk(&out, std::string("a\0b", 3));
  AppendNil(&out);
  AppendArrayHeader(&out, 2);
  AppendBulk(&out, "");
  AppendNil(&out);
  AppendNilArray(&out);
  static constexpr char kWant[] =
      "+OK\r\n+PONG\r\n-ERR bad  thing\r\n:-42\r\n$3\r\na\0b\r\n$-1\r\n*2\r\n$0\r\n\r\n$-1\r\n*-1\r\n";
  EXPECT_EQ(out, std::string(kWant, sizeof(kWant) - 1));
}

TEST(RespReplyTest, ReadsBackWhatTheWriterWrote) {
  std::string out;
  AppendArrayHeader(&out, 3);
  AppendInteger(&out, 7);
  AppendBulk(&out, "v");
  AppendNil(&out);
  AppendError(&out, "ERR x");
  RespValue v;
  size_t consumed = 0;
  ASSERT_TRUE(ParseReply(out, &consumed, &v).ok());
  ASSERT_EQ(v.type, RespValue::Type::kArray);
  ASSERT_EQ(v.elements.size(), 3u);
  EXPECT_EQ(v.elements[0].integer, 7);
  EXPECT_EQ(v.elements[1].str, "v");
  EXPECT_EQ(v.elements[2].type, RespValue::Type::kNil);
  out.erase(0, consumed);
  ASSERT_TRUE(ParseReply(out, &consumed, &v).ok());
  EXPECT_TRUE(v.IsError());
  EXPECT_EQ(v.str, "ERR x");
  EXPECT_EQ(consumed, out.size());
}

TEST(RespReplyTest, IncompleteReplyConsumesNothing) {
  const std::string full = "*2\r\n$5\r\nhello\r\n:1\r\n";
  for (size_t n = 0; n < full.size(); ++n) {
    RespValue v;
    size_t consumed = 99;
    ASSERT_TRUE(ParseReply(full.substr(0, n), &consumed, &v).ok()) << n;
    EXPECT_EQ(consumed, 0u) << n;
  }
}

TEST(RespReplyTest, GarbageIsAnError) {
  RespValue v;
  size_t consumed = 0;
  EXPECT_EQ(ParseReply("?what\r\n", &consumed, &v).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseReply("$3\r\nabcd\r\n", &consumed, &v).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace kvlab::net
