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
  // A change of the replication group's membership (raft only; never applied to the KvState):
  // keys[0] is "add" or "remove", delta the member's id, values[0] (add only) its peer address
  // ("" where the runtime needs none). -> kOk once the new configuration is committed.
  kChangeMembers = 11,
};
inline constexpr uint8_t kMaxOp = 11;

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
  int64_t delta = 0;         // for kIncr.
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
