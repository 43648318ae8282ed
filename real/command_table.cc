#include "real/command_table.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "core/assert.h"

namespace kvlab::real {
namespace {

constexpr CommandKind kKv = CommandKind::kKv, kServer = CommandKind::kServer, kTxn = CommandKind::kTxn;

std::vector<CommandSpec> Build() {
  std::vector<CommandSpec> t = {
      // Strings and counters.
      {"append", 3, "write denyoom fast", 1, 1, 1, "string", "Appends a string to the value of a key.", kKv},
      {"decr", 2, "write denyoom fast", 1, 1, 1, "string", "Decrements the integer value of a key by one.", kKv},
      {"decrby", 3, "write denyoom fast", 1, 1, 1, "string", "Decrements a number from the integer value of a key.",
       kKv},
      {"get", 2, "readonly fast", 1, 1, 1, "string", "Returns the string value of a key.", kKv},
      {"getdel", 2, "write fast", 1, 1, 1, "string", "Returns the string value of a key after deleting the key.", kKv},
      {"getex", -2, "write fast", 1, 1, 1, "string", "Returns the string value of a key after setting its expiration.",
       kKv},
      {"getset", 3, "write denyoom fast", 1, 1, 1, "string", "Sets a key to a new value and returns the old one.", kKv},
      {"incr", 2, "write denyoom fast", 1, 1, 1, "string", "Increments the integer value of a key by one.", kKv},
      {"incrby", 3, "write denyoom fast", 1, 1, 1, "string", "Increments the integer value of a key by a number.", kKv},
      {"incrbyfloat", 3, "write denyoom fast", 1, 1, 1, "string",
       "Increments the floating point value of a key by a number.", kKv},
      {"mget", -2, "readonly fast", 1, -1, 1, "string", "Returns the string values of one or more keys.", kKv},
      {"mset", -3, "write denyoom", 1, -1, 2, "string", "Sets the string values of one or more keys.", kKv},
      {"psetex", 4, "write denyoom", 1, 1, 1, "string", "Sets a key and its expiration time in milliseconds.", kKv},
      {"set", -3, "write denyoom", 1, 1, 1, "string", "Sets a key (NX, XX, GET, EX, PX, EXAT, PXAT, KEEPTTL as Redis).",
       kKv},
      {"setex", 4, "write denyoom", 1, 1, 1, "string", "Sets a key and its expiration time in seconds.", kKv},
      {"setnx", 3, "write denyoom fast", 1, 1, 1, "string", "Sets a key only when it does not exist.", kKv},
      {"strlen", 2, "readonly fast", 1, 1, 1, "string", "Returns the length of a string value.", kKv},
      // Keyspace.
      {"copy", -3, "write denyoom", 1, 2, 1, "generic", "Copies a key (DB 0 only; REPLACE).", kKv},
      {"dbsize", 1, "readonly fast", 0, 0, 0, "server", "Returns the number of keys.", kKv},
      {"del", -2, "write", 1, -1, 1, "generic", "Deletes one or more keys.", kKv},
      {"exists", -2, "readonly fast", 1, -1, 1, "generic", "Counts the given keys that exist.", kKv},
      {"expire", -3, "write fast", 1, 1, 1, "generic", "Sets a key's time to live in seconds (NX, XX, GT, LT).", kKv},
      {"expireat", -3, "write fast", 1, 1, 1, "generic", "Sets a key's expiration to a Unix time in seconds.", kKv},
      {"expiretime", 2, "readonly fast", 1, 1, 1, "generic", "Returns a key's expiration as a Unix time in seconds.",
       kKv},
      {"flushall", -1, "write", 0, 0, 0, "server", "Removes every key.", kKv},
      {"flushdb", -1, "write", 0, 0, 0, "server", "Removes every key (there is one database).", kKv},
      {"keys", 2, "readonly", 0, 0, 0, "generic", "Returns the keys that match a glob pattern.", kKv},
      {"memory", -2, "readonly", 0, 0, 0, "server", "MEMORY USAGE key: an estimate of a key's bytes; MEMORY HELP.",
       kKv},
      {"object", -2, "readonly", 0, 0, 0, "generic", "OBJECT ENCODING key: int, embstr or raw; OBJECT HELP.", kKv},
      {"persist", 2, "write fast", 1, 1, 1, "generic", "Removes a key's expiration.", kKv},
      {"pexpire", -3, "write fast", 1, 1, 1, "generic", "Sets a key's time to live in milliseconds.", kKv},
      {"pexpireat", -3, "write fast", 1, 1, 1, "generic", "Sets a key's expiration to a Unix time in milliseconds.",
       kKv},
      {"pexpiretime", 2, "readonly fast", 1, 1, 1, "generic",
       "Returns a key's expiration as a Unix time in milliseconds.", kKv},
      {"pttl", 2, "readonly fast", 1, 1, 1, "generic", "Returns a key's time to live in milliseconds.", kKv},
      {"randomkey", 1, "readonly", 0, 0, 0, "generic", "Returns a random key.", kKv},
      {"rename", 3, "write", 1, 2, 1, "generic", "Renames a key, overwriting the destination.", kKv},
      {"renamenx", 3, "write fast", 1, 2, 1, "generic", "Renames a key only when the new name is free.", kKv},
      {"scan", -2, "readonly", 0, 0, 0, "generic", "Iterates over the keys (MATCH, COUNT, TYPE).", kKv},
      {"ttl", 2, "readonly fast", 1, 1, 1, "generic", "Returns a key's time to live in seconds.", kKv},
      {"type", 2, "readonly fast", 1, 1, 1, "generic", "Returns the type of a key (string or none).", kKv},
      {"unlink", -2, "write fast", 1, -1, 1, "generic", "Deletes one or more keys.", kKv},
      // Transactions.
      {"discard", 1, "noscript loading stale fast allow_busy", 0, 0, 0, "transactions", "Discards a transaction.",
       kTxn},
      {"exec", 1, "noscript loading stale skip_slowlog", 0, 0, 0, "transactions",
       "Executes the queued commands atomically.", kTxn},
      {"multi", 1, "noscript loading stale fast allow_busy", 0, 0, 0, "transactions", "Starts a transaction.", kTxn},
      {"unwatch", 1, "noscript loading stale fast allow_busy", 0, 0, 0, "transactions", "Forgets the watched keys.",
       kTxn},
      {"watch", -2, "noscript loading stale fast allow_busy", 1, -1, 1, "transactions",
       "Watches keys: EXEC aborts if one changes.", kTxn},
      // Served by the node itself.
      {"auth", -2, "noscript loading stale fast no_auth", 0, 0, 0, "connection", "Authenticates (--requirepass).",
       kServer},
      {"client", -2, "", 0, 0, 0, "connection",
       "CLIENT ID, GETNAME, SETNAME, INFO, LIST, KILL, SETINFO, NO-EVICT, NO-TOUCH, HELP.", kServer},
      {"command", -1, "loading stale", 0, 0, 0, "server", "COMMAND, COMMAND COUNT, INFO, DOCS, LIST.", kServer},
      {"config", -2, "", 0, 0, 0, "server", "CONFIG GET, SET (the settable parameters), RESETSTAT, HELP.", kServer},
      {"echo", 2, "fast", 0, 0, 0, "connection", "Returns the given string.", kServer},
      {"hello", -1, "noscript loading stale fast no_auth", 0, 0, 0, "connection", "Handshake (RESP2 only).", kServer},
      {"info", -1, "loading stale", 0, 0, 0, "server",
       "Server, Clients, Memory, CPU, Stats, Persistence, Replication, Commandstats, Keyspace.", kServer},
      {"member", -2, "admin", 0, 0, 0, "cluster",
       "MEMBER ADD id host:peerport, REMOVE id, LIST, HELP: raft membership changes, one member at a time.", kServer},
      {"ping", -1, "fast", 0, 0, 0, "connection", "Returns PONG, or the given string.", kServer},
      {"quit", -1, "noscript loading stale fast no_auth", 0, 0, 0, "connection", "Closes the connection.", kServer},
      {"select", 2, "loading stale fast", 0, 0, 0, "connection", "Selects database 0 (the only one).", kServer},
      {"shutdown", -1, "admin noscript loading stale", 0, 0, 0, "server", "Stops the node.", kServer},
      {"time", 1, "loading stale fast", 0, 0, 0, "server", "Returns the server's wall-clock time.", kServer},
  };
  std::sort(t.begin(), t.end(), [](const CommandSpec& a, const CommandSpec& b) { return a.name < b.name; });
  for (size_t i = 1; i < t.size(); ++i) KV_ASSERT(t[i - 1].name < t[i].name);  // no name twice
  return t;
}

}  // namespace

const std::vector<CommandSpec>& CommandTable() {
  static const std::vector<CommandSpec> table = Build();
  return table;
}

namespace {

// An open-addressed table over the command names, hashed with ASCII case folded so that a
// request's name is looked up as it came (GET, Get, get), with no lower-case copy. It runs for
// every request: a hash of the name, not a binary search of string compares.
class CommandIndex {
 public:
  explicit CommandIndex(const std::vector<CommandSpec>& table) {
    size_t n = 8;
    while (n < table.size() * kSlotsPerCommand) n *= 2;
    slots_.assign(n, nullptr);
    for (const CommandSpec& spec : table) {
      size_t i = FoldedHash(spec.name) & (n - 1);
      while (slots_[i] != nullptr) i = (i + 1) & (n - 1);
      slots_[i] = &spec;
    }
  }

