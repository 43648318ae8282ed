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
};
inline constexpr uint8_t kMaxOp = 9;

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

  static Command Get(std::string key);
  static Command Put(std::string key, std::string value);
  static Command Del(std::string key);

  bool operator==(const Command&) const = default;
};

enum class ResultKind : uint8_t {
  kOk = 1,       // "+OK"
  kNil = 2,      // absent value / condition not met
  kValue = 3,    // one bulk value
  kInteger = 4,  // an integer
  kValues = 5,   // array of optional values (MGET)
  kError = 6,    // a command-level error (e.g. INCR on a non-integer); `error` holds the text
};

struct Result {
  ResultKind kind = ResultKind::kOk;
  std::string value;
  int64_t integer = 0;
  std::vector<std::optional<std::string>> values;
  std::string error;

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

void EncodeCommand(const Command& cmd, ByteWriter& w);
absl::StatusOr<Command> DecodeCommand(ByteReader& r);
void EncodeResult(const Result& res, ByteWriter& w);
absl::StatusOr<Result> DecodeResult(ByteReader& r);

}  // namespace kvlab::core
