#include "core/kv/kv_state.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/assert.h"
#include "core/constants.h"

namespace kvlab::core {

bool ParseRedisInt(std::string_view s, int64_t* out) {
  if (s.empty() || s.size() > 20) return false;
  const bool negative = s[0] == '-';
  std::string_view digits = negative ? s.substr(1) : s;
  if (digits.empty() || (digits[0] == '0' && (digits.size() > 1 || negative))) return false;
  // Accumulate as a negative number so that INT64_MIN parses without overflow.
  int64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    if (__builtin_mul_overflow(v, 10, &v) || __builtin_sub_overflow(v, c - '0', &v)) return false;
  }
  if (!negative) {
    if (v == INT64_MIN) return false;
    v = -v;
  }
  *out = v;
  return true;
}

KvState::KvState(const KvState& other) : seq_(other.seq_), removed_seq_(other.removed_seq_) {
  map_.reserve(other.map_.size());
  for (const KvEntryPtr& e : other.map_) map_.insert(e->Clone());
}

KvState& KvState::operator=(const KvState& other) {
  if (this != &other) *this = KvState(other);
  return *this;
}

bool KvState::operator==(const KvState& other) const {
  if (seq_ != other.seq_ || removed_seq_ != other.removed_seq_ || map_.size() != other.map_.size()) return false;
  for (const KvEntryPtr& e : map_) {
    const Entry* o = other.Stored(e->key());
    if (o == nullptr || !(*o == *e)) return false;
  }
  return true;
}

KvState::Entry* KvState::Stored(std::string_view key) const {
  auto it = map_.find(key);
  return it == map_.end() ? nullptr : it->get();
}

const KvState::Entry* KvState::Find(std::string_view key, int64_t now_ms) const {
  const Entry* e = Stored(key);
  return e == nullptr || Expired(*e, now_ms) ? nullptr : e;
}

size_t KvState::LiveCount(int64_t now_ms) const {
  size_t n = 0;
  for (const KvEntryPtr& e : map_) n += Expired(*e, now_ms) ? 0 : 1;
  return n;
}

namespace {
uint64_t BigEndianU64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}
}  // namespace

std::vector<KvState::Entry*> KvState::EntriesByKey() const {
  // Sorted by each key's first 16 bytes held beside its pointer, in one array: most comparisons
  // end there, without a cache miss into two entries (1 M small keys: see results/real/
  // large-values.md). Ties (shared prefixes, or a key that is a prefix of the other) compare whole.
  struct Keyed {
    uint64_t hi, lo;  // the key's first 16 bytes, big-endian, zero-padded: their order is the keys'.
    Entry* entry;
  };
  std::vector<Keyed> keyed;
  keyed.reserve(map_.size());
  for (const KvEntryPtr& e : map_) {
    char prefix[16] = {};
    const std::string_view key = e->key();
    std::copy_n(key.data(), std::min<size_t>(key.size(), sizeof(prefix)), prefix);
    keyed.push_back(Keyed{BigEndianU64(prefix), BigEndianU64(prefix + 8), e.get()});
  }
  std::sort(keyed.begin(), keyed.end(), [](const Keyed& a, const Keyed& b) {
    if (a.hi != b.hi) return a.hi < b.hi;
    if (a.lo != b.lo) return a.lo < b.lo;
    return a.entry->key() < b.entry->key();
  });
  std::vector<Entry*> entries;
  entries.reserve(keyed.size());
  for (const Keyed& k : keyed) entries.push_back(k.entry);
  return entries;
}

std::vector<const KvState::Entry*> KvState::Sorted() const {
  const std::vector<Entry*> entries = EntriesByKey();
  return std::vector<const Entry*>(entries.begin(), entries.end());
}

void KvState::ForEach(absl::FunctionRef<void(std::string_view key, const Entry&)> fn) const {
  for (const Entry* e : Sorted()) fn(e->key(), *e);
}

void KvState::DropIfExpired(std::string_view key, int64_t now_ms) {
  auto it = map_.find(key);
  if (it != map_.end() && Expired(**it, now_ms)) map_.erase(it);
}

KvState::Entry* KvState::SetValue(Entry* e, std::string_view value) {
  // A frozen entry stays as the view saw it: the new value goes into a new allocation.
  return !e->frozen() && e->AssignInPlace(value) ? e : Reallocate(e, value, value.size());
}

KvState::Entry* KvState::Reallocate(Entry* e, std::string_view value, size_t capacity) {
  KvEntryPtr grown = KvEntry::Make(e->key(), value, e->expire_at_ms(), e->version(), std::max(capacity, value.size()));
  Entry* stored = grown.get();
  // The set's elements are const: swap the pointer through a node handle (same key, same hash).
  auto node = map_.extract(map_.find(e->key()));
  KV_ASSERT(!node.empty());
  node.value() = std::move(grown);
  map_.insert(std::move(node));
  return stored;
}

