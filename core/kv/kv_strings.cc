// KvState's string and expiry writes added for Redis compatibility (issue 12): EXPIRE family,
// PERSIST, APPEND, SET GET/KEEPTTL and SETNX (kPutX), GETDEL, GETEX, INCRBYFLOAT, RENAME(NX),
// COPY. Semantics follow Redis 7.0 (t_string.c, expire.c, db.c); every change of a key stamps
// its version and every removal of a live key notes it (WATCH).
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <optional>

#include "core/assert.h"
#include "core/constants.h"
#include "core/kv/kv_state.h"

namespace kvlab::core {

// Redis's MAX_LONG_DOUBLE_CHARS.
constexpr size_t kMaxLongDoubleChars = 5 * 1024;
// Redis's SDS_MAX_PREALLOC: an APPEND that outgrows the value's capacity doubles it below this.
constexpr size_t kAppendDoublingBytes = 1024 * 1024;

bool ParseRedisLongDouble(std::string_view s, long double* out) {
  if (s.empty() || s.size() >= kMaxLongDoubleChars) return false;
  const std::string buf(s);
  char* end = nullptr;
  errno = 0;
  const long double v = std::strtold(buf.c_str(), &end);
  const bool range_error = errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || v == 0.0L);
  if (std::isspace(static_cast<unsigned char>(buf[0])) || *end != '\0' || range_error || errno == EINVAL ||
      std::isnan(v)) {
    return false;
  }
  *out = v;
  return true;
}

std::string FormatRedisLongDouble(long double v) {
  char buf[kMaxLongDoubleChars];
  int n = std::snprintf(buf, sizeof(buf), "%.17Lf", v);
  if (n <= 0 || static_cast<size_t>(n) + 1 > sizeof(buf)) return "0";
  std::string text(buf, static_cast<size_t>(n));
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  if (text == "-0") text = "0";
  return text;
}

KvState::Entry* KvState::LiveForWrite(std::string_view key, int64_t now_ms) {
  DropIfExpired(key, now_ms);
  Entry* e = Stored(key);
  return e == nullptr ? nullptr : Writable(e);
}

void KvState::Remove(std::string_view key) {
  if (map_.erase(key) > 0) NoteRemoval();
}

Result KvState::ApplyFlagged(const Command& cmd, int64_t now_ms) {
  switch (cmd.op) {
    case Op::kExpire: return ApplyExpire(cmd, now_ms);
    case Op::kPersist: return ApplyPersist(cmd, now_ms);
    case Op::kAppend: return ApplyAppend(cmd, now_ms);
    case Op::kPutX: return ApplyPutX(cmd, now_ms);
    case Op::kGetDel: return ApplyGetDel(cmd, now_ms);
    case Op::kGetEx: return ApplyGetEx(cmd, now_ms);
    case Op::kIncrByFloat: return ApplyIncrByFloat(cmd, now_ms);
    case Op::kRename:
    case Op::kCopy: return ApplyRenameOrCopy(cmd, now_ms);
    case Op::kKeys: return ReadKeys(cmd, now_ms);
    case Op::kScan: return ReadScan(cmd, now_ms);
    case Op::kRandomKey: return ReadRandomKey(cmd, now_ms);
    case Op::kTtl:
    case Op::kType:
    case Op::kStrlen:
    case Op::kObjectEncoding:
    case Op::kMemoryUsage: return ReadKey(cmd, now_ms);
    default: break;
  }
  KV_ASSERT(false && "unknown op");
  return Result::Nil();
}

// Redis expireGenericCommand: the NX/XX/GT/LT condition (no TTL counts as an infinite one), then
// a deadline not after now removes the key.
Result KvState::ApplyExpire(const Command& cmd, int64_t now_ms) {
  const std::string& key = cmd.keys[0];
  Entry* e = LiveForWrite(key, now_ms);
  if (e == nullptr) return Result::Integer(0);
  const int64_t current = e->expire_at_ms(), when = cmd.expire_at_ms;
  if (((cmd.flags & kExpireNx) && current != 0) || ((cmd.flags & kExpireXx) && current == 0) ||
      ((cmd.flags & kExpireGt) && (current == 0 || when <= current)) ||
      ((cmd.flags & kExpireLt) && current != 0 && when >= current)) {
    return Result::Integer(0);
  }
  if (when <= now_ms) {
    Remove(key);
  } else {
    e->set_expire_at_ms(when);
    Touch(*e);
  }
  return Result::Integer(1);
}

Result KvState::ApplyPersist(const Command& cmd, int64_t now_ms) {
  Entry* e = LiveForWrite(cmd.keys[0], now_ms);
  if (e == nullptr || e->expire_at_ms() == 0) return Result::Integer(0);
  e->set_expire_at_ms(0);
  Touch(*e);
  return Result::Integer(1);
}

