#include "real/kv_commands.h"

#include <charconv>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "net/resp_writer.h"

namespace kvlab::real {
namespace {

using core::Command;
using core::Op;

constexpr char kSyntaxError[] = "ERR syntax error";
constexpr char kNotInteger[] = "ERR value is not an integer or out of range";

absl::Status Error(std::string text) { return absl::InvalidArgumentError(std::move(text)); }

bool ParseInt64(std::string_view s, int64_t* v) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
  return !s.empty() && ec == std::errc() && p == s.data() + s.size();
}

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

// EX/PX/EXAT/PXAT value -> absolute expiry in ms; Redis's texts for bad values.
absl::StatusOr<int64_t> ExpireAt(std::string_view unit, std::string_view value, int64_t now_ms, std::string_view cmd) {
  int64_t v = 0;
  if (!ParseInt64(value, &v)) return Error(kNotInteger);
  const int64_t kMax = std::numeric_limits<int64_t>::max() / 1000 - now_ms;  // no overflow below.
  if (v <= 0 || v > kMax) return Error(absl::StrCat("ERR invalid expire time in '", std::string(cmd), "' command"));
  if (unit == "ex") return now_ms + v * 1000;
  if (unit == "px") return now_ms + v;
  if (unit == "exat") return v * 1000;
  return v;  // pxat
}

absl::StatusOr<Command> ParseSet(std::vector<std::string>& args, int64_t now_ms) {
  if (args.size() < 3) return Error(ArityError("set"));
  Command c = Command::Put(std::move(args[1]), std::move(args[2]));
  bool has_expiry = false;
  for (size_t i = 3; i < args.size(); ++i) {
    const std::string opt = absl::AsciiStrToLower(args[i]);
    if (opt == "nx" && c.condition == core::PutCondition::kAlways) {
      c.condition = core::PutCondition::kIfAbsent;
    } else if (opt == "xx" && c.condition == core::PutCondition::kAlways) {
      c.condition = core::PutCondition::kIfPresent;
    } else if ((opt == "ex" || opt == "px" || opt == "exat" || opt == "pxat") && !has_expiry && i + 1 < args.size()) {
      absl::StatusOr<int64_t> at = ExpireAt(opt, args[++i], now_ms, "set");
      if (!at.ok()) return at.status();
      c.expire_at_ms = *at;
      has_expiry = true;
    } else {
      return Error(kSyntaxError);  // includes KEEPTTL and GET, which the store does not offer.
    }
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
  absl::StatusOr<int64_t> at = ExpireAt(name == "setex" ? "ex" : "px", args[2], now_ms, name);
  if (!at.ok()) return at.status();
  Command c = Command::Put(std::move(args[1]), std::move(args[3]));
  c.expire_at_ms = *at;
  return c;
}

}  // namespace

std::string ArityError(std::string_view name) {
  return absl::StrCat("ERR wrong number of arguments for '", std::string(name), "' command");
}

bool IsKvCommand(std::string_view n) {
  return n == "get" || n == "set" || n == "del" || n == "unlink" || n == "exists" || n == "mget" || n == "mset" ||
         n == "incr" || n == "decr" || n == "incrby" || n == "decrby" || n == "dbsize" || n == "flushall" ||
         n == "flushdb" || n == "setex" || n == "psetex";
}

absl::StatusOr<Command> ParseKvCommand(std::string_view name, std::vector<std::string>& args, int64_t now_ms) {
  if (name == "get") {
    if (args.size() != 2) return Error(ArityError(name));
    return Command::Get(std::move(args[1]));
  }
  if (name == "set") return ParseSet(args, now_ms);
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
