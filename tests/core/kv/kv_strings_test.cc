// KvState's Redis string and keyspace commands (issue 12), against Redis 7.0's documented
// replies: expiry (EXPIRE NX/XX/GT/LT, PERSIST, TTL rounding), SET GET/KEEPTTL, SETNX, GETSET,
// GETDEL, GETEX, APPEND, INCRBYFLOAT, RENAME/RENAMENX, COPY, TYPE, STRLEN, OBJECT ENCODING,
// KEYS, SCAN (every key exactly once across pages) and RANDOMKEY.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "core/kv/glob.h"
#include "core/kv/kv_state.h"

namespace kvlab::core {
namespace {

Command Key(Op op, std::string key, uint32_t flags = 0, int64_t expire_at_ms = 0) {
  Command c;
  c.op = op;
  c.keys = {std::move(key)};
  c.flags = flags;
  c.expire_at_ms = expire_at_ms;
  return c;
}

Command KeyValue(Op op, std::string key, std::string value, uint32_t flags = 0) {
  Command c = Key(op, std::move(key), flags);
  c.values = {std::move(value)};
  return c;
}

Command Put(std::string key, std::string value, int64_t expire_at_ms = 0) {
  Command c = Command::Put(std::move(key), std::move(value));
  c.expire_at_ms = expire_at_ms;
  return c;
}

Command TwoKeys(Op op, std::string a, std::string b) {
  Command c;
  c.op = op;
  c.keys = {std::move(a), std::move(b)};
  return c;
}

Command Scan(uint64_t cursor, int64_t count) {
  Command c;
  c.op = Op::kScan;
  c.arg = cursor;
  c.delta = count;
  return c;
}

TEST(KvStringsTest, ExpireSetsAndTtlRoundsAsRedis) {
  KvState s;
  s.Apply(Put("k", "v"), 1000);
  EXPECT_EQ(s.Apply(Key(Op::kTtl, "k"), 1000), Result::Integer(-1));
  EXPECT_EQ(s.Apply(Key(Op::kTtl, "nope"), 1000), Result::Integer(-2));
  EXPECT_EQ(s.Apply(Key(Op::kExpire, "k", 0, 11'000), 1000), Result::Integer(1));
  EXPECT_EQ(s.Apply(Key(Op::kTtl, "k"), 1000), Result::Integer(10));
  EXPECT_EQ(s.Apply(Key(Op::kTtl, "k"), 1600), Result::Integer(9));  // 9400 ms rounds to 9 s
  EXPECT_EQ(s.Apply(Key(Op::kTtl, "k"), 1400), Result::Integer(10));
  EXPECT_EQ(s.Apply(Key(Op::kTtl, "k", kTtlMillis), 1400), Result::Integer(9600));
  EXPECT_EQ(s.Apply(Key(Op::kTtl, "k", kTtlMillis | kTtlAbsolute), 1400), Result::Integer(11'000));
  EXPECT_EQ(s.Apply(Key(Op::kTtl, "k", kTtlAbsolute), 1400), Result::Integer(11));
  EXPECT_EQ(s.Apply(Key(Op::kExpire, "nope", 0, 11'000), 1000), Result::Integer(0));
}

TEST(KvStringsTest, ExpireConditionsTreatNoTtlAsInfinite) {
  KvState s;
  s.Apply(Put("k", "v"), 0);
  EXPECT_EQ(s.Apply(Key(Op::kExpire, "k", kExpireXx, 5000), 0), Result::Integer(0));
  EXPECT_EQ(s.Apply(Key(Op::kExpire, "k", kExpireGt, 5000), 0), Result::Integer(0));
  EXPECT_EQ(s.Apply(Key(Op::kExpire, "k", kExpireLt, 5000), 0), Result::Integer(1));
  EXPECT_EQ(s.Apply(Key(Op::kExpire, "k", kExpireNx, 9000), 0), Result::Integer(0));
  EXPECT_EQ(s.Apply(Key(Op::kExpire, "k", kExpireGt, 4000), 0), Result::Integer(0));
  EXPECT_EQ(s.Apply(Key(Op::kExpire, "k", kExpireGt, 6000), 0), Result::Integer(1));
  EXPECT_EQ(s.Apply(Key(Op::kExpire, "k", kExpireLt, 7000), 0), Result::Integer(0));
  EXPECT_EQ(s.Apply(Key(Op::kTtl, "k", kTtlMillis), 0), Result::Integer(6000));
}

TEST(KvStringsTest, ExpireInThePastRemovesTheKeyAndPersistDropsTheTtl) {
  KvState s;
  s.Apply(Put("k", "v", 5000), 0);
  EXPECT_EQ(s.Apply(Key(Op::kPersist, "k"), 0), Result::Integer(1));
  EXPECT_EQ(s.Apply(Key(Op::kPersist, "k"), 0), Result::Integer(0));
  EXPECT_EQ(s.Apply(Key(Op::kTtl, "k"), 0), Result::Integer(-1));
  EXPECT_EQ(s.Apply(Key(Op::kExpire, "k", 0, 100), 100), Result::Integer(1));  // at now: gone
  EXPECT_EQ(s.Apply(Command::Get("k"), 100), Result::Nil());
  EXPECT_GT(s.removed_seq(), 0u);  // a removal, for WATCH
}

TEST(KvStringsTest, SetGetKeepTtlSetnxGetset) {
  KvState s;
  Command set_get = KeyValue(Op::kPutX, "k", "1", kPutGet);
  EXPECT_EQ(s.Apply(set_get, 0), Result::Nil());
  set_get.values = {"2"};
  EXPECT_EQ(s.Apply(set_get, 0), Result::Value("1"));
  s.Apply(Key(Op::kExpire, "k", 0, 9000), 0);
  EXPECT_EQ(s.Apply(KeyValue(Op::kPutX, "k", "3", kPutKeepTtl), 0), Result::Ok());
  EXPECT_EQ(s.Apply(Key(Op::kTtl, "k", kTtlMillis), 0), Result::Integer(9000));
  EXPECT_EQ(s.Apply(KeyValue(Op::kPutX, "k", "4", kPutGet), 0), Result::Value("3"));  // GETSET drops the TTL
  EXPECT_EQ(s.Apply(Key(Op::kTtl, "k"), 0), Result::Integer(-1));
  Command setnx = KeyValue(Op::kPutX, "k", "5", kPutReplyInt);
  setnx.condition = PutCondition::kIfAbsent;
  EXPECT_EQ(s.Apply(setnx, 0), Result::Integer(0));
  setnx.keys = {"fresh"};
  EXPECT_EQ(s.Apply(setnx, 0), Result::Integer(1));
  Command nx_get = KeyValue(Op::kPutX, "k", "6", kPutGet);
  nx_get.condition = PutCondition::kIfAbsent;
  EXPECT_EQ(s.Apply(nx_get, 0), Result::Value("4"));  // not set, old value returned
  EXPECT_EQ(s.Apply(Command::Get("k"), 0), Result::Value("4"));
}

TEST(KvStringsTest, GetDelGetExAppendStrlen) {
  KvState s;
  EXPECT_EQ(s.Apply(KeyValue(Op::kAppend, "k", "ab"), 0), Result::Integer(2));
  EXPECT_EQ(s.Apply(KeyValue(Op::kAppend, "k", "cd"), 0), Result::Integer(4));
  EXPECT_EQ(s.Apply(Key(Op::kStrlen, "k"), 0), Result::Integer(4));
  EXPECT_EQ(s.Apply(Key(Op::kStrlen, "nope"), 0), Result::Integer(0));
  EXPECT_EQ(s.Apply(Key(Op::kGetEx, "k", kGetExSet, 3000), 0), Result::Value("abcd"));
  EXPECT_EQ(s.Apply(Key(Op::kTtl, "k"), 0), Result::Integer(3));
  EXPECT_EQ(s.Apply(Key(Op::kGetEx, "k", kGetExPersist), 0), Result::Value("abcd"));
  EXPECT_EQ(s.Apply(Key(Op::kTtl, "k"), 0), Result::Integer(-1));
  EXPECT_EQ(s.Apply(Key(Op::kGetDel, "k"), 0), Result::Value("abcd"));
  EXPECT_EQ(s.Apply(Key(Op::kGetDel, "k"), 0), Result::Nil());
  EXPECT_EQ(s.Apply(Key(Op::kType, "k"), 0), Result::Status("none"));
}

TEST(KvStringsTest, IncrByFloatFormatsAsRedis) {
  KvState s;
  s.Apply(Put("f", "10.50"), 0);
  EXPECT_EQ(s.Apply(KeyValue(Op::kIncrByFloat, "f", "0.1"), 0), Result::Value("10.6"));
  EXPECT_EQ(s.Apply(KeyValue(Op::kIncrByFloat, "f", "-5"), 0), Result::Value("5.6"));
  s.Apply(Put("e", "5.0e3"), 0);
  EXPECT_EQ(s.Apply(KeyValue(Op::kIncrByFloat, "e", "2.0e2"), 0), Result::Value("5200"));
  EXPECT_EQ(s.Apply(KeyValue(Op::kIncrByFloat, "new", "-0"), 0), Result::Value("0"));
  EXPECT_EQ(s.Apply(KeyValue(Op::kIncrByFloat, "f", "x"), 0), Result::Error(kNotFloatText));
  EXPECT_EQ(s.Apply(KeyValue(Op::kIncrByFloat, "f", " 1"), 0), Result::Error(kNotFloatText));
  EXPECT_EQ(s.Apply(KeyValue(Op::kIncrByFloat, "f", "inf"), 0), Result::Error(kFloatOverflowText));
  s.Apply(Put("s", "abc"), 0);
  EXPECT_EQ(s.Apply(KeyValue(Op::kIncrByFloat, "s", "1"), 0), Result::Error(kNotFloatText));
}

TEST(KvStringsTest, RenameMovesTheValueAndItsTtl) {
  KvState s;
  EXPECT_EQ(s.Apply(TwoKeys(Op::kRename, "a", "b"), 0), Result::Error(kNoSuchKeyText));
  s.Apply(Put("a", "1", 9000), 0);
  EXPECT_EQ(s.Apply(TwoKeys(Op::kRename, "a", "a"), 0), Result::Ok());
  EXPECT_EQ(s.Apply(TwoKeys(Op::kRename, "a", "b"), 0), Result::Ok());
  EXPECT_EQ(s.Apply(Command::Get("a"), 0), Result::Nil());
  EXPECT_EQ(s.Apply(Key(Op::kTtl, "b", kTtlMillis), 0), Result::Integer(9000));
  s.Apply(Put("c", "3"), 0);
  Command nx = TwoKeys(Op::kRename, "b", "c");
  nx.condition = PutCondition::kIfAbsent;
  EXPECT_EQ(s.Apply(nx, 0), Result::Integer(0));
  nx.keys[1] = "d";
  EXPECT_EQ(s.Apply(nx, 0), Result::Integer(1));
  EXPECT_EQ(s.Apply(Command::Get("d"), 0), Result::Value("1"));
}

TEST(KvStringsTest, CopyNeedsReplaceToOverwrite) {
  KvState s;
  EXPECT_EQ(s.Apply(TwoKeys(Op::kCopy, "a", "a"), 0), Result::Error(kSameObjectText));
  EXPECT_EQ(s.Apply(TwoKeys(Op::kCopy, "a", "b"), 0), Result::Integer(0));
  s.Apply(Put("a", "1"), 0);
  s.Apply(Put("b", "2"), 0);
  EXPECT_EQ(s.Apply(TwoKeys(Op::kCopy, "a", "b"), 0), Result::Integer(0));
  Command replace = TwoKeys(Op::kCopy, "a", "b");
  replace.flags = kCopyReplace;
  EXPECT_EQ(s.Apply(replace, 0), Result::Integer(1));
  EXPECT_EQ(s.Apply(Command::Get("b"), 0), Result::Value("1"));
  EXPECT_EQ(s.Apply(Command::Get("a"), 0), Result::Value("1"));
}

TEST(KvStringsTest, ObjectEncodingFollowsRedisRules) {
  KvState s;
  s.Apply(Put("i", "12345"), 0);
  s.Apply(Put("z", "012"), 0);
  s.Apply(Put("e", std::string(44, 'x')), 0);
  s.Apply(Put("r", std::string(45, 'x')), 0);
  EXPECT_EQ(s.Apply(Key(Op::kObjectEncoding, "i"), 0), Result::Value("int"));
  EXPECT_EQ(s.Apply(Key(Op::kObjectEncoding, "z"), 0), Result::Value("embstr"));
  EXPECT_EQ(s.Apply(Key(Op::kObjectEncoding, "e"), 0), Result::Value("embstr"));
  EXPECT_EQ(s.Apply(Key(Op::kObjectEncoding, "r"), 0), Result::Value("raw"));
  EXPECT_EQ(s.Apply(Key(Op::kObjectEncoding, "nope"), 0), Result::Nil());
  // The entry's allocation (32-byte header, key, value and the rounding's spare capacity: 48 bytes)
  // plus the key's share of the hash set.
  EXPECT_EQ(s.Apply(Key(Op::kMemoryUsage, "i"), 0), Result::Integer(48 + kEntrySlotBytes));
  EXPECT_EQ(s.Find("i", 0)->value_capacity(), 48u - KvEntry::HeaderBytes() - 1);
}

TEST(KvStringsTest, KeysMatchesGlobsInKeyOrder) {
  KvState s;
  for (const char* k : {"user:2", "user:1", "order:1", "user:10"}) s.Apply(Put(k, "v"), 0);
  s.Apply(Put("user:expired", "v", 5), 0);
  Command keys;
  keys.op = Op::kKeys;
  keys.values = {"user:?"};
  Result r = s.Apply(keys, 10);
  EXPECT_EQ(r.values, (std::vector<std::optional<std::string>>{"user:1", "user:2"}));
  s.Apply(Put("", "empty key"), 0);
  keys.values = {"*"};
  EXPECT_EQ(s.Apply(keys, 10).values.size(), 5u);
}

TEST(GlobTest, MatchesAsRedisStringmatch) {
  EXPECT_FALSE(GlobMatch("*", ""));  // as Redis's stringmatchlen; KEYS * takes "" without matching
  EXPECT_TRUE(GlobMatch("a*", "a"));
  EXPECT_TRUE(GlobMatch("h?llo", "hello"));
  EXPECT_TRUE(GlobMatch("h*llo", "heeeello"));
  EXPECT_TRUE(GlobMatch("h[ae]llo", "hallo"));
  EXPECT_FALSE(GlobMatch("h[^e]llo", "hello"));
  EXPECT_TRUE(GlobMatch("h[a-b]llo", "hbllo"));
  EXPECT_TRUE(GlobMatch("h[b-a]llo", "hbllo"));  // reversed ranges work (Redis swaps them)
  EXPECT_TRUE(GlobMatch("a\\*b", "a*b"));
  EXPECT_FALSE(GlobMatch("a\\*b", "axb"));
  EXPECT_FALSE(GlobMatch("a*b", "ac"));
  EXPECT_TRUE(GlobMatch("[abc", "a"));  // an unclosed class ends at the pattern's end
  EXPECT_FALSE(GlobMatch(std::string(3000, '*') + "x", std::string(100, 'a')));
}

// Every key present throughout is returned exactly once, whatever COUNT, even while other keys
// come and go between pages.
TEST(KvScanTest, EveryKeyOnceAcrossPages) {
  for (int64_t count : {1, 3, 10, 1000}) {
    KvState s;
    for (int i = 0; i < 200; ++i) s.Apply(Put("k" + std::to_string(i), "v"), 0);
    std::multiset<std::string> seen;
    uint64_t cursor = 0;
    int pages = 0, churn = 0;
    do {
      Result r = s.Apply(Scan(cursor, count), 0);
      ASSERT_EQ(r.kind, ResultKind::kScan);
      ASSERT_LE(r.values.size(), static_cast<size_t>(count) + 1);  // ties may add one
      for (const auto& v : r.values) seen.insert(*v);
      cursor = static_cast<uint64_t>(r.integer);
      s.Apply(Put("churn" + std::to_string(churn++), "v"), 0);  // new keys may or may not show
      ASSERT_LT(++pages, 10000);
    } while (cursor != 0);
    for (int i = 0; i < 200; ++i) EXPECT_EQ(seen.count("k" + std::to_string(i)), 1u) << count;
  }
}

TEST(KvScanTest, MatchAndTypeFilterThePage) {
  KvState s;
  for (int i = 0; i < 50; ++i) s.Apply(Put((i % 2 ? "odd" : "even") + std::to_string(i), "v"), 0);
  Command scan = Scan(0, 1000);
  scan.flags = kScanMatch;
  scan.values = {"odd*"};
  EXPECT_EQ(s.Apply(scan, 0).values.size(), 25u);
  scan.flags = kScanMatch | kScanType;
  scan.values = {"*", "hash"};
  EXPECT_EQ(s.Apply(scan, 0).values.size(), 0u);
  scan.values = {"*", "string"};
  EXPECT_EQ(s.Apply(scan, 0).values.size(), 50u);
}

TEST(KvScanTest, RandomKeyIsDeterministicAndLive) {
  KvState s;
  Command rk;
  rk.op = Op::kRandomKey;
  EXPECT_EQ(s.Apply(rk, 0), Result::Nil());
  s.Apply(Put("gone", "v", 5), 0);
  EXPECT_EQ(s.Apply(rk, 10), Result::Nil());
  for (int i = 0; i < 20; ++i) s.Apply(Put("k" + std::to_string(i), "v"), 0);
  std::set<std::string> picked;
  for (uint64_t i = 0; i < 64; ++i) {
    rk.arg = i * (UINT64_MAX / 64);
    Result r = s.Apply(rk, 10);
    ASSERT_EQ(r.kind, ResultKind::kValue);
    EXPECT_NE(r.value, "gone");
    EXPECT_EQ(s.Apply(rk, 10), r);  // same point, same key
    picked.insert(r.value);
  }
  EXPECT_GT(picked.size(), 5u);  // spread over the keys
}

}  // namespace
}  // namespace kvlab::core
