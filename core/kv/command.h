// Commands of the key-value state machine and their results. A command is what a client asks for,
// already parsed (RESP, a workload fiber, a forwarded request all produce the same Command); it is
// what replication policies log, ship and apply.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/bytes.h"

namespace kvlab::core {

enum class Op : uint8_t {
  kGet = 1,       // keys[0] -> value or nil
  kPut = 2,       // keys[0] = values[0], honouring `condition` and `expire_at_ms`
  kDel = 3,       // keys... -> integer count removed
  kExists = 4,    // keys... -> integer count present
  kIncr = 5,      // keys[0] += delta -> new integer value
  kMGet = 6,      // keys... -> values (nil for absent)
  kMSet = 7,      // keys[i] = values[i]
  kDbSize = 8,    // -> integer number of keys
  kFlushAll = 9,  // removes every key
  // A transaction (MULTI ... EXEC): `subs` applied in order in one step, or none of them when a
  // watched key changed: keys[i] must still be at modification version versions[i] (and, for a
  // key absent when watched, no key may have been removed since `watch_seq`). -> kResults, one
  // per sub-command (errors included, as Redis), or kNilArray when aborted.
  // WATCH reads the versions from a replica's applied state (KvState::VersionOf): a replica
  // behind the leader gives older versions, which can only abort an EXEC that could have run,
  // never let one run that must abort (versions are unique and only grow).
  kExec = 10,
  // Redis string and keyspace commands (issue 12). Each carries `flags` and `arg` (encoded for
  // these ops only). Expiry times are absolute (the receiving node turns relative ones into
  // absolute ones, as SET EX does); a deadline at or before the apply time removes the key.
  kExpire = 11,          // keys[0]: expire at expire_at_ms if the kExpire* flag condition holds -> 1/0
  kPersist = 12,         // keys[0]: drop its TTL -> 1 if it had one, else 0
  kTtl = 13,             // keys[0] -> -2 absent, -1 no TTL, else seconds (kTtlMillis: ms; kTtlAbsolute: the deadline)
  kType = 14,            // keys[0] -> status "string" or "none"
  kStrlen = 15,          // keys[0] -> length (0 when absent)
  kAppend = 16,          // keys[0] += values[0] -> new length
  kPutX = 17,            // kPut with kPut* flags (GET, KEEPTTL, SETNX's integer reply)
  kGetDel = 18,          // keys[0] -> value or nil, then removed
  kGetEx = 19,           // keys[0] -> value or nil; its TTL set (kGetExSet), dropped (kGetExPersist)
  kIncrByFloat = 20,     // keys[0] += values[0] (decimal text, long double as Redis) -> new value
  kKeys = 21,            // values[0] a glob pattern -> matching keys, sorted
  kScan = 22,            // cursor `arg`, count `delta`, values: [pattern if kScanMatch][type if kScanType] -> kScan
  kRandomKey = 23,       // -> a live key chosen by `arg` (the receiver's random point), or nil
  kRename = 24,          // keys[0] -> keys[1] (TTL kept); condition kIfAbsent = RENAMENX (-> 1/0)
  kCopy = 25,            // keys[0] -> keys[1] (TTL kept), kCopyReplace overwrites -> 1/0
  kObjectEncoding = 26,  // keys[0] -> "int", "embstr", "raw" (Redis's rules for a value) or nil
  kMemoryUsage = 27,     // keys[0] -> an estimate in bytes of the entry, or nil
  // A change of the replication group's membership (raft only; never applied to the KvState):
  // keys[0] is "add" or "remove", delta the member's id, values[0] (add only) its peer address
  // ("" where the runtime needs none). -> kOk once the new configuration is committed.
  kChangeMembers = 28,
};
inline constexpr uint8_t kMaxOp = 28;
// The first op whose encoding carries `flags` and `arg` (older records never do).
inline constexpr uint8_t kFirstFlaggedOp = 11;

// Command::flags bits, per op.
enum CommandFlag : uint32_t {
  kExpireNx = 1u << 0,      // kExpire: only when the key has no TTL
  kExpireXx = 1u << 1,      // only when it has one
  kExpireGt = 1u << 2,      // only when later than the current deadline (no TTL counts as infinite)
  kExpireLt = 1u << 3,      // only when earlier than the current deadline
  kTtlMillis = 1u << 0,     // kTtl: PTTL
  kTtlAbsolute = 1u << 1,   // kTtl: EXPIRETIME / PEXPIRETIME
  kPutGet = 1u << 0,        // kPutX: reply the old value (SET GET, GETSET)
  kPutKeepTtl = 1u << 1,    // keep the key's TTL (SET KEEPTTL)
  kPutReplyInt = 1u << 2,   // reply 1 when set, 0 when not (SETNX)
  kGetExPersist = 1u << 0,  // kGetEx: drop the TTL
  kGetExSet = 1u << 1,      // kGetEx: set the TTL to expire_at_ms
  kGetExInvalid = 1u << 2,  // kGetEx: the time was invalid: values[0] is the error for a present key
  kScanMatch = 1u << 0,     // kScan: values holds a MATCH pattern
  kScanType = 1u << 1,      // kScan: values holds a TYPE (after the pattern)
  kCopyReplace = 1u << 0,   // kCopy: REPLACE
};
inline constexpr uint32_t kMaxCommandFlags = 0xf;

// True for commands that never change state (served by reads paths: ReadIndex, local reads).
bool IsReadOnly(Op op);
const char* OpName(Op op);

enum class PutCondition : uint8_t { kAlways = 0, kIfAbsent = 1 /* NX */, kIfPresent = 2 /* XX */ };

struct Command {
  Op op = Op::kGet;
  std::vector<std::string> keys;
  std::vector<std::string> values;
  PutCondition condition = PutCondition::kAlways;
  int64_t expire_at_ms = 0;  // absolute, in the serving node's clock; 0 = never.
  int64_t delta = 0;         // for kIncr; kScan's COUNT.
  // Ops from kFirstFlaggedOp on only (see Op):
  uint32_t flags = 0;  // CommandFlag bits of the op.
  uint64_t arg = 0;    // kScan's cursor, kRandomKey's random point.
  // kExec only (encoded only for it, so records of other ops keep their old bytes):
  std::vector<Command> subs;       // the queued commands; none is kExec.
  std::vector<uint64_t> versions;  // versions[i]: what WATCH saw for keys[i].
  uint64_t watch_seq = 0;          // the state's sequence when the watches were read.

