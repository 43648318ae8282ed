// KvState's read-only keyspace commands (issue 12): TTL/PTTL/EXPIRETIME, TYPE, STRLEN, OBJECT
// ENCODING, MEMORY USAGE, KEYS, SCAN and RANDOMKEY. Deterministic: SCAN and RANDOMKEY order keys
// by ScanHash (a fixed hash, never the map's per-process seed), KEYS by key.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/constants.h"
#include "core/kv/glob.h"
#include "core/kv/kv_state.h"

namespace kvlab::core {

uint64_t ScanHash(std::string_view key) { return Checksum64(key); }

namespace {

// Redis tryObjectEncoding for a string value: a 64-bit integer in canonical form up to 20
// characters is "int", up to 44 bytes "embstr", longer "raw". (Redis makes an APPENDed value
// "raw" whatever its size; kvlab keeps no such history and answers from the value alone.)
const char* EncodingOf(std::string_view value) {
  int64_t ignored;
  if (value.size() <= 20 && ParseRedisInt(value, &ignored)) return "int";
  return value.size() <= 44 ? "embstr" : "raw";
}

// Redis: KEYS * and SCAN MATCH * take every key without matching (stringmatch alone would not
// match the empty key with "*").
// GlobMatch reads a NUL-terminated key: `scratch` holds the copy, its buffer reused across keys.
bool Matches(const std::string& pattern, std::string_view key, std::string* scratch) {
  if (pattern == "*") return true;
  scratch->assign(key);
  return GlobMatch(pattern, *scratch);
}

Result Ttl(const KvState::Entry& e, uint32_t flags, int64_t now_ms) {
  if (e.expire_at_ms() == 0) return Result::Integer(-1);
  int64_t ttl = (flags & kTtlAbsolute) ? e.expire_at_ms() : e.expire_at_ms() - now_ms;
  if (ttl < 0) ttl = 0;
  return Result::Integer((flags & kTtlMillis) ? ttl : (ttl + 500) / 1000);
}

}  // namespace

size_t KvState::LiveExpiring(int64_t now_ms) const {
  size_t n = 0;
  for (const KvEntryPtr& e : map_) n += e->expire_at_ms() != 0 && !Expired(*e, now_ms) ? 1 : 0;
  return n;
}

Result KvState::ReadKey(const Command& cmd, int64_t now_ms) const {
  const Entry* e = Find(cmd.keys[0], now_ms);
  switch (cmd.op) {
    case Op::kTtl: return e == nullptr ? Result::Integer(-2) : Ttl(*e, cmd.flags, now_ms);
    case Op::kType: return Result::Status(e == nullptr ? "none" : "string");
    case Op::kStrlen: return Result::Integer(e == nullptr ? 0 : static_cast<int64_t>(e->value().size()));
    case Op::kObjectEncoding: return e == nullptr ? Result::Nil() : Result::Value(EncodingOf(e->value()));
    case Op::kMemoryUsage:
      if (e == nullptr) return Result::Nil();
      return Result::Integer(static_cast<int64_t>(e->key().size() + e->value_capacity()) + kEntryOverheadBytes);
    default: return Result::Error("ERR not a key read");
  }
}

Result KvState::ReadKeys(const Command& cmd, int64_t now_ms) const {
  Result r = Result::OfKind(ResultKind::kValues);
  std::string scratch;
  for (const Entry* e : Sorted()) {
    if (Expired(*e, now_ms) || !Matches(cmd.values[0], e->key(), &scratch)) continue;
    if (r.values.size() == kMaxKeysPerCommand) {
      return Result::Error(absl::StrCat("ERR KEYS would return more than ", kMaxKeysPerCommand, " keys: use SCAN"));
    }
    r.values.emplace_back(std::string(e->key()));
  }
  return r;
}

// One SCAN page: the live keys whose ScanHash is at or above the cursor, the `count` lowest of
// them (more when hashes tie at the page's end: a tie is never split), ordered by (hash, key).
// The next cursor is the page's last hash plus one, 0 when nothing is left. So every key present
// from the first call to the last is returned (Redis's guarantee): the page covers every hash in
// [cursor, next). MATCH and TYPE then filter the page (a page may come back empty, as in Redis).
Result KvState::ReadScan(const Command& cmd, int64_t now_ms) const {
  using Candidate = std::pair<uint64_t, std::string_view>;
  std::vector<Candidate> page;
  for (const KvEntryPtr& e : map_) {
    const uint64_t h = ScanHash(e->key());
    if (h >= cmd.arg && !Expired(*e, now_ms)) page.emplace_back(h, e->key());
  }
  auto less = [](const Candidate& a, const Candidate& b) {
    return a.first != b.first ? a.first < b.first : a.second < b.second;
  };
  uint64_t next = 0;
  const size_t count = static_cast<size_t>(std::min<int64_t>(cmd.delta, static_cast<int64_t>(kMaxKeysPerCommand)));
  if (page.size() > count) {
    std::nth_element(page.begin(), page.begin() + static_cast<long>(count - 1), page.end(), less);
    const uint64_t last = page[count - 1].first;
    auto end = std::partition(page.begin(), page.end(), [&](const Candidate& c) { return c.first <= last; });
    if (end != page.end()) next = last + 1;  // a hash above `last` remains, so last + 1 cannot wrap.
    page.erase(end, page.end());
  }
  std::sort(page.begin(), page.end(), less);
  Result r = Result::OfKind(ResultKind::kScan);
  r.integer = static_cast<int64_t>(next);
  const std::string* pattern = (cmd.flags & kScanMatch) ? &cmd.values[0] : nullptr;
  const std::string* type = (cmd.flags & kScanType) ? &cmd.values.back() : nullptr;
  std::string scratch;
  for (const Candidate& c : page) {
    if (pattern != nullptr && !Matches(*pattern, c.second, &scratch)) continue;
    if (type != nullptr && *type != "string") continue;  // every kvlab value is a string.
    r.values.emplace_back(std::string(c.second));
  }
  return r;
}

// The live key with the lowest ScanHash at or above `arg` (wrapping round to the lowest), so a
// random `arg` picks a key at random, and replicas agree on it.
Result KvState::ReadRandomKey(const Command& cmd, int64_t now_ms) const {
  const Entry* above = nullptr;
  const Entry* lowest = nullptr;
  uint64_t above_h = 0, lowest_h = 0;
  for (const KvEntryPtr& e : map_) {
    if (Expired(*e, now_ms)) continue;
    const std::string_view key = e->key();
    const uint64_t h = ScanHash(key);
    auto better = [&](const Entry* cur, uint64_t cur_h) {
      return cur == nullptr || h < cur_h || (h == cur_h && key < cur->key());
    };
    if (better(lowest, lowest_h)) lowest = e.get(), lowest_h = h;
    if (h >= cmd.arg && better(above, above_h)) above = e.get(), above_h = h;
  }
  const Entry* pick = above != nullptr ? above : lowest;
  return pick == nullptr ? Result::Nil() : Result::Value(std::string(pick->key()));
}

}  // namespace kvlab::core
