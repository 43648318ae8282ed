// KvEntry (one allocation per key: header, key, value with spare capacity) and how KvState uses
// it (issue 17): an overwrite that fits stays in place, one that does not reallocates keeping the
// expiry and version, APPEND grows geometrically, and empty values and maximum-size keys work.
#include "core/kv/kv_entry.h"

#include <gtest/gtest.h>

#include <string>

#include "core/kv/kv_state.h"

namespace kvlab::core {
namespace {

Command Append(std::string key, std::string tail) {
  Command c;
  c.op = Op::kAppend;
  c.keys = {std::move(key)};
  c.values = {std::move(tail)};
  return c;
}

Command PutExpiring(std::string key, std::string value, int64_t expire_at_ms) {
  Command c = Command::Put(std::move(key), std::move(value));
  c.expire_at_ms = expire_at_ms;
  return c;
}

TEST(KvEntryTest, HoldsKeyValueExpiryAndVersion) {
  KvEntryPtr e = KvEntry::Make("key", "value", 1234, 7);
  EXPECT_EQ(e->key(), "key");
  EXPECT_EQ(e->value(), "value");
  EXPECT_EQ(e->expire_at_ms(), 1234);
  EXPECT_EQ(e->version(), 7u);
  EXPECT_EQ(e->allocated_bytes() % KvEntry::kAllocationGrainBytes, 0u);
  EXPECT_EQ(e->allocated_bytes(), KvEntry::HeaderBytes() + 3 + e->value_capacity());
}

TEST(KvEntryTest, BenchmarkShapedEntryFillsOneSmallSizeClass) {
  // 16-byte key, 100-byte value: 148 bytes rounded to 160 (a jemalloc size class), 112 capacity.
  KvEntryPtr e = KvEntry::Make(std::string(16, 'k'), std::string(100, 'v'), 0, 1);
  EXPECT_EQ(e->allocated_bytes(), 160u);
  EXPECT_EQ(e->value_capacity(), 112u);
}

TEST(KvEntryTest, AssignWithinCapacityStaysInPlace) {
  KvEntryPtr e = KvEntry::Make("k", std::string(20, 'a'), 5, 9);
  const size_t capacity = e->value_capacity();
  EXPECT_TRUE(e->AssignInPlace(std::string(capacity, 'b')));
  EXPECT_EQ(e->value(), std::string(capacity, 'b'));
  EXPECT_TRUE(e->AssignInPlace("c"));
  EXPECT_EQ(e->value(), "c");
  EXPECT_EQ(e->value_capacity(), capacity);  // shrinking keeps the room.
  EXPECT_EQ(e->key(), "k");
  EXPECT_FALSE(e->AssignInPlace(std::string(capacity + 1, 'd')));
  EXPECT_EQ(e->value(), "c");  // unchanged by the refusal.
}

TEST(KvEntryTest, AppendWithinCapacityOnly) {
  KvEntryPtr e = KvEntry::Make("k", "ab", 0, 1);
  const size_t room = e->value_capacity() - 2;
  EXPECT_TRUE(e->AppendInPlace(std::string(room, 'c')));
  EXPECT_EQ(e->value(), "ab" + std::string(room, 'c'));
  EXPECT_FALSE(e->AppendInPlace("x"));
  EXPECT_EQ(e->value().size(), e->value_capacity());
}

TEST(KvEntryTest, EmptyValueAndEmptyKey) {
  KvEntryPtr e = KvEntry::Make("", "", 0, 1);
  EXPECT_EQ(e->key(), "");
  EXPECT_EQ(e->value(), "");
  EXPECT_EQ(e->allocated_bytes(), KvEntry::HeaderBytes());  // the header alone: no spare room.
  EXPECT_TRUE(e->AssignInPlace(""));
  EXPECT_FALSE(e->AppendInPlace("x"));
  KvEntryPtr k = KvEntry::Make("k", "", 0, 1);
  EXPECT_EQ(k->value(), "");
  EXPECT_TRUE(k->AppendInPlace("xy"));
  EXPECT_EQ(k->value(), "xy");
}

TEST(KvEntryTest, CloneIsEqualAndIndependent) {
  KvEntryPtr e = KvEntry::Make("k", "v", 3, 4);
  KvEntryPtr c = e->Clone();
  EXPECT_TRUE(*c == *e);
  EXPECT_TRUE(c->AssignInPlace("w"));
  EXPECT_EQ(e->value(), "v");
  EXPECT_FALSE(*c == *e);
}

TEST(KvEntryStateTest, OverwriteThatFitsKeepsTheEntry) {
  KvState s;
  s.Apply(Command::Put("k", std::string(100, 'a')), 0);
  const KvState::Entry* before = s.Find("k", 0);
  ASSERT_NE(before, nullptr);
  s.Apply(Command::Put("k", std::string(before->value_capacity(), 'b')), 0);
  const KvState::Entry* after = s.Find("k", 0);
  EXPECT_EQ(after, before);
  EXPECT_EQ(after->value(), std::string(before->value_capacity(), 'b'));
}

TEST(KvEntryStateTest, OverwritePastCapacityReallocatesKeepingVersionOrder) {
  KvState s;
  s.Apply(PutExpiring("k", "small", 0), 0);
  const uint64_t v1 = s.VersionOf("k", 0);
  s.Apply(PutExpiring("k", std::string(1000, 'x'), 500), 0);
  const KvState::Entry* e = s.Find("k", 0);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->value(), std::string(1000, 'x'));
  EXPECT_EQ(e->expire_at_ms(), 500);
  EXPECT_GT(e->version(), v1);
  EXPECT_EQ(s.size(), 1u);
}

TEST(KvEntryStateTest, IncrPastCapacityKeepsTtl) {
  KvState s;
  s.Apply(PutExpiring("n", "9", 1000), 0);
  Command incr;
  incr.op = Op::kIncr;
  incr.keys = {"n"};
  incr.delta = 999999999999999990;  // 18 digits: beyond the 15 bytes of room key "n" and "9" got.
  ASSERT_LT(s.Find("n", 0)->value_capacity(), 18u);
  EXPECT_EQ(s.Apply(incr, 0), Result::Integer(999999999999999999));
  EXPECT_EQ(s.Find("n", 0)->expire_at_ms(), 1000);
  EXPECT_EQ(s.Apply(Command::Get("n"), 0), Result::Value("999999999999999999"));
}

TEST(KvEntryStateTest, AppendGrowsGeometricallyAndKeepsExpiry) {
  KvState s;
  s.Apply(PutExpiring("a", "", 10000), 0);
  std::string expected;
  size_t reallocations = 0;
  const KvState::Entry* last = s.Find("a", 0);
  for (int i = 0; i < 1000; ++i) {
    const std::string tail(1 + i % 7, static_cast<char>('a' + i % 26));
    expected += tail;
    EXPECT_EQ(s.Apply(Append("a", tail), 0), Result::Integer(static_cast<int64_t>(expected.size())));
    const KvState::Entry* e = s.Find("a", 0);
    if (e != last) ++reallocations;
    last = e;
  }
  EXPECT_EQ(last->value(), expected);
  EXPECT_EQ(last->expire_at_ms(), 10000);
  EXPECT_LE(reallocations, 12u);  // doubling: about log2(4000 / 16) reallocations, not 1000.
}

TEST(KvEntryStateTest, MaxSizeKeyRoundTripsThroughSnapshot) {
  KvState s;
  const std::string key(kMaxKeyBytes, 'K');
  s.Apply(PutExpiring(key, "v", 77), 0);
  s.Apply(Command::Put("", ""), 0);  // empty key and value too.
  EXPECT_EQ(s.Find(key, 0)->key(), key);
  std::string bytes;
  ByteWriter w(&bytes);
  s.EncodeSnapshot(w);
  ByteReader r(bytes);
  absl::StatusOr<KvState> got = KvState::DecodeSnapshot(r);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, s);
  EXPECT_EQ(got->Find(key, 0)->expire_at_ms(), 77);
  EXPECT_EQ(got->Find("", 0)->value(), "");
}

