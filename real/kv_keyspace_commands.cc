// Parsers of the Redis commands added for issue 12, with Redis 7.0's argument checks and error
// texts (the differential test, tests/real/redis_diff_check.py, compares them with redis-server).
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/kv/kv_state.h"
#include "real/kv_commands.h"
#include "real/kv_parse.h"

namespace kvlab::real {
namespace {

using core::Command;
using core::Op;

constexpr int64_t kInt64Max = std::numeric_limits<int64_t>::max();
constexpr int64_t kInt64Min = std::numeric_limits<int64_t>::min();

Command KeyCommand(Op op, std::vector<std::string>& args, size_t nkeys) {
  Command c;
  c.op = op;
  for (size_t i = 1; i <= nkeys; ++i) c.keys.push_back(std::move(args[i]));
  return c;
}

// EXPIRE/PEXPIRE/EXPIREAT/PEXPIREAT key time [NX|XX|GT|LT ...] (Redis expireGenericCommand):
// options first, then the time; negative times are allowed (they remove the key).
absl::StatusOr<Command> ParseExpire(std::string_view name, std::vector<std::string>& args, int64_t now_ms) {
  uint32_t flags = 0;
  for (size_t j = 3; j < args.size(); ++j) {
    const std::string opt = absl::AsciiStrToLower(args[j]);
    if (opt == "nx") {
      flags |= core::kExpireNx;
    } else if (opt == "xx") {
      flags |= core::kExpireXx;
    } else if (opt == "gt") {
      flags |= core::kExpireGt;
    } else if (opt == "lt") {
      flags |= core::kExpireLt;
    } else {
      return RespError(absl::StrCat("ERR Unsupported option ", args[j]));
    }
  }
  if ((flags & core::kExpireNx) && (flags & (core::kExpireXx | core::kExpireGt | core::kExpireLt))) {
    return RespError("ERR NX and XX, GT or LT options at the same time are not compatible");
  }
  if ((flags & core::kExpireGt) && (flags & core::kExpireLt)) {
    return RespError("ERR GT and LT options at the same time are not compatible");
  }
  int64_t when;
  if (!ParseRedisInteger(args[2], &when)) return RespError(kNotInteger);
  const std::string invalid = absl::StrCat("ERR invalid expire time in '", std::string(name), "' command");
  if (name == "expire" || name == "expireat") {
    if (when > kInt64Max / 1000 || when < kInt64Min / 1000) return RespError(invalid);
    when *= 1000;
  }
  const int64_t base = name == "expire" || name == "pexpire" ? now_ms : 0;
  if (when > kInt64Max - base) return RespError(invalid);
  Command c = KeyCommand(Op::kExpire, args, 1);
  c.expire_at_ms = when + base;
  c.flags = flags;
  return c;
}

absl::StatusOr<Command> ParseGetEx(std::vector<std::string>& args, int64_t now_ms) {
  StringOptions o;
  if (absl::Status s = ParseStringOptions(args, 2, /*set=*/false, &o); !s.ok()) return s;
  if (!o.persist && o.unit.empty()) return Command::Get(std::move(args[1]));  // plain GETEX is GET.
  Command c = KeyCommand(Op::kGetEx, args, 1);
  if (o.persist) {
    c.flags = core::kGetExPersist;
    return c;
  }
  absl::StatusOr<int64_t> at = ExpireDeadline(o.unit, args[o.expire_arg], now_ms, "getex");
  if (!at.ok()) {  // an error only if the key exists (Redis looks it up first): decided when applied
    c.flags = core::kGetExInvalid;
    c.values.push_back(std::string(at.status().message()));
    return c;
  }
  c.flags = core::kGetExSet;
  c.expire_at_ms = *at;
  return c;
}

// SCAN cursor [MATCH pattern] [COUNT n] [TYPE type] (Redis scanGenericCommand).
absl::StatusOr<Command> ParseScan(std::vector<std::string>& args) {
  Command c;
  c.op = Op::kScan;
  c.delta = 10;  // Redis's default COUNT
  char* end = nullptr;
  errno = 0;
  c.arg = std::strtoul(args[1].c_str(), &end, 10);
  if ((!args[1].empty() && std::isspace(static_cast<unsigned char>(args[1][0]))) || *end != '\0' || errno == ERANGE) {
    return RespError("ERR invalid cursor");
  }
  std::string pattern, type;
  for (size_t i = 2; i < args.size(); i += 2) {
    const std::string opt = absl::AsciiStrToLower(args[i]);
    if (i + 1 >= args.size()) return RespError(kSyntaxError);
    if (opt == "count") {
      if (!ParseRedisInteger(args[i + 1], &c.delta)) return RespError(kNotInteger);
      if (c.delta < 1) return RespError(kSyntaxError);
    } else if (opt == "match") {
      pattern = args[i + 1];
      c.flags |= core::kScanMatch;
    } else if (opt == "type") {
      type = absl::AsciiStrToLower(args[i + 1]);
      c.flags |= core::kScanType;
    } else {
      return RespError(kSyntaxError);
    }
  }
  if (c.flags & core::kScanMatch) c.values.push_back(std::move(pattern));
  if (c.flags & core::kScanType) c.values.push_back(std::move(type));
  return c;
}

// COPY source destination [DB 0] [REPLACE] (Redis copyCommand; kvlab has database 0 only).
absl::StatusOr<Command> ParseCopy(std::vector<std::string>& args) {
  uint32_t flags = 0;
  for (size_t j = 3; j < args.size(); ++j) {
    const std::string opt = absl::AsciiStrToLower(args[j]);
    if (opt == "replace") {
      flags |= core::kCopyReplace;
    } else if (opt == "db" && j + 1 < args.size()) {
      int64_t db;
      if (!ParseRedisInteger(args[++j], &db)) return RespError(kNotInteger);
      if (db != 0) return RespError("ERR DB index is out of range");
    } else {
      return RespError(kSyntaxError);
    }
  }
  Command c = KeyCommand(Op::kCopy, args, 2);
  c.flags = flags;
  return c;
}

absl::StatusOr<Command> ParseObject(std::vector<std::string>& args) {
  const std::string sub = absl::AsciiStrToLower(args[1]);
  if (sub == "encoding") {
    if (args.size() != 3) return RespError(ArityError("object|encoding"));
    Command c;
    c.op = Op::kObjectEncoding;
    c.keys.push_back(std::move(args[2]));
    return c;
  }
  return RespError(absl::StrCat("ERR unknown subcommand '", args[1].substr(0, 128), "'. Try OBJECT HELP."));
}

absl::StatusOr<Command> ParseMemory(std::vector<std::string>& args) {
  const std::string sub = absl::AsciiStrToLower(args[1]);
  if (sub != "usage") {
    return RespError(absl::StrCat("ERR unknown subcommand '", args[1].substr(0, 128), "'. Try MEMORY HELP."));
  }
  if (args.size() < 3) return RespError(ArityError("memory|usage"));
  for (size_t j = 3; j < args.size(); j += 2) {
    int64_t samples;
    if (absl::AsciiStrToLower(args[j]) != "samples" || j + 1 >= args.size()) return RespError(kSyntaxError);
    if (!ParseRedisInteger(args[j + 1], &samples)) return RespError(kNotInteger);
    if (samples < 0) return RespError(kSyntaxError);
  }
  Command c;
  c.op = Op::kMemoryUsage;
  c.keys.push_back(std::move(args[2]));
  return c;
}

absl::StatusOr<Command> ParsePutX(std::string_view name, std::vector<std::string>& args) {
  Command c = Command::Put(std::move(args[1]), std::move(args[2]));
  c.op = Op::kPutX;
  if (name == "setnx") {
    c.condition = core::PutCondition::kIfAbsent;
    c.flags = core::kPutReplyInt;
  } else {
    c.flags = core::kPutGet;  // GETSET
  }
  return c;
}

}  // namespace

absl::StatusOr<Command> ParseKeyspaceCommand(std::string_view name, std::vector<std::string>& args, int64_t now_ms,
                                             uint64_t random) {
  if (name == "expire" || name == "pexpire" || name == "expireat" || name == "pexpireat") {
    return ParseExpire(name, args, now_ms);
  }
  if (name == "ttl" || name == "pttl" || name == "expiretime" || name == "pexpiretime") {
    Command c = KeyCommand(Op::kTtl, args, 1);
    c.flags = (name[0] == 'p' ? core::kTtlMillis : 0u) | (name.ends_with("time") ? core::kTtlAbsolute : 0u);
    return c;
  }
  if (name == "persist") return KeyCommand(Op::kPersist, args, 1);
  if (name == "type") return KeyCommand(Op::kType, args, 1);
  if (name == "strlen") return KeyCommand(Op::kStrlen, args, 1);
  if (name == "getdel") return KeyCommand(Op::kGetDel, args, 1);
  if (name == "getex") return ParseGetEx(args, now_ms);
  if (name == "append" || name == "incrbyfloat") {
    Command c = KeyCommand(name == "append" ? Op::kAppend : Op::kIncrByFloat, args, 1);
    c.values.push_back(std::move(args[2]));
    return c;
  }
  if (name == "setnx" || name == "getset") return ParsePutX(name, args);
  if (name == "keys") {
    Command c;
    c.op = Op::kKeys;
    c.values.push_back(std::move(args[1]));
    return c;
  }
  if (name == "scan") return ParseScan(args);
  if (name == "randomkey") {
    Command c;
    c.op = Op::kRandomKey;
    c.arg = random;
    return c;
  }
  if (name == "rename" || name == "renamenx") {
    Command c = KeyCommand(Op::kRename, args, 2);
    if (name == "renamenx") c.condition = core::PutCondition::kIfAbsent;
    return c;
  }
  if (name == "copy") return ParseCopy(args);
  if (name == "object") return ParseObject(args);
  if (name == "memory") return ParseMemory(args);
  return absl::NotFoundError("not a keyspace command");
}

}  // namespace kvlab::real
