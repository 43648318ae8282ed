#include "core/kv/kv_state.h"

#include <gtest/gtest.h>

#include <string>

namespace kvlab::core {
namespace {

Command PutWith(std::string key, std::string value, PutCondition cond, int64_t expire_at_ms = 0) {
  Command c = Command::Put(std::move(key), std::move(value));
  c.condition = cond;
  c.expire_at_ms = expire_at_ms;
  return c;
}

Command Incr(std::string key, int64_t delta) {
  Command c;
  c.op = Op::kIncr;
  c.keys = {std::move(key)};
  c.delta = delta;
  return c;
}

Command Multi(Op op, std::vector<std::string> keys, std::vector<std::string> values = {}) {
  Command c;
  c.op = op;
  c.keys = std::move(keys);
  c.values = std::move(values);
  return c;
}

TEST(KvStateTest, GetOfAbsentKeyIsNil) {
  KvState s;
  EXPECT_EQ(s.Apply(Command::Get("a"), 0), Result::Nil());
}

TEST(KvStateTest, PutThenGetReturnsValue) {
  KvState s;
  EXPECT_EQ(s.Apply(Command::Put("a", "1"), 0), Result::Ok());
  EXPECT_EQ(s.Apply(Command::Get("a"), 0), Result::Value("1"));
  EXPECT_EQ(s.Apply(Command::Put("a", "2"), 0), Result::Ok());
  EXPECT_EQ(s.Apply(Command::Get("a"), 0), Result::Value("2"));
}

TEST(KvStateTest, PutIfAbsentIsNilWhenPresent) {
  KvState s;
  EXPECT_EQ(s.Apply(PutWith("a", "1", PutCondition::kIfAbsent), 0), Result::Ok());
  EXPECT_EQ(s.Apply(PutWith("a", "2", PutCondition::kIfAbsent), 0), Result::Nil());
  EXPECT_EQ(s.Apply(Command::Get("a"), 0), Result::Value("1"));
}

TEST(KvStateTest, PutIfPresentIsNilWhenAbsent) {
  KvState s;
  EXPECT_EQ(s.Apply(PutWith("a", "1", PutCondition::kIfPresent), 0), Result::Nil());
  EXPECT_EQ(s.Apply(Command::Get("a"), 0), Result::Nil());
  s.Apply(Command::Put("a", "1"), 0);
  EXPECT_EQ(s.Apply(PutWith("a", "2", PutCondition::kIfPresent), 0), Result::Ok());
  EXPECT_EQ(s.Apply(Command::Get("a"), 0), Result::Value("2"));
}

TEST(KvStateTest, ExpiredKeyIsAbsentAfterDeadline) {
  KvState s;
  s.Apply(PutWith("a", "1", PutCondition::kAlways, 100), 0);
  EXPECT_EQ(s.Apply(Command::Get("a"), 100), Result::Value("1"));
  EXPECT_EQ(s.Apply(Command::Get("a"), 101), Result::Nil());
  EXPECT_EQ(s.Apply(Multi(Op::kExists, {"a"}), 101), Result::Integer(0));
  EXPECT_EQ(s.Apply(Multi(Op::kDbSize, {}), 101), Result::Integer(0));
  // NX succeeds on an expired key, XX does not.
  EXPECT_EQ(s.Apply(PutWith("a", "x", PutCondition::kIfPresent), 101), Result::Nil());
  EXPECT_EQ(s.Apply(PutWith("a", "2", PutCondition::kIfAbsent), 101), Result::Ok());
  EXPECT_EQ(s.Apply(Command::Get("a"), 10'000), Result::Value("2"));
}

TEST(KvStateTest, PutWithPastDeadlineDeletesKey) {
  KvState s;
  s.Apply(Command::Put("a", "1"), 50);
  EXPECT_EQ(s.Apply(PutWith("a", "2", PutCondition::kAlways, 10), 50), Result::Ok());
  EXPECT_EQ(s.Apply(Command::Get("a"), 50), Result::Nil());
  EXPECT_EQ(s.size(), 0u);
}

TEST(KvStateTest, PlainPutClearsTtl) {
  KvState s;
  s.Apply(PutWith("a", "1", PutCondition::kAlways, 100), 0);
  s.Apply(Command::Put("a", "2"), 0);
  EXPECT_EQ(s.Apply(Command::Get("a"), 1000), Result::Value("2"));
}

TEST(KvStateTest, IncrOnAbsentKeyStartsFromZero) {
  KvState s;
  EXPECT_EQ(s.Apply(Incr("n", 1), 0), Result::Integer(1));
  EXPECT_EQ(s.Apply(Incr("n", 1), 0), Result::Integer(2));
  EXPECT_EQ(s.Apply(Incr("n", -5), 0), Result::Integer(-3));
  EXPECT_EQ(s.Apply(Command::Get("n"), 0), Result::Value("-3"));
}

TEST(KvStateTest, IncrOnNonIntegerIsError) {
  KvState s;
  for (const char* bad : {"abc", "", " 1", "1 ", "+1", "01", "-0", "1.5", "9223372036854775808"}) {
    s.Apply(Command::Put("n", bad), 0);
    EXPECT_EQ(s.Apply(Incr("n", 1), 0), Result::Error(kIncrErrorText)) << bad;
    EXPECT_EQ(s.Apply(Command::Get("n"), 0), Result::Value(bad)) << "value unchanged";
  }
}

TEST(KvStateTest, IncrOverflowIsErrorAndLeavesValue) {
  KvState s;
  s.Apply(Command::Put("n", "9223372036854775807"), 0);
  EXPECT_EQ(s.Apply(Incr("n", 1), 0), Result::Error(kIncrOverflowText));
  s.Apply(Command::Put("m", "-9223372036854775808"), 0);
  EXPECT_EQ(s.Apply(Incr("m", -1), 0), Result::Error(kIncrOverflowText));
  EXPECT_EQ(s.Apply(Incr("m", 1), 0), Result::Integer(-9223372036854775807));
  EXPECT_EQ(s.Apply(Command::Get("n"), 0), Result::Value("9223372036854775807"));
}

TEST(KvStateTest, IncrKeepsTtlAndRestartsAfterExpiry) {
  KvState s;
  s.Apply(PutWith("n", "5", PutCondition::kAlways, 100), 0);
  EXPECT_EQ(s.Apply(Incr("n", 1), 50), Result::Integer(6));
  EXPECT_EQ(s.Apply(Command::Get("n"), 101), Result::Nil());
  EXPECT_EQ(s.Apply(Incr("n", 1), 200), Result::Integer(1));
  EXPECT_EQ(s.Apply(Command::Get("n"), 100'000), Result::Value("1"));
}

TEST(KvStateTest, DelCountsRemovedLiveKeys) {
  KvState s;
  s.Apply(Command::Put("a", "1"), 0);
  s.Apply(Command::Put("b", "1"), 0);
  s.Apply(PutWith("c", "1", PutCondition::kAlways, 5), 0);
  EXPECT_EQ(s.Apply(Multi(Op::kDel, {"a", "b", "c", "zz", "a"}), 10), Result::Integer(2));
  EXPECT_EQ(s.size(), 0u);
}

TEST(KvStateTest, ExistsCountsDuplicates) {
  KvState s;
  s.Apply(Command::Put("a", "1"), 0);
  EXPECT_EQ(s.Apply(Multi(Op::kExists, {"a", "a", "b"}), 0), Result::Integer(2));
}

TEST(KvStateTest, MSetThenMGet) {
  KvState s;
  EXPECT_EQ(s.Apply(Multi(Op::kMSet, {"a", "b", "a"}, {"1", "2", "3"}), 0), Result::Ok());
  Result want = Result::OfKind(ResultKind::kValues);
  want.values = {std::string("3"), std::nullopt, std::string("2")};
  EXPECT_EQ(s.Apply(Multi(Op::kMGet, {"a", "c", "b"}), 0), want);
  EXPECT_EQ(s.Apply(Multi(Op::kDbSize, {}), 0), Result::Integer(2));
}

TEST(KvStateTest, FlushAllRemovesEverything) {
  KvState s;
  s.Apply(Multi(Op::kMSet, {"a", "b"}, {"1", "2"}), 0);
  EXPECT_EQ(s.Apply(Multi(Op::kFlushAll, {}), 0), Result::Ok());
  EXPECT_EQ(s.Apply(Multi(Op::kDbSize, {}), 0), Result::Integer(0));
}

TEST(KvStateTest, ReadsDoNotChangeState) {
  KvState s;
  s.Apply(PutWith("a", "1", PutCondition::kAlways, 5), 0);
  const KvState before = s;
  s.Apply(Command::Get("a"), 10);
  s.Apply(Multi(Op::kMGet, {"a"}), 10);
  s.Apply(Multi(Op::kExists, {"a"}), 10);
  s.Apply(Multi(Op::kDbSize, {}), 10);
  EXPECT_EQ(s, before);
}

TEST(KvStateTest, ForEachVisitsKeysInOrder) {
  KvState s;
  s.Apply(Multi(Op::kMSet, {"c", "a", "b"}, {"3", "1", "2"}), 0);
  std::string keys;
  s.ForEach([&](std::string_view k, const KvState::Entry&) { keys += k; });
  EXPECT_EQ(keys, "abc");
}

TEST(KvStateTest, SnapshotRoundTrips) {
  KvState s;
  s.Apply(Multi(Op::kMSet, {"c", "a", std::string("\0b", 2)}, {"3", "", "2"}), 0);
  s.Apply(PutWith("t", "v", PutCondition::kAlways, 1234), 0);
  std::string buf;
  ByteWriter w(&buf);
  s.EncodeSnapshot(w);
  ByteReader r(buf);
  absl::StatusOr<KvState> got = KvState::DecodeSnapshot(r);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(r.done());
  EXPECT_EQ(*got, s);
}

TEST(KvStateTest, SnapshotDecodeRefusesEveryTruncation) {
  KvState s;
  s.Apply(Multi(Op::kMSet, {"a", "b"}, {"1", "2"}), 0);
  std::string buf;
  ByteWriter w(&buf);
  s.EncodeSnapshot(w);
  for (size_t n = 0; n < buf.size(); ++n) {
    ByteReader r(std::string_view(buf).substr(0, n));
    EXPECT_EQ(KvState::DecodeSnapshot(r).status().code(), absl::StatusCode::kDataLoss) << n;
  }
}

TEST(KvStateTest, SnapshotDecodeRefusesUnorderedKeys) {
  std::string buf;
  ByteWriter w(&buf);
  w.VarU64(2);
  for (const char* k : {"b", "a"}) {
    w.Bytes(k);
    w.Bytes("v");
    w.I64(0);
  }
  ByteReader r(buf);
  EXPECT_EQ(KvState::DecodeSnapshot(r).status().code(), absl::StatusCode::kDataLoss);
}

TEST(KvStateTest, ChecksumDependsOnContentNotHistory) {
  KvState a, b;
  a.Apply(Command::Put("x", "1"), 0);
  a.Apply(Command::Put("y", "2"), 0);
  b.Apply(Command::Put("y", "2"), 0);
  b.Apply(Command::Put("x", "0"), 0);
  EXPECT_NE(a.Checksum(), b.Checksum());
  b.Apply(Command::Put("x", "1"), 0);
  EXPECT_EQ(a.Checksum(), b.Checksum());
}

TEST(ParseRedisIntTest, AcceptsCanonicalIntegers) {
  int64_t v;
  ASSERT_TRUE(ParseRedisInt("0", &v));
  EXPECT_EQ(v, 0);
  ASSERT_TRUE(ParseRedisInt("-9223372036854775808", &v));
  EXPECT_EQ(v, INT64_MIN);
  ASSERT_TRUE(ParseRedisInt("9223372036854775807", &v));
  EXPECT_EQ(v, INT64_MAX);
  EXPECT_FALSE(ParseRedisInt("-", &v));
}

}  // namespace
}  // namespace kvlab::core