TEST(KvEntryStateTest, CopiesAreDeepAndEqualIgnoresCapacity) {
  KvState s;
  s.Apply(Command::Put("k", std::string(50, 'a')), 0);
  s.Apply(Command::Put("k", "b"), 0);  // capacity kept from the 50-byte value.
  KvState copy = s;
  EXPECT_EQ(copy, s);
  EXPECT_NE(copy.Find("k", 0), s.Find("k", 0));
  EXPECT_LT(copy.Find("k", 0)->value_capacity(), s.Find("k", 0)->value_capacity());
  copy.Apply(Command::Put("k", "c"), 0);
  EXPECT_EQ(s.Apply(Command::Get("k"), 0), Result::Value("b"));
  EXPECT_NE(copy, s);
  EXPECT_NE(copy.Checksum(), s.Checksum());
}

TEST(KvEntryStateTest, RenameAndCopyMoveValueAndTtl) {
  KvState s;
  s.Apply(PutExpiring("from", std::string(200, 'z'), 900), 0);
  s.Apply(Command::Put("to", "short"), 0);
  Command copy;
  copy.op = Op::kCopy;
  copy.keys = {"from", "to"};
  copy.flags = kCopyReplace;
  EXPECT_EQ(s.Apply(copy, 0), Result::Integer(1));
  EXPECT_EQ(s.Find("to", 0)->value(), std::string(200, 'z'));
  EXPECT_EQ(s.Find("to", 0)->expire_at_ms(), 900);
  Command rename;
  rename.op = Op::kRename;
  rename.keys = {"from", "new"};
  EXPECT_EQ(s.Apply(rename, 0), Result::Ok());
  EXPECT_EQ(s.Find("from", 0), nullptr);
  EXPECT_EQ(s.Find("new", 0)->value(), std::string(200, 'z'));
}

}  // namespace
}  // namespace kvlab::core