  const CommandSpec* Find(std::string_view name) const {
    const size_t mask = slots_.size() - 1;
    for (size_t i = FoldedHash(name) & mask;; i = (i + 1) & mask) {
      const CommandSpec* spec = slots_[i];
      if (spec == nullptr) return nullptr;  // the table is never full: a probe ends.
      if (EqualsFolded(spec->name, name)) return spec;
    }
  }

 private:
  static constexpr size_t kSlotsPerCommand = 4;  // load factor <= 1/4: probes stay short.

  // FNV-1a over the bytes with bit 0x20 set: an ASCII letter hashes as its lower case, and the
  // table's names (all lower-case letters) are unchanged by it.
  static size_t FoldedHash(std::string_view s) {
    uint64_t h = 14695981039346656037ull;
    for (char c : s) h = (h ^ static_cast<uint8_t>(c | 0x20)) * 1099511628211ull;
    return static_cast<size_t>(h ^ (h >> 29));
  }

  // `lower` (a table name) equals `name` with its ASCII letters lower-cased.
  static bool EqualsFolded(std::string_view lower, std::string_view name) {
    if (lower.size() != name.size()) return false;
    for (size_t i = 0; i < name.size(); ++i) {
      if (lower[i] != absl::ascii_tolower(static_cast<unsigned char>(name[i]))) return false;
    }
    return true;
  }

  std::vector<const CommandSpec*> slots_;
};

}  // namespace

const CommandSpec* FindCommand(std::string_view name) {
  static const CommandIndex* const index = new CommandIndex(CommandTable());
  return index->Find(name);
}

bool ArityOk(const CommandSpec& spec, size_t argc) {
  const int n = static_cast<int>(argc);
  return spec.arity >= 0 ? n == spec.arity : n >= -spec.arity;
}

}  // namespace kvlab::real
