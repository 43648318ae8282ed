// KvState: the in-memory key-value state machine every replication policy applies commands to.
// Semantics follow Redis (SET NX/XX, lazy expiry, INCR errors, EXISTS counting duplicates).
// Deterministic: the outcome of Apply depends only on the state, the command and `now_ms`.
// WATCH: every change of a key stamps it with the next value of the state's sequence (its
// modification version), and every removal notes the sequence too; both are replicated state
// (in the snapshot), so every replica decides a transaction's watches alike.
// Entries live in a hash set of 8-byte owning pointers to KvEntry allocations (one probe per
// lookup, no key comparisons down a tree; the key and value sit inline in the entry, issue 17);
// every iteration goes through the keys sorted first, so snapshots and checksums are canonical and
// the hash's per-process seed never shows (DESIGN.md, determinism rule 3).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "core/bytes.h"
#include "core/kv/command.h"
#include "core/kv/kv_entry.h"
#include "core/string_view_hash.h"

namespace kvlab::core {

// The entries a frozen KvState still has to encode (KvState::Freeze), in ascending key order,
// each held (KvEntry::frozen) until it is encoded. At namespace scope, not nested: clang 14.
struct KvFrozenView {
  KvFrozenView() = default;
  KvFrozenView(const KvFrozenView&) = delete;
  KvFrozenView& operator=(const KvFrozenView&) = delete;
  ~KvFrozenView();  // releases the entries not encoded yet (frees those the state let go).

  uint64_t seq = 0;  // the state's sequences at the freeze.
  uint64_t removed_seq = 0;
  std::vector<KvEntry*> entries;
  size_t next = 0;  // entries[next..] are still to encode (and held).
  bool header_written = false;
};

inline constexpr char kIncrErrorText[] = "ERR value is not an integer or out of range";
inline constexpr char kIncrOverflowText[] = "ERR increment or decrement would overflow";  // Redis's.
inline constexpr char kNotFloatText[] = "ERR value is not a valid float";
inline constexpr char kFloatOverflowText[] = "ERR increment would produce NaN or Infinity";
inline constexpr char kNoSuchKeyText[] = "ERR no such key";
inline constexpr char kSameObjectText[] = "ERR source and destination objects are the same";
inline constexpr char kStringTooLongText[] = "ERR string exceeds maximum allowed size (proto-max-bulk-len)";
// A key's share of the hash set: an 8-byte slot and a control byte, at a load between 7/16 (just
// grown) and 7/8 (about to grow), so from 10 to 21 bytes: about 16.
inline constexpr int64_t kEntrySlotBytes = 16;
// MEMORY USAGE: what one key costs besides its key bytes and its value's capacity (the entry's
// header and its share of the hash set). The capacity includes the allocation's rounding, so
// key + capacity + this is what the key holds, bar the allocator's own size classes.
inline constexpr int64_t kEntryOverheadBytes = static_cast<int64_t>(KvEntry::HeaderBytes()) + kEntrySlotBytes;
// An error text a command carries (GETEX's invalid time) is cut to this length when applied.
inline constexpr size_t kMaxErrorTextBytes = 256;

class KvState {
 public:
  // A stored entry: key(), value(), expire_at_ms() (absolute, 0 = never; expired once now_ms >
  // expire_at_ms, as in Redis) and version() (the state's sequence when it last changed: WATCH).
  // A pointer to one stays valid until its key is written or removed.
  using Entry = KvEntry;

  KvState() = default;
  KvState(KvState&&) = default;
  KvState& operator=(KvState&&) = default;
  // Deep copies (every entry cloned).
  KvState(const KvState& other);
  KvState& operator=(const KvState& other);

  // Applies `cmd` at time `now_ms`. Read-only commands never change the state. Keys that have
  // expired are absent; writes that touch an expired key drop it first.
  Result Apply(const Command& cmd, int64_t now_ms);

  // The live entry for `key` at `now_ms`, or nullptr if absent or expired.
  const Entry* Find(std::string_view key, int64_t now_ms) const;
  // Number of live (non-expired) keys at `now_ms`. O(n).
  size_t LiveCount(int64_t now_ms) const;
  // Number of live keys with a TTL at `now_ms` (INFO keyspace's expires). O(n).
  size_t LiveExpiring(int64_t now_ms) const;
  // Number of stored entries, expired ones not yet dropped included.
  size_t size() const { return map_.size(); }