Result KvState::ApplyAppend(const Command& cmd, int64_t now_ms) {
  const std::string& key = cmd.keys[0];
  Entry* e = LiveForWrite(key, now_ms);
  if (e == nullptr) {
    Store(key, cmd.values[0], 0, now_ms);
    return Result::Integer(static_cast<int64_t>(cmd.values[0].size()));
  }
  const std::string_view tail = cmd.values[0];
  const size_t size = e->value().size() + tail.size();
  if (size > kMaxValueBytes) return Result::Error(kStringTooLongText);
  if (!e->AppendInPlace(tail)) {
    // Grown as Redis's sdsMakeRoomFor: double below 1 MiB, else 1 MiB more, so repeated APPENDs
    // copy the value O(log n) times.
    const size_t capacity =
        std::min(size < kAppendDoublingBytes ? 2 * size : size + kAppendDoublingBytes, kMaxValueBytes);
    e = Reallocate(e, e->value(), capacity);
    const bool appended = e->AppendInPlace(tail);
    KV_ASSERT(appended);
  }
  Touch(*e);
  return Result::Integer(static_cast<int64_t>(size));
}

// SET with GET and/or KEEPTTL, SETNX, GETSET (Redis setGenericCommand).
Result KvState::ApplyPutX(const Command& cmd, int64_t now_ms) {
  const std::string& key = cmd.keys[0];
  Entry* e = LiveForWrite(key, now_ms);
  std::optional<std::string> old;
  int64_t expire_at_ms = cmd.expire_at_ms;
  if (e != nullptr) {
    if (cmd.flags & kPutGet) old.emplace(e->value());
    if (cmd.flags & kPutKeepTtl) expire_at_ms = e->expire_at_ms();
  }
  const bool blocked = (cmd.condition == PutCondition::kIfAbsent && e != nullptr) ||
                       (cmd.condition == PutCondition::kIfPresent && e == nullptr);
  if (!blocked) Store(key, cmd.values[0], expire_at_ms, now_ms);
  if (cmd.flags & kPutGet) return old ? Result::Value(*std::move(old)) : Result::Nil();
  if (cmd.flags & kPutReplyInt) return Result::Integer(blocked ? 0 : 1);
  return blocked ? Result::Nil() : Result::Ok();
}

Result KvState::ApplyGetDel(const Command& cmd, int64_t now_ms) {
  Entry* e = LiveForWrite(cmd.keys[0], now_ms);
  if (e == nullptr) return Result::Nil();
  Result r = Result::Value(std::string(e->value()));
  Remove(cmd.keys[0]);
  return r;
}

// Redis getexCommand looks the key up before it checks the expiry's value: an absent key is nil
// even with a bad time, so the receiver's parse error travels in the command (kGetExInvalid).
Result KvState::ApplyGetEx(const Command& cmd, int64_t now_ms) {
  Entry* e = LiveForWrite(cmd.keys[0], now_ms);
  if (e == nullptr) return Result::Nil();
  if (cmd.flags & kGetExInvalid) return Result::Error(cmd.values[0].substr(0, kMaxErrorTextBytes));
  Result r = Result::Value(std::string(e->value()));
  if ((cmd.flags & kGetExPersist) && e->expire_at_ms() != 0) {
    e->set_expire_at_ms(0);
    Touch(*e);
  } else if (cmd.flags & kGetExSet) {
    if (cmd.expire_at_ms <= now_ms) {
      Remove(cmd.keys[0]);
    } else {
      e->set_expire_at_ms(cmd.expire_at_ms);
      Touch(*e);
    }
  }
  return r;
}

// Redis incrbyfloatCommand: long double arithmetic (deterministic: no -ffast-math, one
// rounding per addition), the key's TTL kept.
Result KvState::ApplyIncrByFloat(const Command& cmd, int64_t now_ms) {
  const std::string& key = cmd.keys[0];
  Entry* e = LiveForWrite(key, now_ms);
  long double value = 0, incr = 0;
  if ((e != nullptr && !ParseRedisLongDouble(e->value(), &value)) || !ParseRedisLongDouble(cmd.values[0], &incr)) {
    return Result::Error(kNotFloatText);
  }
  value += incr;
  if (std::isnan(value) || std::isinf(value)) return Result::Error(kFloatOverflowText);
  std::string text = FormatRedisLongDouble(value);
  if (e == nullptr) {
    Store(key, text, 0, now_ms);
  } else {
    e = SetValue(e, text);
    Touch(*e);
  }
  return Result::Value(std::move(text));
}

// RENAME / RENAMENX (condition kIfAbsent) / COPY [REPLACE] (Redis renameGenericCommand,
// copyCommand): the value moves or is copied with its TTL.
Result KvState::ApplyRenameOrCopy(const Command& cmd, int64_t now_ms) {
  const bool copy = cmd.op == Op::kCopy, nx = cmd.condition == PutCondition::kIfAbsent;
  const std::string &from = cmd.keys[0], &to = cmd.keys[1];
  if (copy && from == to) return Result::Error(kSameObjectText);
  const Entry* src = LiveForWrite(from, now_ms);
  if (src == nullptr) return copy ? Result::Integer(0) : Result::Error(kNoSuchKeyText);
  if (from == to) return nx ? Result::Integer(0) : Result::Ok();
  const bool overwrite = copy ? (cmd.flags & kCopyReplace) != 0 : !nx;
  if (!overwrite && LiveForWrite(to, now_ms) != nullptr) return Result::Integer(0);
  // A view of the source is enough: Store changes only `to`'s entry, and entries never move when
  // the set rehashes.
  Store(to, src->value(), src->expire_at_ms(), now_ms);
  if (!copy) Remove(from);
  return copy || nx ? Result::Integer(1) : Result::Ok();
}

}  // namespace kvlab::core
