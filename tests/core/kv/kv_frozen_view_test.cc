// KvState's frozen view (issue 17): a snapshot encoded across turns must be exactly the state at
// the freeze, whatever the state does meanwhile, and the view must free what it kept.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/kv/kv_state.h"

namespace kvlab::core {
namespace {

Command Cmd(Op op, std::vector<std::string> keys, std::vector<std::string> values = {}, int64_t expire_at_ms = 0) {
  Command c;
  c.op = op;
  c.keys = std::move(keys);
  c.values = std::move(values);
  c.expire_at_ms = expire_at_ms;
  return c;
}

std::string Key(int i) { return "k" + std::to_string(1000 + i); }

// 200 keys of 1..2 KiB, every fifth with a TTL, every tenth an integer.
KvState Populated() {
  KvState s;
  for (int i = 0; i < 200; ++i) {
    std::string value = i % 10 == 0 ? std::to_string(i) : std::string(1024 + 7 * i, static_cast<char>('a' + i % 26));
    Command put = Command::Put(Key(i), std::move(value));
    if (i % 5 == 0) put.expire_at_ms = 1'000 + i;
    s.Apply(put, 0);
  }
  return s;
}

std::string Encoded(const KvState& s) {
  std::string out;
  ByteWriter w(&out);
  s.EncodeSnapshot(w);
  return out;
}

// Every kind of change, to key `i` (which the view may or may not have encoded yet) and around it.
void Mutate(KvState& s, int i, int64_t now_ms) {
  switch (i % 9) {
    case 0: s.Apply(Command::Put(Key(i), "same-size-or-smaller"), now_ms); break;      // in place
    case 1: s.Apply(Command::Put(Key(i), std::string(8000, 'z')), now_ms); break;      // grows
    case 2: s.Apply(Command::Del(Key(i)), now_ms); break;                              // removed
    case 3: s.Apply(Cmd(Op::kAppend, {Key(i)}, {"tail"}), now_ms); break;              // in place
    case 4: s.Apply(Cmd(Op::kExpire, {Key(i)}, {}, now_ms + 50), now_ms); break;       // expiry
    case 5: s.Apply(Cmd(Op::kPersist, {Key(i)}), now_ms); break;                       // expiry
    case 6: s.Apply(Cmd(Op::kRename, {Key(i), Key(i + 1)}), now_ms); break;            // both
    case 7: s.Apply(Cmd(Op::kGetDel, {Key(i)}), now_ms); break;                        // removed
    case 8: s.Apply(Command::Put("new" + std::to_string(i), "fresh"), now_ms); break;  // added
  }
  if (i % 10 == 0) {
    Command incr = Cmd(Op::kIncr, {Key(i)});
    incr.delta = 3;
    s.Apply(incr, now_ms);
  }
}

TEST(KvFrozenViewTest, EncodingAcrossChangesIsTheStateAtTheFreeze) {
  KvState s = Populated();
  const KvState at_freeze(s);  // a deep copy.
  s.Freeze();
  std::string out;
  ByteWriter w(&out);
  int slices = 0;
  int i = 0;
  // Slices of ~8 KiB (a few entries), each followed by changes to keys before, at and after the
  // view's position; lazy expiry drops keys as time passes (now_ms grows past the TTLs).
  while (!s.EncodeFrozen(w, 8 * 1024)) {
    ++slices;
    for (int j = 0; j < 4; ++j, i = (i + 37) % 200) Mutate(s, i, 900 + 10 * slices);
  }
  EXPECT_GT(slices, 20);
  EXPECT_FALSE(s.has_frozen_view());
  EXPECT_EQ(out, Encoded(at_freeze)) << "the bytes of the state at the freeze";
  ByteReader r(out);
  absl::StatusOr<KvState> decoded = KvState::DecodeSnapshot(r);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(*decoded == at_freeze);
  EXPECT_FALSE(s == at_freeze) << "the state did change meanwhile";
}

TEST(KvFrozenViewTest, FlushAllDuringTheEncodingKeepsTheFrozenEntries) {
  KvState s = Populated();
  const KvState at_freeze(s);
  s.Freeze();
  std::string out;
  ByteWriter w(&out);
  EXPECT_FALSE(s.EncodeFrozen(w, 4096));
  s.Apply(Cmd(Op::kFlushAll, {}), 0);
  s.Apply(Command::Put(Key(3), "after the flush"), 0);
  while (!s.EncodeFrozen(w, 4096)) {
  }
  EXPECT_EQ(out, Encoded(at_freeze));
  EXPECT_EQ(s.size(), 1u);
}

// Under ASan these also check that nothing kept by the view leaks or is freed twice.
TEST(KvFrozenViewTest, AViewClosedOrDestroyedUnfinishedFreesWhatItKept) {
  KvState s = Populated();
  s.Freeze();
  std::string out;
  ByteWriter w(&out);
  EXPECT_FALSE(s.EncodeFrozen(w, 4096));
  for (int i = 0; i < 200; i += 3) Mutate(s, i, 0);
  s.CloseFrozenView();
  for (int i = 0; i < 200; ++i) Mutate(s, i, 0);  // nothing is frozen any more: in place again.
  s.Freeze();
  for (int i = 1; i < 200; i += 3) Mutate(s, i, 0);
  s = Populated();  // replaces a state whose view is open.
  EXPECT_FALSE(s.has_frozen_view());
  KvState other = Populated();
  other.Freeze();
  other.Apply(Command::Del(Key(1)), 0);
}  // `other` destroyed with its view open.

TEST(KvFrozenViewTest, EveryCallEncodesAtLeastOneEntry) {
  KvState s = Populated();
  s.Freeze();
  std::string out;
  ByteWriter w(&out);
  int calls = 1;
  while (!s.EncodeFrozen(w, 1)) ++calls;
  EXPECT_EQ(calls, 200);
  EXPECT_EQ(out, Encoded(s));
}

}  // namespace
}  // namespace kvlab::core
