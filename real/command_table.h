// The one table of the commands `kvlab node` serves: the dispatcher (arity checks, which handler
// answers), COMMAND / COMMAND INFO / COMMAND DOCS / COMMAND COUNT and the README's list are all
// read from it, so they cannot disagree (tests/real/command_table_test.cc checks the README).
#pragma once

#include <string_view>
#include <vector>

namespace kvlab::real {

enum class CommandKind {
  kKv,      // becomes a core::Command, served by the policy (kv_commands.h)
  kServer,  // answered by the node server itself (server_commands.cc)
  kTxn,     // MULTI/EXEC/DISCARD/WATCH/UNWATCH (txn_commands.cc)
};

struct CommandSpec {
  std::string_view name;          // lowercase
  int arity;                      // Redis's convention: N exactly N arguments (name included), -N at least N
  std::string_view flags;         // Redis's command flags, space-separated: "write denyoom", "readonly fast"
  int first_key, last_key, step;  // key positions (Redis's legacy key spec); 0 0 0: no keys
  std::string_view group;         // COMMAND DOCS group: "string", "generic", "server", "connection", "transactions"
  std::string_view summary;       // one line, for COMMAND DOCS and the README
  CommandKind kind;
};

// Every served command, sorted by name.
const std::vector<CommandSpec>& CommandTable();
// nullptr when `name` is not served. ASCII case does not matter (Redis's command names).
const CommandSpec* FindCommand(std::string_view name);
// Redis's arity rule.
bool ArityOk(const CommandSpec& spec, size_t argc);

}  // namespace kvlab::real