void KvState::Store(std::string_view key, std::string_view value, int64_t expire_at_ms, int64_t now_ms) {
  // A deadline already in the past (Redis: SET PXAT in the past) deletes the key.
  if (Expired(expire_at_ms, now_ms)) {
    if (Find(key, now_ms) != nullptr) NoteRemoval();
    map_.erase(key);
    return;
  }
  Entry* e = Stored(key);
  if (e == nullptr) {
    map_.insert(KvEntry::Make(key, value, expire_at_ms, ++seq_));
    return;
  }
  e = SetValue(e, value);
  e->set_expire_at_ms(expire_at_ms);
  Touch(*e);
}

Result KvState::Apply(const Command& cmd, int64_t now_ms) {
  switch (cmd.op) {
    case Op::kGet: {
      KV_ASSERT(cmd.keys.size() == 1);
      const Entry* e = Find(cmd.keys[0], now_ms);
      return e ? Result::Value(std::string(e->value())) : Result::Nil();
    }
    case Op::kPut: return ApplyPut(cmd, now_ms);
    case Op::kDel: return ApplyDel(cmd, now_ms);
    case Op::kExists: {
      int64_t n = 0;
      for (const std::string& k : cmd.keys) n += Find(k, now_ms) ? 1 : 0;
      return Result::Integer(n);
    }
    case Op::kIncr: return ApplyIncr(cmd, now_ms);
    case Op::kMGet: return ApplyMGet(cmd, now_ms);
    case Op::kMSet:
      KV_ASSERT(cmd.keys.size() == cmd.values.size());
      for (size_t i = 0; i < cmd.keys.size(); ++i) Store(cmd.keys[i], cmd.values[i], 0, now_ms);
      return Result::Ok();
    case Op::kDbSize: return Result::Integer(static_cast<int64_t>(LiveCount(now_ms)));
    case Op::kFlushAll:
      map_.clear();
      NoteRemoval();
      return Result::Ok();
    case Op::kExec: return ApplyExec(cmd, now_ms);
    case Op::kChangeMembers: return Result::Error("ERR membership changes are not key-value commands");
    default: return ApplyFlagged(cmd, now_ms);
  }
}

Result KvState::ApplyPut(const Command& cmd, int64_t now_ms) {
  KV_ASSERT(cmd.keys.size() == 1 && cmd.values.size() == 1);
  // One lookup: the common overwrite assigns in place (the entry keeps its allocation when the
  // value fits).
  Entry* e = Stored(cmd.keys[0]);
  const bool present = e != nullptr && !Expired(*e, now_ms);
  if ((cmd.condition == PutCondition::kIfAbsent && present) ||
      (cmd.condition == PutCondition::kIfPresent && !present)) {
    return Result::Nil();
  }
  if (e == nullptr || Expired(cmd.expire_at_ms, now_ms)) {
    Store(cmd.keys[0], cmd.values[0], cmd.expire_at_ms, now_ms);
  } else {
    e = SetValue(e, cmd.values[0]);
    e->set_expire_at_ms(cmd.expire_at_ms);
    Touch(*e);
  }
  return Result::Ok();
}

Result KvState::ApplyDel(const Command& cmd, int64_t now_ms) {
  int64_t removed = 0;
  for (const std::string& k : cmd.keys) {
    auto it = map_.find(std::string_view(k));
    if (it == map_.end()) continue;
    removed += Expired(**it, now_ms) ? 0 : 1;
    map_.erase(it);
  }
  if (removed > 0) NoteRemoval();
  return Result::Integer(removed);
}

Result KvState::ApplyIncr(const Command& cmd, int64_t now_ms) {
  KV_ASSERT(cmd.keys.size() == 1);
  const std::string& key = cmd.keys[0];
  Entry* e = LiveForWrite(key, now_ms);
  int64_t current = 0;
  if (e != nullptr && !ParseRedisInt(e->value(), &current)) {
    return Result::Error(kIncrErrorText);
  }
  int64_t next;
  if (__builtin_add_overflow(current, cmd.delta, &next)) return Result::Error(kIncrOverflowText);
  // Redis keeps the key's TTL across INCR.
  const std::string text = absl::StrCat(next);
  if (e == nullptr) {
    map_.insert(KvEntry::Make(key, text, 0, ++seq_));
  } else {
    e = SetValue(e, text);
    Touch(*e);
  }
  return Result::Integer(next);
}

