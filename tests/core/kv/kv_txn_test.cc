// Transactions on the state machine: EXEC applies its commands in one step, WATCH versions abort
// it when a watched key changed (ABA, removal, expiry included), and versions survive snapshots.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/kv/kv_state.h"

namespace kvlab::core {
namespace {

// What WATCH records (real/txn_commands.cc does the same from a replica's applied state).
Command Watched(const KvState& s, std::vector<std::string> keys, int64_t now_ms = 0) {
  Command c;
  c.op = Op::kExec;
  c.watch_seq = s.seq();
  for (std::string& k : keys) {
    c.versions.push_back(s.VersionOf(k, now_ms));
    c.keys.push_back(std::move(k));
  }
  return c;
}

Command WithSubs(Command exec, std::vector<Command> subs) {
  exec.subs = std::move(subs);
  return exec;
}

Command Incr(std::string key) {
  Command c;
  c.op = Op::kIncr;
  c.keys = {std::move(key)};
  c.delta = 1;
  return c;
}

const Result kAborted = Result::OfKind(ResultKind::kNilArray);

TEST(KvTxnTest, ExecAppliesEveryCommandInOrderWithEachResult) {
  KvState s;
  s.Apply(Command::Put("text", "x"), 0);
  Result r = s.Apply(WithSubs(Watched(s, {}), {Command::Put("a", "1"), Incr("a"), Incr("text"), Command::Get("a")}), 0);
  ASSERT_EQ(r.kind, ResultKind::kResults);
  ASSERT_EQ(r.results.size(), 4u);
  EXPECT_EQ(r.results[0], Result::Ok());
  EXPECT_EQ(r.results[1], Result::Integer(2));
  EXPECT_EQ(r.results[2].kind, ResultKind::kError);  // its own error; the others still apply.
  EXPECT_EQ(r.results[3], Result::Value("2"));
}

TEST(KvTxnTest, UnchangedWatchLetsExecRun) {
  KvState s;
  s.Apply(Command::Put("w", "1"), 0);
  Command exec = Watched(s, {"w", "absent"});
  s.Apply(Command::Put("other", "x"), 0);  // other keys may change.
  EXPECT_EQ(s.Apply(WithSubs(exec, {Command::Put("w", "2")}), 0).kind, ResultKind::kResults);
  EXPECT_EQ(s.Find("w", 0)->value(), "2");
}

TEST(KvTxnTest, ChangedWatchedKeyAbortsAndAppliesNothing) {
  KvState s;
  s.Apply(Command::Put("w", "1"), 0);
  Command exec = WithSubs(Watched(s, {"w"}), {Command::Put("a", "1")});
  s.Apply(Command::Put("w", "2"), 0);
  EXPECT_EQ(s.Apply(exec, 0), kAborted);
  EXPECT_EQ(s.Find("a", 0), nullptr);
}

TEST(KvTxnTest, AbaChangeStillAborts) {
  KvState s;
  s.Apply(Command::Put("w", "v"), 0);
  Command exec = WithSubs(Watched(s, {"w"}), {Command::Put("a", "1")});
  s.Apply(Command::Put("w", "other"), 0);
  s.Apply(Command::Put("w", "v"), 0);  // back to the value WATCH saw.
  EXPECT_EQ(s.Apply(exec, 0), kAborted);
}

TEST(KvTxnTest, AbsentKeyCreatedOrCreatedAndRemovedAborts) {
  KvState s;
  Command exec = WithSubs(Watched(s, {"w"}), {Command::Put("a", "1")});
  KvState created = s;
  created.Apply(Command::Put("w", "1"), 0);
  EXPECT_EQ(created.Apply(exec, 0), kAborted);
  KvState created_and_removed = created;
  created_and_removed.Apply(Command::Del("w"), 0);
  EXPECT_EQ(created_and_removed.Apply(exec, 0), kAborted);
  KvState flushed = created;
  Command flush;
  flush.op = Op::kFlushAll;
  flushed.Apply(flush, 0);
  EXPECT_EQ(flushed.Apply(exec, 0), kAborted);
}

TEST(KvTxnTest, RemovalAndExpiryOfAWatchedKeyAbort) {
  KvState s;
  s.Apply(Command::Put("d", "1"), 0);
  Command ttl = Command::Put("e", "1");
  ttl.expire_at_ms = 100;
  s.Apply(ttl, 0);
  Command exec = WithSubs(Watched(s, {"d"}), {Command::Put("a", "1")});
  KvState removed = s;
  removed.Apply(Command::Del("d"), 0);
  EXPECT_EQ(removed.Apply(exec, 0), kAborted);
  Command on_expiring = WithSubs(Watched(s, {"e"}, 50), {Command::Put("a", "1")});
  EXPECT_EQ(s.Apply(on_expiring, 101), kAborted);  // Redis >= 6.0.9: an expired watched key aborts.
}

TEST(KvTxnTest, ConditionalWriteThatDoesNothingKeepsTheVersion) {
  KvState s;
  s.Apply(Command::Put("w", "1"), 0);
  Command exec = WithSubs(Watched(s, {"w"}), {Command::Put("a", "1")});
  Command nx = Command::Put("w", "2");
  nx.condition = PutCondition::kIfAbsent;
  s.Apply(nx, 0);  // not applied: the key did not change.
  EXPECT_EQ(s.Apply(exec, 0).kind, ResultKind::kResults);
}

TEST(KvTxnTest, VersionsAndSequencesSurviveTheSnapshot) {
  KvState s;
  s.Apply(Command::Put("w", "1"), 0);
  s.Apply(Command::Put("x", "1"), 0);
  s.Apply(Command::Del("x"), 0);
  std::string buf;
  ByteWriter w(&buf);
  s.EncodeSnapshot(w);
  ByteReader r(buf);
  absl::StatusOr<KvState> got = KvState::DecodeSnapshot(r);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, s);
  EXPECT_EQ(got->VersionOf("w", 0), s.VersionOf("w", 0));
  EXPECT_EQ(got->removed_seq(), s.removed_seq());
  EXPECT_NE(s.removed_seq(), 0u);
}

TEST(KvTxnTest, VersionOneSnapshotStillDecodes) {
  // v1: count, then (key, value, expire_at_ms): written before versions existed.
  std::string buf;
  ByteWriter w(&buf);
  w.VarU64(1);
  w.Bytes("k");
  w.Bytes("v");
  w.I64(0);
  ByteReader r(buf);
  absl::StatusOr<KvState> got = KvState::DecodeSnapshot(r);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->Find("k", 0)->value(), "v");
  EXPECT_EQ(got->seq(), 0u);
  EXPECT_TRUE(r.done());
}

}  // namespace
}  // namespace kvlab::core
