// Shared pieces of the key-value command parsers (kv_commands.cc, kv_keyspace_commands.cc):
// Redis's option grammar of SET and GETEX, expiry deadlines, and the parsers of the commands
// added for issue 12. Internal to real/.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/kv/command.h"

namespace kvlab::real {

inline constexpr char kSyntaxError[] = "ERR syntax error";
inline constexpr char kNotInteger[] = "ERR value is not an integer or out of range";

inline absl::Status RespError(std::string text) { return absl::InvalidArgumentError(std::move(text)); }

// Redis's string2ll: '-', digits, no leading zeros or '+', within int64.
bool ParseRedisInteger(std::string_view s, int64_t* v);

// SET's and GETEX's options (Redis parseExtendedStringArgumentsOrReply, 7.0).
struct StringOptions {
  bool nx = false, xx = false, get = false, keepttl = false, persist = false;
  std::string unit;       // "ex", "px", "exat", "pxat" or empty
  size_t expire_arg = 0;  // index of the expiry's argument
};
// `set`: SET's grammar (NX, XX, GET, KEEPTTL, EX...), else GETEX's (PERSIST, EX...).
absl::Status ParseStringOptions(const std::vector<std::string>& args, size_t first, bool set, StringOptions* o);
// The absolute deadline in ms for `value` in `unit` (Redis getExpireMillisecondsOrReply): a
// positive integer; relative units are added to `now_ms`. `cmd` names the command in errors.
absl::StatusOr<int64_t> ExpireDeadline(std::string_view unit, std::string_view value, int64_t now_ms,
                                       std::string_view cmd);

// The commands added for issue 12 (EXPIRE family, TTL family, PERSIST, TYPE, STRLEN, APPEND,
// SETNX, GETSET, GETDEL, GETEX, INCRBYFLOAT, KEYS, SCAN, RANDOMKEY, RENAME(NX), COPY, OBJECT,
// MEMORY). NotFound when `name` is none of them. `random` seeds RANDOMKEY's choice.
absl::StatusOr<core::Command> ParseKeyspaceCommand(std::string_view name, std::vector<std::string>& args,
                                                   int64_t now_ms, uint64_t random);

}  // namespace kvlab::real
