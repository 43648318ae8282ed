#include "core/kv/command.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/constants.h"
#include "core/rng.h"

namespace kvlab::core {
namespace {

std::vector<Command> OneCommandPerOp() {
  std::vector<Command> out;
  for (uint8_t op = 1; op <= kMaxOp; ++op) {
    Command c;
    c.op = static_cast<Op>(op);
    c.keys = {"k1", std::string("\0k2", 3)};
    c.values = {"v", ""};
    c.condition = static_cast<PutCondition>(op % 3);
    c.expire_at_ms = -static_cast<int64_t>(op) * 1'000'000'007;
    c.delta = INT64_MIN + op;
    out.push_back(c);
  }
  return out;
}

std::vector<Result> OneResultPerKind() {
  Result values = Result::OfKind(ResultKind::kValues);
  values.values = {std::string("a"), std::nullopt, std::string()};
  return {Result::Ok(),
          Result::Nil(),
          Result::Value(std::string("x\0y", 3)),
          Result::Integer(INT64_MIN),
          values,
          Result::Error("ERR nope")};
}

TEST(CommandCodecTest, EveryOpRoundTrips) {
  for (const Command& c : OneCommandPerOp()) {
    std::string buf;
    ByteWriter w(&buf);
    EncodeCommand(c, w);
    ByteReader r(buf);
    absl::StatusOr<Command> got = DecodeCommand(r);
    ASSERT_TRUE(got.ok()) << OpName(c.op) << ": " << got.status();
    EXPECT_EQ(*got, c);
    EXPECT_TRUE(r.done());
  }
}

TEST(CommandCodecTest, EveryTruncationFailsCleanly) {
  for (const Command& c : OneCommandPerOp()) {
    std::string buf;
    ByteWriter w(&buf);
    EncodeCommand(c, w);
    for (size_t n = 0; n < buf.size(); ++n) {
      ByteReader r(std::string_view(buf).substr(0, n));
      EXPECT_EQ(DecodeCommand(r).status().code(), absl::StatusCode::kDataLoss) << OpName(c.op) << " " << n;
    }
  }
}

TEST(CommandCodecTest, BadOpAndConditionAreRefused) {
  for (uint8_t op : {uint8_t{0}, uint8_t{kMaxOp + 1}, uint8_t{255}}) {
    std::string buf(1, static_cast<char>(op));
    buf += std::string(40, '\0');
    ByteReader r(buf);
    EXPECT_EQ(DecodeCommand(r).status().code(), absl::StatusCode::kDataLoss);
  }
  std::string buf = {1, 3};
  buf += std::string(40, '\0');
  ByteReader r(buf);
  EXPECT_EQ(DecodeCommand(r).status().code(), absl::StatusCode::kDataLoss);
}

TEST(CommandCodecTest, RandomBytesNeverCrash) {
  Rng rng(5);
  for (int i = 0; i < 20000; ++i) {
    std::string buf(rng.Uniform(64), '\0');
    for (char& ch : buf) ch = static_cast<char>(rng.Uniform(256));
    if (!buf.empty()) buf[0] = static_cast<char>(1 + rng.Uniform(kMaxOp));  // reach deeper
    ByteReader r(buf);
    (void)DecodeCommand(r);
    ByteReader r2(buf);
    (void)DecodeResult(r2);
  }
}

TEST(ResultCodecTest, EveryKindRoundTrips) {
  for (const Result& res : OneResultPerKind()) {
    std::string buf;
    ByteWriter w(&buf);
    EncodeResult(res, w);
    ByteReader r(buf);
    absl::StatusOr<Result> got = DecodeResult(r);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, res);
    EXPECT_TRUE(r.done());
    for (size_t n = 0; n < buf.size(); ++n) {
      ByteReader t(std::string_view(buf).substr(0, n));
      EXPECT_EQ(DecodeResult(t).status().code(), absl::StatusCode::kDataLoss) << n;
    }
  }
}

TEST(ValidateCommandTest, AcceptsWellFormedCommands) {
  EXPECT_TRUE(ValidateCommand(Command::Get("a")).ok());
  EXPECT_TRUE(ValidateCommand(Command::Put("a", "b")).ok());
  EXPECT_TRUE(ValidateCommand(Command::Del("a")).ok());
  Command mset;
  mset.op = Op::kMSet;
  mset.keys = {"a", "b"};
  mset.values = {"1", "2"};
  EXPECT_TRUE(ValidateCommand(mset).ok());
  Command dbsize;
  dbsize.op = Op::kDbSize;
  EXPECT_TRUE(ValidateCommand(dbsize).ok());
}

TEST(ValidateCommandTest, RefusesBrokenShapesAndLimits) {
  Command get;
  get.op = Op::kGet;
  EXPECT_EQ(ValidateCommand(get).code(), absl::StatusCode::kInvalidArgument);
  Command del;
  del.op = Op::kDel;
  EXPECT_EQ(ValidateCommand(del).code(), absl::StatusCode::kInvalidArgument);
  Command del_with_value = Command::Del("a");
  del_with_value.values = {"x"};
  EXPECT_EQ(ValidateCommand(del_with_value).code(), absl::StatusCode::kInvalidArgument);
  Command mset;
  mset.op = Op::kMSet;
  mset.keys = {"a", "b"};
  mset.values = {"1"};
  EXPECT_EQ(ValidateCommand(mset).code(), absl::StatusCode::kInvalidArgument);
  Command flush;
  flush.op = Op::kFlushAll;
  flush.keys = {"a"};
  EXPECT_EQ(ValidateCommand(flush).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ValidateCommand(Command::Get(std::string(kMaxKeyBytes + 1, 'k'))).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CommandTest, ReadOnlyOpsAreExactlyTheReads) {
  EXPECT_TRUE(IsReadOnly(Op::kGet));
  EXPECT_TRUE(IsReadOnly(Op::kMGet));
  EXPECT_TRUE(IsReadOnly(Op::kExists));
  EXPECT_TRUE(IsReadOnly(Op::kDbSize));
  for (Op op : {Op::kPut, Op::kDel, Op::kIncr, Op::kMSet, Op::kFlushAll}) EXPECT_FALSE(IsReadOnly(op)) << OpName(op);
}

}  // namespace
}  // namespace kvlab::core