Result KvState::ApplyMGet(const Command& cmd, int64_t now_ms) const {
  Result r = Result::OfKind(ResultKind::kValues);
  r.values.reserve(cmd.keys.size());
  for (const std::string& k : cmd.keys) {
    const Entry* e = Find(k, now_ms);
    if (e) {
      r.values.emplace_back(std::string(e->value()));
    } else {
      r.values.emplace_back(std::nullopt);
    }
  }
  return r;
}

void KvState::EncodeHeader(ByteWriter& w, uint64_t seq, uint64_t removed_seq, uint64_t count) {
  w.VarU64(kSnapshotV2Marker);
  w.U64(seq);
  w.U64(removed_seq);
  w.VarU64(count);
}

void KvState::EncodeEntry(ByteWriter& w, const Entry& e) {
  w.Bytes(e.key());
  w.Bytes(e.value());
  w.I64(e.expire_at_ms());
  w.U64(e.version());
}

void KvState::EncodeSnapshot(ByteWriter& w) const {
  EncodeHeader(w, seq_, removed_seq_, map_.size());
  for (const Entry* e : Sorted()) EncodeEntry(w, *e);
}

KvFrozenView::~KvFrozenView() {
  for (size_t i = next; i < entries.size(); ++i) entries[i]->Release();
}

void KvState::Freeze() {
  KV_ASSERT(view_ == nullptr);
  auto view = std::make_unique<KvFrozenView>();
  view->seq = seq_;
  view->removed_seq = removed_seq_;
  view->entries = EntriesByKey();
  for (Entry* e : view->entries) e->Freeze();
  view_ = std::move(view);
}

bool KvState::EncodeFrozen(ByteWriter& w, size_t budget_bytes) {
  KV_ASSERT(view_ != nullptr);
  KvFrozenView& v = *view_;
  // Bytes appended, counted from the entries' sizes (the writer does not expose its output's).
  constexpr size_t kEntryFramingBytes = 2 * 10 + 16;  // two varint lengths, expiry, version.
  size_t appended = 0;
  if (!v.header_written) {
    EncodeHeader(w, v.seq, v.removed_seq, v.entries.size());
    v.header_written = true;
  }
  while (v.next < v.entries.size() && (appended == 0 || appended < budget_bytes)) {
    Entry* e = v.entries[v.next];
    EncodeEntry(w, *e);
    appended += e->key().size() + e->value().size() + kEntryFramingBytes;
    ++v.next;      // before the release: the view's destructor releases only entries[next..].
    e->Release();  // frees it if the state let it go meanwhile.
  }
  if (v.next < v.entries.size()) return false;
  view_.reset();
  return true;
}

uint64_t KvState::Checksum() const {
  // Content only (the v1 encoding): replicas of an eventual policy converge to equal contents by
  // different histories, so versions and sequences must not count.
  std::string buf;
  ByteWriter w(&buf);
  w.VarU64(map_.size());
  for (const Entry* e : Sorted()) {
    w.Bytes(e->key());
    w.Bytes(e->value());
    w.I64(e->expire_at_ms());
  }
  return Checksum64(buf);
}

absl::StatusOr<KvState> KvState::DecodeSnapshot(ByteReader& r) {
  KvState state;
  uint64_t n;
  if (!r.VarU64(&n)) return absl::DataLossError("kv state: bad count");
  const bool v2 = n == kSnapshotV2Marker;
  if (v2 && (!r.U64(&state.seq_) || !r.U64(&state.removed_seq_) || !r.VarU64(&n))) {
    return absl::DataLossError("kv state: truncated header");
  }
  // Each entry takes at least 10 bytes; a larger count is a lie, refuse it before looping.
  if (n > r.remaining() / 10) return absl::DataLossError("kv state: bad count");
  state.map_.reserve(n);
  std::string_view previous_key;  // views of the reader's bytes, which outlive the loop.
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view key, value;
    int64_t expire_at_ms = 0;
    uint64_t version = 0;
    if (!r.BytesView(&key, kMaxKeyBytes) || !r.BytesView(&value, kMaxValueBytes) || !r.I64(&expire_at_ms) ||
        (v2 && !r.U64(&version))) {
      return absl::DataLossError(absl::StrCat("kv state: truncated entry ", i));
    }
    // Canonical order: strictly ascending, so no key appears twice.
    if (i > 0 && !(previous_key < key)) {
      return absl::DataLossError(absl::StrCat("kv state: key out of order at entry ", i));
    }
    previous_key = key;
    state.map_.insert(KvEntry::Make(key, value, expire_at_ms, version));
  }
  return state;
}

}  // namespace kvlab::core