  // Visits every stored entry (expired ones included) in ascending key order.
  void ForEach(absl::FunctionRef<void(std::string_view key, const Entry&)> fn) const;

  // The modification version of a live key, 0 when absent or expired.
  uint64_t VersionOf(std::string_view key, int64_t now_ms) const;
  uint64_t seq() const { return seq_; }
  uint64_t removed_seq() const { return removed_seq_; }

  // Canonical encoding (v2): a marker, seq, removed_seq, varint count, then (key, value,
  // expire_at_ms, version) in ascending key order. v1 (varint count, then (key, value,
  // expire_at_ms)) still decodes, with every version and sequence 0.
  void EncodeSnapshot(ByteWriter& w) const;

  // The same encoding spread over many turns (issue 17: a state of 100 MB and more encoded in one
  // turn held the event loop past the election timeout). Freeze fixes the state as it is now (its
  // sequences and its entries, sorted by key; O(n log n), no entry copied); the state keeps
  // changing meanwhile. An entry the view still has to encode is never changed or freed: a write
  // to it stores a copy in its place (copy-on-write), and a removal leaves it to the view, which
  // frees it once encoded. So the concatenated output of EncodeFrozen is exactly EncodeSnapshot's
  // at the freeze. One view at a time. REQUIRES: !has_frozen_view().
  void Freeze();
  bool has_frozen_view() const { return view_ != nullptr; }
  // Appends the next part of the frozen encoding to `w`: whole entries (at least one), until
  // about `budget_bytes` were appended. Returns true when the encoding is complete: the view is
  // closed. REQUIRES: has_frozen_view().
  bool EncodeFrozen(ByteWriter& w, size_t budget_bytes);
  // Closes the view unfinished (a newer snapshot replaces it): what it kept is freed.
  void CloseFrozenView() { view_.reset(); }
  // DataLoss on truncation, limits exceeded or keys out of order. Consumes exactly one encoding.
  static absl::StatusOr<KvState> DecodeSnapshot(ByteReader& r);

  // Checksum64 of the contents (keys, values, expiries; not versions): equal contents, equal
  // checksums (compare replicas, whatever order of writes brought them there). O(n).
  uint64_t Checksum() const;

  // Equal entries (versions included) and sequences; value capacities do not count.
  bool operator==(const KvState& other) const;

 private:
  friend class KvStateDecoder;  // builds a state entry by entry (kv_state_decoder.h).
  // A v1 snapshot starts with its entry count, which is always far below this marker (each entry
  // takes bytes): the marker's presence says v2.
  static constexpr uint64_t kSnapshotV2Marker = 0x4b56563200000000;  // "\0\0\0\0" "2VVK"

  static bool Expired(int64_t expire_at_ms, int64_t now_ms) { return expire_at_ms != 0 && now_ms > expire_at_ms; }
  static bool Expired(const Entry& e, int64_t now_ms) { return Expired(e.expire_at_ms(), now_ms); }
  // The stored entry of `key`, expired or not; nullptr if absent.
  Entry* Stored(std::string_view key) const;
  // Drops `key` if it is stored but expired, so writes see it as absent.
  void DropIfExpired(std::string_view key, int64_t now_ms);
  // Sets `key`'s value and expiry and stamps it (or removes it, for a deadline already past).
  // `value` may view another entry's bytes (entries never move while others are inserted).
  void Store(std::string_view key, std::string_view value, int64_t expire_at_ms, int64_t now_ms);
  // Replaces the value of stored entry `e`: in place when it fits the capacity, else as
  // Reallocate does. Returns the entry now stored; `e` is invalid when it differs.
  Entry* SetValue(Entry* e, std::string_view value);
  // Moves stored entry `e` into a new allocation holding `value` (which may view e's own value),
  // its capacity at least `capacity`; expiry and version kept. Returns it; `e` is freed.
  Entry* Reallocate(Entry* e, std::string_view value, size_t capacity);
  // Stamps a changed entry with the next sequence; notes a removal of a live key.
  void Touch(Entry& e) { e.set_version(++seq_); }
  void NoteRemoval() { removed_seq_ = ++seq_; }

  Result ApplyExec(const Command& cmd, int64_t now_ms);
  bool WatchesHold(const Command& cmd, int64_t now_ms) const;

