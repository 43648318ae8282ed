// Translation between RESP requests and the store's vocabulary: a key-value command's arguments
// become a core::Command (with Redis's argument checks and error texts), and a core::ClientReply
// becomes RESP bytes. Pure functions: no server state, so they are unit-tested directly.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/kv/command.h"
#include "core/message.h"

namespace kvlab::real {

struct CommandSpec;

// True if `name` (lowercase) is a key-value command served by the node (GET, SET, ...).
bool IsKvCommand(std::string_view name);

// Builds the Command for a key-value request. `name` is args[0] lowercased; the strings of `args`
// are moved into the command. `now_ms` turns relative expiry (EX/PX/SETEX/EXPIRE) into
// expire_at_ms; `random` is RANDOMKEY's random point. Arity is checked against the command table.
// On a bad request the error status's message is the whole RESP error line without '-', e.g.
// "ERR wrong number of arguments for 'get' command" or "ERR syntax error".
absl::StatusOr<core::Command> ParseKvCommand(std::string_view name, std::vector<std::string>& args, int64_t now_ms,
                                             uint64_t random = 0);
// The same for a request whose command the caller has looked up and whose arity it has checked
// (REQUIRES: spec->kind == kKv, ArityOk): the request path, which does both once.
absl::StatusOr<core::Command> ParseKvCommand(const CommandSpec* spec, std::vector<std::string>& args, int64_t now_ms,
                                             uint64_t random = 0);

// Appends the RESP form of a node's reply: results map to RESP types; kTryAgain -> -TRYAGAIN,
// kBusy -> -BUSY, kInvalid -> -ERR, kUnknown -> -UNKNOWN (the outcome of a write is not known).
void AppendClientReply(const core::ClientReply& reply, std::string* out);
// The RESP form of one result (kResults: an array of them; kNilArray: "*-1").
void AppendResult(const core::Result& r, std::string* out);
// True for the errors that, while queuing in MULTI, discard the transaction (Redis flags arity
// errors and unknown commands; other errors are that command's result inside EXEC).
bool IsQueuingFatalError(std::string_view error);

// Redis's text for an unknown command: "ERR unknown command 'x', with args beginning with: 'a' ".
std::string UnknownCommandError(const std::vector<std::string>& args);
std::string ArityError(std::string_view name);

}  // namespace kvlab::real