  static Command Get(std::string key);
  static Command Put(std::string key, std::string value);
  static Command Del(std::string key);

  bool operator==(const Command&) const = default;
};

enum class ResultKind : uint8_t {
  kOk = 1,        // "+OK"
  kNil = 2,       // absent value / condition not met
  kValue = 3,     // one bulk value
  kInteger = 4,   // an integer
  kValues = 5,    // array of optional values (MGET)
  kError = 6,     // a command-level error (e.g. INCR on a non-integer); `error` holds the text
  kResults = 7,   // array of results (EXEC), in `results`; none is itself kResults.
  kNilArray = 8,  // the null array (an EXEC aborted by WATCH)
  kStatus = 9,    // a simple string (TYPE's "+string"), in `value`
  kScan = 10,     // SCAN's [cursor, [keys]]: the next cursor in `integer` (as uint64), the keys in `values`
};

struct Result {
  ResultKind kind = ResultKind::kOk;
  std::string value;
  int64_t integer = 0;
  std::vector<std::optional<std::string>> values;
  std::string error;
  std::vector<Result> results;

  static Result Ok() { return Result{}; }
  static Result Nil() { return OfKind(ResultKind::kNil); }
  static Result Value(std::string v) {
    Result r = OfKind(ResultKind::kValue);
    r.value = std::move(v);
    return r;
  }
  static Result Integer(int64_t i) {
    Result r = OfKind(ResultKind::kInteger);
    r.integer = i;
    return r;
  }
  static Result Error(std::string e) {
    Result r = OfKind(ResultKind::kError);
    r.error = std::move(e);
    return r;
  }
  static Result Status(std::string v) {
    Result r = OfKind(ResultKind::kStatus);
    r.value = std::move(v);
    return r;
  }
  static Result OfKind(ResultKind kind) {
    Result r;
    r.kind = kind;
    return r;
  }

  bool operator==(const Result&) const = default;
};

// Checks limits (key/value sizes, argument counts) before a command enters the system.
absl::Status ValidateCommand(const Command& cmd);
// An upper bound of the encoded size of `cmd` (kExec: with its sub-commands); kMaxTxnBytes caps it.
size_t TxnBytes(const Command& cmd);

void EncodeCommand(const Command& cmd, ByteWriter& w);
absl::StatusOr<Command> DecodeCommand(ByteReader& r);
void EncodeResult(const Result& res, ByteWriter& w);
absl::StatusOr<Result> DecodeResult(ByteReader& r);

}  // namespace kvlab::core