  Result ApplyPut(const Command& cmd, int64_t now_ms);
  Result ApplyDel(const Command& cmd, int64_t now_ms);
  Result ApplyIncr(const Command& cmd, int64_t now_ms);
  Result ApplyMGet(const Command& cmd, int64_t now_ms) const;

  // Issue 12's commands: writes in kv_strings.cc, reads in kv_keyspace.cc.
  Result ApplyFlagged(const Command& cmd, int64_t now_ms);
  Result ApplyExpire(const Command& cmd, int64_t now_ms);
  Result ApplyPersist(const Command& cmd, int64_t now_ms);
  Result ApplyAppend(const Command& cmd, int64_t now_ms);
  Result ApplyPutX(const Command& cmd, int64_t now_ms);
  Result ApplyGetDel(const Command& cmd, int64_t now_ms);
  Result ApplyGetEx(const Command& cmd, int64_t now_ms);
  Result ApplyIncrByFloat(const Command& cmd, int64_t now_ms);
  Result ApplyRenameOrCopy(const Command& cmd, int64_t now_ms);
  Result ReadKey(const Command& cmd, int64_t now_ms) const;  // TTL, TYPE, STRLEN, OBJECT, MEMORY
  Result ReadKeys(const Command& cmd, int64_t now_ms) const;
  Result ReadScan(const Command& cmd, int64_t now_ms) const;
  Result ReadRandomKey(const Command& cmd, int64_t now_ms) const;
  // The live entry of `key` for a write (never frozen: see Writable): an expired one is dropped
  // first. nullptr if absent.
  Entry* LiveForWrite(std::string_view key, int64_t now_ms);
  // `e` itself, or, when a frozen view holds it, the copy now stored in its place (e is left to
  // the view). Every in-place change of a stored entry goes through this or SetValue.
  Entry* Writable(Entry* e) { return e->frozen() ? Reallocate(e, e->value(), e->value_capacity()) : e; }
  // Removes a live entry (a removal for WATCH).
  void Remove(std::string_view key);

  // The set hashes and compares entries by key, and finds them by a key alone (transparent).
  struct KeyHash {
    using is_transparent = void;
    size_t operator()(std::string_view key) const { return StringViewHash{}(key); }
    size_t operator()(const KvEntryPtr& e) const { return (*this)(e->key()); }
  };
  struct KeyEq {
    using is_transparent = void;
    static std::string_view KeyOf(std::string_view key) { return key; }
    static std::string_view KeyOf(const KvEntryPtr& e) { return e->key(); }
    template <typename A, typename B>
    bool operator()(const A& a, const B& b) const {
      return KeyOf(a) == KeyOf(b);
    }
  };
  using Map = absl::flat_hash_set<KvEntryPtr, KeyHash, KeyEq>;
  // Every stored entry, in ascending key order. O(n log n).
  std::vector<const Entry*> Sorted() const;
  // The same, for Freeze, which marks them held (a frozen entry is never changed in place).
  std::vector<Entry*> EntriesByKey() const;

  // The header (marker, sequences, count) and one entry of the v2 encoding.
  static void EncodeHeader(ByteWriter& w, uint64_t seq, uint64_t removed_seq, uint64_t count);
  static void EncodeEntry(ByteWriter& w, const Entry& e);

  Map map_;
  uint64_t seq_ = 0;          // bumped by every change of a key.
  uint64_t removed_seq_ = 0;  // seq_ at the last removal of a live key (DEL, FLUSHALL, ...).
  // The frozen view being encoded, if any. Destroyed with the state, or when a moved-in state
  // replaces this one: either way after or before the set, it frees what only it still holds.
  std::unique_ptr<KvFrozenView> view_;
};

// Parses a Redis integer strictly: optional '-', decimal digits, no leading zeros, no "-0",
// within int64. Returns false otherwise.
bool ParseRedisInt(std::string_view s, int64_t* out);
// Parses a float as Redis's string2ld (strtold; no leading space, no NaN, no overflow, < 5 KiB).
bool ParseRedisLongDouble(std::string_view s, long double* out);
// Formats as Redis's ld2string(LD_STR_HUMAN): "%.17Lf" without trailing zeros ("-0" -> "0").
std::string FormatRedisLongDouble(long double v);
// SCAN's and RANDOMKEY's order: a fixed 64-bit hash of the key (the same in every process).
uint64_t ScanHash(std::string_view key);

}  // namespace kvlab::core
