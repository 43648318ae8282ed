#include "real/kv_commands.h"

#include <charconv>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "core/kv/kv_state.h"
#include "net/resp_writer.h"
#include "real/command_table.h"
#include "real/kv_parse.h"

namespace kvlab::real {
namespace {

using core::Command;
using core::Op;

absl::Status Error(std::string text) { return RespError(std::move(text)); }

bool ParseInt64(std::string_view s, int64_t* v) { return ParseRedisInteger(s, v); }

Command OfOp(Op op) {
  Command c;
  c.op = op;
  return c;
}

Command WithKeys(Op op, std::vector<std::string>& args, size_t first) {
  Command c;
  c.op = op;
  c.keys.reserve(args.size() - first);
  for (size_t i = first; i < args.size(); ++i) c.keys.push_back(std::move(args[i]));
  return c;
}

// SET key value [NX|XX] [GET] [EX s|PX ms|EXAT t|PXAT t|KEEPTTL]: every option is read before
// the expiry's value (Redis: a syntax error wins over a bad number). Without GET and KEEPTTL it
// is a plain kPut (the command workloads and old logs use); with them, kPutX.
absl::StatusOr<Command> ParseSet(std::vector<std::string>& args, int64_t now_ms) {
  if (args.size() < 3) return Error(ArityError("set"));
  if (args.size() == 3) return Command::Put(std::move(args[1]), std::move(args[2]));  // no options: the usual SET.
  StringOptions o;
  if (absl::Status s = ParseStringOptions(args, 3, /*set=*/true, &o); !s.ok()) return s;
  int64_t expire_at_ms = 0;
  if (!o.unit.empty()) {
    absl::StatusOr<int64_t> at = ExpireDeadline(o.unit, args[o.expire_arg], now_ms, "set");
    if (!at.ok()) return at.status();
    expire_at_ms = *at;
  }
  Command c = Command::Put(std::move(args[1]), std::move(args[2]));
  c.condition = o.nx   ? core::PutCondition::kIfAbsent
                : o.xx ? core::PutCondition::kIfPresent
                       : core::PutCondition::kAlways;
  c.expire_at_ms = expire_at_ms;
  if (o.get || o.keepttl) {
    c.op = Op::kPutX;
    c.flags = (o.get ? core::kPutGet : 0u) | (o.keepttl ? core::kPutKeepTtl : 0u);
  }
  return c;
}

absl::StatusOr<Command> ParseIncrBy(std::string_view name, std::vector<std::string>& args) {
  const bool by = name == "incrby" || name == "decrby";
  if (args.size() != (by ? 3u : 2u)) return Error(ArityError(name));
  int64_t delta = 1;
  if (by && !ParseInt64(args[2], &delta)) return Error(kNotInteger);
  if (name[0] == 'd') {
    if (delta == std::numeric_limits<int64_t>::min()) return Error("ERR decrement would overflow");
    delta = -delta;
  }
  Command c;
  c.op = Op::kIncr;
  c.keys.push_back(std::move(args[1]));
  c.delta = delta;
  return c;
}

absl::StatusOr<Command> ParseSetEx(std::string_view name, std::vector<std::string>& args, int64_t now_ms) {
  if (args.size() != 4) return Error(ArityError(name));
  absl::StatusOr<int64_t> at = ExpireDeadline(name == "setex" ? "ex" : "px", args[2], now_ms, name);
  if (!at.ok()) return at.status();
  Command c = Command::Put(std::move(args[1]), std::move(args[3]));
  c.expire_at_ms = *at;
  return c;
}

}  // namespace

std::string ArityError(std::string_view name) {
  return absl::StrCat("ERR wrong number of arguments for '", std::string(name), "' command");
}

bool ParseRedisInteger(std::string_view s, int64_t* v) { return core::ParseRedisInt(s, v); }

absl::Status ParseStringOptions(const std::vector<std::string>& args, size_t first, bool set, StringOptions* o) {
  for (size_t j = first; j < args.size(); ++j) {
    const std::string opt = absl::AsciiStrToLower(args[j]);
    const bool timed = !o->unit.empty(), has_next = j + 1 < args.size();
    if (opt == "nx" && set && !o->xx) {
      o->nx = true;
    } else if (opt == "xx" && set && !o->nx) {
      o->xx = true;
    } else if (opt == "get" && set) {
      o->get = true;
    } else if (opt == "keepttl" && set && !timed) {
      o->keepttl = true;
    } else if (opt == "persist" && !set && !timed) {
      o->persist = true;
    } else if ((opt == "ex" || opt == "px" || opt == "exat" || opt == "pxat") && !o->keepttl && !o->persist &&
               (!timed || o->unit == opt) && has_next) {
      o->unit = opt;
      o->expire_arg = ++j;
    } else {
      return RespError(kSyntaxError);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> ExpireDeadline(std::string_view unit, std::string_view value, int64_t now_ms,
                                       std::string_view cmd) {
  int64_t v = 0;
  if (!ParseRedisInteger(value, &v)) return RespError(kNotInteger);
  const std::string invalid = absl::StrCat("ERR invalid expire time in '", std::string(cmd), "' command");
  const bool seconds = unit == "ex" || unit == "exat";
  if (v <= 0 || (seconds && v > std::numeric_limits<int64_t>::max() / 1000)) return RespError(invalid);
  if (seconds) v *= 1000;
  if (unit == "ex" || unit == "px") {
    if (v > std::numeric_limits<int64_t>::max() - now_ms) return RespError(invalid);
    v += now_ms;
  }
  return v;
}

bool IsKvCommand(std::string_view n) {
  const CommandSpec* spec = FindCommand(n);
  return spec != nullptr && spec->kind == CommandKind::kKv;
}

absl::StatusOr<Command> ParseKvCommand(std::string_view name, std::vector<std::string>& args, int64_t now_ms,
                                       uint64_t random) {
  const CommandSpec* spec = FindCommand(name);
  if (spec == nullptr || spec->kind != CommandKind::kKv) return Error(UnknownCommandError(args));
  if (!ArityOk(*spec, args.size())) return Error(ArityError(name));
  return ParseKvCommand(spec, args, now_ms, random);
}

absl::StatusOr<Command> ParseKvCommand(const CommandSpec* spec, std::vector<std::string>& args, int64_t now_ms,
                                       uint64_t random) {
  const std::string_view name = spec->name;
  // The two commands of nearly every request first; the keyspace family answers NotFound for
  // any other, which would cost every GET and SET a failed pass through it.
  if (name == "get") {
    if (args.size() != 2) return Error(ArityError(name));
    return Command::Get(std::move(args[1]));
  }
  if (name == "set") return ParseSet(args, now_ms);
  if (absl::StatusOr<Command> c = ParseKeyspaceCommand(name, args, now_ms, random); !absl::IsNotFound(c.status())) {
    return c;
  }
  if (name == "setex" || name == "psetex") return ParseSetEx(name, args, now_ms);
  if (name == "incr" || name == "decr" || name == "incrby" || name == "decrby") return ParseIncrBy(name, args);
  if (name == "del" || name == "unlink" || name == "exists" || name == "mget") {
    if (args.size() < 2) return Error(ArityError(name));
    return WithKeys(name == "exists" ? Op::kExists : name == "mget" ? Op::kMGet : Op::kDel, args, 1);
  }
  if (name == "mset") {
    if (args.size() < 3 || args.size() % 2 == 0) return Error(ArityError(name));
    Command c;
    c.op = Op::kMSet;
    for (size_t i = 1; i < args.size(); i += 2) {
      c.keys.push_back(std::move(args[i]));
      c.values.push_back(std::move(args[i + 1]));
    }
    return c;
  }
  if (name == "dbsize") {
    if (args.size() != 1) return Error(ArityError(name));
    return OfOp(Op::kDbSize);
  }
  if (name == "flushall" || name == "flushdb") {
    if (args.size() > 2) return Error(ArityError(name));
    if (args.size() == 2) {
      const std::string mode = absl::AsciiStrToLower(args[1]);
      if (mode != "sync" && mode != "async") return Error(kSyntaxError);
    }
    return OfOp(Op::kFlushAll);
  }
  return Error(UnknownCommandError(args));
}

void AppendClientReply(const core::ClientReply& reply, std::string* out) {
  switch (reply.status) {
    case core::ReplyStatus::kOk: break;
    case core::ReplyStatus::kTryAgain: return net::AppendError(out, absl::StrCat("TRYAGAIN ", reply.message));
    case core::ReplyStatus::kBusy: return net::AppendError(out, absl::StrCat("BUSY ", reply.message));
    case core::ReplyStatus::kInvalid: return net::AppendError(out, absl::StrCat("ERR ", reply.message));
    case core::ReplyStatus::kUnknown: return net::AppendError(out, absl::StrCat("UNKNOWN ", reply.message));
  }
  AppendResult(reply.result, out);
}

bool IsQueuingFatalError(std::string_view error) {
  return error.starts_with("ERR wrong number of arguments") || error.starts_with("ERR unknown command");
}

void AppendResult(const core::Result& r, std::string* out) {
  switch (r.kind) {
    case core::ResultKind::kOk: return net::AppendOk(out);
    case core::ResultKind::kNil: return net::AppendNil(out);
    case core::ResultKind::kValue: return net::AppendBulk(out, r.value);
    case core::ResultKind::kInteger: return net::AppendInteger(out, r.integer);
    case core::ResultKind::kError: return net::AppendError(out, r.error);
    case core::ResultKind::kValues:
      net::AppendArrayHeader(out, r.values.size());
      for (const auto& v : r.values) {
        if (v.has_value()) {
          net::AppendBulk(out, *v);
        } else {
          net::AppendNil(out);
        }
      }
      return;
    case core::ResultKind::kResults:
      net::AppendArrayHeader(out, r.results.size());
      for (const core::Result& sub : r.results) AppendResult(sub, out);
      return;
    case core::ResultKind::kNilArray: return net::AppendNilArray(out);
    case core::ResultKind::kStatus: return net::AppendSimpleString(out, r.value);
    case core::ResultKind::kScan:
      net::AppendArrayHeader(out, 2);
      net::AppendBulk(out, absl::StrCat(static_cast<uint64_t>(r.integer)));
      net::AppendArrayHeader(out, r.values.size());
      for (const auto& v : r.values) net::AppendBulk(out, v.value_or(""));
      return;
  }
}

std::string UnknownCommandError(const std::vector<std::string>& args) {
  // Redis: "unknown command '%.128s', with args beginning with: " then "'%.*s' " per argument
  // while the total stays under 128 characters.
  std::string text = absl::StrCat("ERR unknown command '", args[0].substr(0, 128), "', with args beginning with: ");
  size_t budget = 128;
  for (size_t i = 1; i < args.size() && budget > 0; ++i) {
    const std::string a = args[i].substr(0, budget);
    absl::StrAppend(&text, "'", a, "' ");
    budget -= a.size();
  }
  for (char& ch : text) {
    if (ch == '\r' || ch == '\n') ch = ' ';
  }
  return text;
}

}  // namespace kvlab::real
