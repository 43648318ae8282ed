#include "real/kv_commands.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace kvlab::real {
namespace {

using core::Command;
using core::Op;

absl::StatusOr<Command> Parse(std::vector<std::string> args, int64_t now_ms = 1000) {
  std::string name = args[0];
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ParseKvCommand(name, args, now_ms);
}

TEST(KvCommandsTest, SetWithOptionsBecomesAConditionalPutWithAbsoluteExpiry) {
  absl::StatusOr<Command> c = Parse({"SET", "k", "v", "nx", "EX", "10"}, 5000);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->op, Op::kPut);
  EXPECT_EQ(c->keys[0], "k");
  EXPECT_EQ(c->values[0], "v");
  EXPECT_EQ(c->condition, core::PutCondition::kIfAbsent);
  EXPECT_EQ(c->expire_at_ms, 15000);
  EXPECT_EQ(Parse({"set", "k", "v", "XX", "PX", "7"}, 5000)->expire_at_ms, 5007);
  EXPECT_EQ(Parse({"set", "k", "v", "XX"})->condition, core::PutCondition::kIfPresent);
}

TEST(KvCommandsTest, BadSetOptionsGetRedisErrors) {
  EXPECT_EQ(Parse({"set", "k", "v", "nx", "xx"}).status().message(), "ERR syntax error");
  EXPECT_EQ(Parse({"set", "k", "v", "bogus"}).status().message(), "ERR syntax error");
  EXPECT_EQ(Parse({"set", "k", "v", "ex"}).status().message(), "ERR syntax error");
  EXPECT_EQ(Parse({"set", "k", "v", "ex", "abc"}).status().message(), "ERR value is not an integer or out of range");
  EXPECT_EQ(Parse({"set", "k", "v", "ex", "0"}).status().message(), "ERR invalid expire time in 'set' command");
  EXPECT_EQ(Parse({"set", "k"}).status().message(), "ERR wrong number of arguments for 'set' command");
}

TEST(KvCommandsTest, ArityErrorsNameTheCommandInLowercase) {
  EXPECT_EQ(Parse({"GET"}).status().message(), "ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(Parse({"get", "a", "b"}).status().message(), "ERR wrong number of arguments for 'get' command");
  EXPECT_EQ(Parse({"MSET", "a"}).status().message(), "ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(Parse({"mset", "a", "1", "b"}).status().message(), "ERR wrong number of arguments for 'mset' command");
  EXPECT_EQ(Parse({"del"}).status().message(), "ERR wrong number of arguments for 'del' command");
}

TEST(KvCommandsTest, MultiKeyCommandsKeepKeyOrder) {
  absl::StatusOr<Command> mset = Parse({"mset", "a", "1", "b", "2"});
  ASSERT_TRUE(mset.ok());
  EXPECT_EQ(mset->op, Op::kMSet);
  EXPECT_EQ(mset->keys, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(mset->values, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(Parse({"exists", "a", "a"})->keys.size(), 2u);
  EXPECT_EQ(Parse({"unlink", "x"})->op, Op::kDel);
}

TEST(KvCommandsTest, IncrFamilyCarriesTheDelta) {
  EXPECT_EQ(Parse({"incr", "n"})->delta, 1);
  EXPECT_EQ(Parse({"decr", "n"})->delta, -1);
  EXPECT_EQ(Parse({"incrby", "n", "5"})->delta, 5);
  EXPECT_EQ(Parse({"decrby", "n", "5"})->delta, -5);
  EXPECT_EQ(Parse({"incrby", "n", "x"}).status().message(), "ERR value is not an integer or out of range");
}

TEST(KvCommandsTest, RepliesMapToRespTypes) {
  auto render = [](core::ClientReply r) {
    std::string out;
    AppendClientReply(r, &out);
    return out;
  };
  core::ClientReply ok;
  EXPECT_EQ(render(ok), "+OK\r\n");
  ok.result = core::Result::Value("v");
  EXPECT_EQ(render(ok), "$1\r\nv\r\n");
  ok.result = core::Result::Nil();
  EXPECT_EQ(render(ok), "$-1\r\n");
  ok.result = core::Result::Integer(3);
  EXPECT_EQ(render(ok), ":3\r\n");
  ok.result = core::Result::OfKind(core::ResultKind::kValues);
  ok.result.values = {std::string("a"), std::nullopt};
  EXPECT_EQ(render(ok), "*2\r\n$1\r\na\r\n$-1\r\n");
  ok.result = core::Result::Error("ERR value is not an integer or out of range");
  EXPECT_EQ(render(ok), "-ERR value is not an integer or out of range\r\n");
  core::ClientReply busy;
  busy.status = core::ReplyStatus::kBusy;
  busy.message = "too many pending requests";
  EXPECT_EQ(render(busy), "-BUSY too many pending requests\r\n");
  busy.status = core::ReplyStatus::kTryAgain;
  EXPECT_EQ(render(busy), "-TRYAGAIN too many pending requests\r\n");
  busy.status = core::ReplyStatus::kInvalid;
  EXPECT_EQ(render(busy), "-ERR too many pending requests\r\n");
}

TEST(KvCommandsTest, UnknownCommandUsesRedisWording) {
  EXPECT_EQ(UnknownCommandError({"foo", "a", "b"}), "ERR unknown command 'foo', with args beginning with: 'a' 'b' ");
  EXPECT_EQ(UnknownCommandError({"x"}), "ERR unknown command 'x', with args beginning with: ");
}

}  // namespace
}  // namespace kvlab::real
