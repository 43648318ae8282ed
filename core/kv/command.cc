#include "core/kv/command.h"

#include "absl/strings/str_cat.h"
#include "core/constants.h"

namespace kvlab::core {

bool IsReadOnly(Op op) {
  switch (op) {
    case Op::kGet:
    case Op::kExists:
    case Op::kMGet:
    case Op::kDbSize:
    case Op::kTtl:
    case Op::kType:
    case Op::kStrlen:
    case Op::kKeys:
    case Op::kScan:
    case Op::kRandomKey:
    case Op::kObjectEncoding:
    case Op::kMemoryUsage: return true;
    default: return false;
  }
}

const char* OpName(Op op) {
  switch (op) {
    case Op::kGet: return "get";
    case Op::kPut: return "put";
    case Op::kDel: return "del";
    case Op::kExists: return "exists";
    case Op::kIncr: return "incr";
    case Op::kMGet: return "mget";
    case Op::kMSet: return "mset";
    case Op::kDbSize: return "dbsize";
    case Op::kFlushAll: return "flushall";
    case Op::kExec: return "exec";
    case Op::kExpire: return "expire";
    case Op::kPersist: return "persist";
    case Op::kTtl: return "ttl";
    case Op::kType: return "type";
    case Op::kStrlen: return "strlen";
    case Op::kAppend: return "append";
    case Op::kPutX: return "set-get-keepttl-setnx";
    case Op::kGetDel: return "getdel";
    case Op::kGetEx: return "getex";
    case Op::kIncrByFloat: return "incrbyfloat";
    case Op::kKeys: return "keys";
    case Op::kScan: return "scan";
    case Op::kRandomKey: return "randomkey";
    case Op::kRename: return "rename";
    case Op::kCopy: return "copy";
    case Op::kObjectEncoding: return "object-encoding";
    case Op::kMemoryUsage: return "memory-usage";
    case Op::kChangeMembers: return "change_members";
  }
  return "?";
}

Command Command::Get(std::string key) {
  Command c;
  c.op = Op::kGet;
  c.keys.push_back(std::move(key));
  return c;
}

Command Command::Put(std::string key, std::string value) {
  Command c;
  c.op = Op::kPut;
  c.keys.push_back(std::move(key));
  c.values.push_back(std::move(value));
  return c;
}

Command Command::Del(std::string key) {
  Command c;
  c.op = Op::kDel;
  c.keys.push_back(std::move(key));
  return c;
}

size_t TxnBytes(const Command& cmd) {
  size_t n = kMaxTxnCommandOverheadBytes / 2;  // op, condition, expiry, delta, counts.
  for (const std::string& k : cmd.keys) n += k.size() + 5;
  for (const std::string& v : cmd.values) n += v.size() + 5;
  for (const Command& sub : cmd.subs) n += TxnBytes(sub);
  return n;
}

namespace {

absl::Status ValidateExec(const Command& cmd) {
  if (!cmd.values.empty()) return absl::InvalidArgumentError("exec takes no values");
  if (cmd.versions.size() != cmd.keys.size()) return absl::InvalidArgumentError("exec: one version per watched key");
  if (cmd.subs.size() > kMaxTxnCommands) {
    return absl::InvalidArgumentError(
        absl::StrCat("too many commands in a transaction: ", cmd.subs.size(), " > ", kMaxTxnCommands));
  }
  if (TxnBytes(cmd) > kMaxTxnBytes) {
    return absl::InvalidArgumentError(absl::StrCat("transaction too large: more than ", kMaxTxnBytes, " bytes"));
  }
  for (const Command& sub : cmd.subs) {
    if (sub.op == Op::kExec) return absl::InvalidArgumentError("exec: nested exec");
    if (absl::Status s = ValidateCommand(sub); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ValidateChangeMembers(const Command& cmd) {
  const bool add = cmd.keys.size() == 1 && cmd.keys[0] == "add";
  const bool remove = cmd.keys.size() == 1 && cmd.keys[0] == "remove";
  if (!add && !remove) return absl::InvalidArgumentError("a membership change is \"add\" or \"remove\"");
  if (cmd.delta <= 0 || cmd.delta > kMaxNodeId) {
    return absl::InvalidArgumentError(absl::StrCat("member id must be in 1..", kMaxNodeId));
  }
  if (cmd.values.size() != (add ? 1u : 0u)) {
    return absl::InvalidArgumentError("add takes the member's address, remove takes none");
  }
  if (add && cmd.values[0].size() > kMaxMemberAddressBytes) {
    return absl::InvalidArgumentError(absl::StrCat("member address longer than ", kMaxMemberAddressBytes, " bytes"));
  }
  return absl::OkStatus();
}

bool Flagged(Op op) { return static_cast<uint8_t>(op) >= kFirstFlaggedOp; }

// The shape (key and value counts) of the ops from kFirstFlaggedOp on.
absl::Status ValidateFlagged(const Command& cmd) {
  if (cmd.flags > kMaxCommandFlags) return absl::InvalidArgumentError("bad command flags");
  size_t keys = 1, values = 0;
  switch (cmd.op) {
    case Op::kAppend:
    case Op::kPutX:
    case Op::kIncrByFloat: values = 1; break;
    case Op::kKeys: keys = 0, values = 1; break;
    case Op::kScan:
      keys = 0;
      values = ((cmd.flags & kScanMatch) ? 1 : 0) + ((cmd.flags & kScanType) ? 1 : 0);
      if (cmd.delta < 1) return absl::InvalidArgumentError("scan: count must be positive");
      break;
    case Op::kRandomKey: keys = 0; break;
    case Op::kGetEx: values = (cmd.flags & kGetExInvalid) ? 1 : 0; break;
    case Op::kRename:
    case Op::kCopy: keys = 2; break;
    default: break;
  }
  if (cmd.keys.size() != keys || cmd.values.size() != values) {
    return absl::InvalidArgumentError(
        absl::StrCat(OpName(cmd.op), " takes ", keys, " key(s) and ", values, " value(s)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateCommand(const Command& cmd) {
  if (cmd.op != Op::kExec && (!cmd.subs.empty() || !cmd.versions.empty() || cmd.watch_seq != 0)) {
    return absl::InvalidArgumentError("only exec carries sub-commands and versions");
  }
  if (!Flagged(cmd.op) && (cmd.flags != 0 || cmd.arg != 0)) {
    return absl::InvalidArgumentError("this command carries no flags");
  }
  if (cmd.keys.size() > kMaxKeysPerCommand) {
    return absl::InvalidArgumentError(absl::StrCat("too many keys: ", cmd.keys.size(), " > ", kMaxKeysPerCommand));
  }
  for (const std::string& k : cmd.keys) {
    if (k.size() > kMaxKeyBytes) {
      return absl::InvalidArgumentError(absl::StrCat("key too large: ", k.size(), " bytes > ", kMaxKeyBytes));
    }
  }
  for (const std::string& v : cmd.values) {
    if (v.size() > kMaxValueBytes) {
      return absl::InvalidArgumentError(absl::StrCat("value too large: ", v.size(), " bytes > ", kMaxValueBytes));
    }
  }
  size_t want_keys_min = 0, want_values = 0;
  switch (cmd.op) {
    case Op::kGet:
    case Op::kIncr:
      want_keys_min = 1;
      if (cmd.keys.size() != 1) return absl::InvalidArgumentError("command takes exactly one key");
      break;
    case Op::kPut:
      if (cmd.keys.size() != 1 || cmd.values.size() != 1)
        return absl::InvalidArgumentError("put takes one key and one value");
      return absl::OkStatus();
    case Op::kMSet:
      if (cmd.keys.empty() || cmd.keys.size() != cmd.values.size())
        return absl::InvalidArgumentError("mset takes key/value pairs");
      return absl::OkStatus();
    case Op::kDel:
    case Op::kExists:
    case Op::kMGet: want_keys_min = 1; break;
    case Op::kExec: return ValidateExec(cmd);
    case Op::kChangeMembers: return ValidateChangeMembers(cmd);
    case Op::kDbSize:
    case Op::kFlushAll:
      if (!cmd.keys.empty()) return absl::InvalidArgumentError("command takes no keys");
      break;
    default: return ValidateFlagged(cmd);
  }
  if (cmd.keys.size() < want_keys_min) return absl::InvalidArgumentError("command needs at least one key");
  if (cmd.values.size() != want_values) return absl::InvalidArgumentError("command takes no values");
  return absl::OkStatus();
}

namespace {

// One layout, run by a ByteCounter to size the room and by a SpanWriter to fill it.
template <typename Writer>
void EncodeCommandTo(const Command& cmd, Writer& w) {
  w.U8(static_cast<uint8_t>(cmd.op));
  w.U8(static_cast<uint8_t>(cmd.condition));
  w.I64(cmd.expire_at_ms);
  w.I64(cmd.delta);
  w.VarU64(cmd.keys.size());
  for (const std::string& k : cmd.keys) w.Bytes(k);
  w.VarU64(cmd.values.size());
  for (const std::string& v : cmd.values) w.Bytes(v);
  // Op-dependent tails: kExec's, and the flags of newer ops (older records have neither, so they
  // decode unchanged).
  if (Flagged(cmd.op)) {
    w.VarU64(cmd.flags);
    w.U64(cmd.arg);
  }
  if (cmd.op == Op::kExec) {
    w.VarU64(cmd.subs.size());
    for (const Command& sub : cmd.subs) EncodeCommandTo(sub, w);
    w.VarU64(cmd.versions.size());
    for (uint64_t v : cmd.versions) w.U64(v);
    w.U64(cmd.watch_seq);
  }
}

}  // namespace

void EncodeCommand(const Command& cmd, ByteWriter& w) {
  ByteCounter counter;
  EncodeCommandTo(cmd, counter);
  SpanWriter span(w.Extend(counter.bytes()), counter.bytes());
  EncodeCommandTo(cmd, span);
  KV_ASSERT(span.full());
}

namespace {

absl::StatusOr<Command> DecodeCommandAt(ByteReader& r, bool nested);

absl::Status DecodeFlags(ByteReader& r, Command& cmd) {
  uint64_t flags;
  if (!r.VarU64(&flags) || flags > kMaxCommandFlags) return absl::DataLossError("command: bad flags");
  cmd.flags = static_cast<uint32_t>(flags);
  if (!r.U64(&cmd.arg)) return absl::DataLossError("command: truncated argument");
  return absl::OkStatus();
}

absl::Status DecodeExecTail(ByteReader& r, Command& cmd) {
  uint64_t nsubs;
  // Each sub-command takes at least its fixed header: a larger count is a lie.
  if (!r.VarU64(&nsubs) || nsubs > kMaxTxnCommands || nsubs > r.remaining() / 18) {
    return absl::DataLossError("command: bad transaction size");
  }
  cmd.subs.reserve(nsubs);
  for (uint64_t i = 0; i < nsubs; ++i) {
    absl::StatusOr<Command> sub = DecodeCommandAt(r, /*nested=*/true);
    if (!sub.ok()) return sub.status();
    cmd.subs.push_back(*std::move(sub));
  }
  uint64_t nversions;
  // One version per watched key (KvState indexes them by key).
  if (!r.VarU64(&nversions) || nversions != cmd.keys.size()) return absl::DataLossError("command: bad watch versions");
  cmd.versions.resize(nversions);
  for (uint64_t& v : cmd.versions) {
    if (!r.U64(&v)) return absl::DataLossError("command: truncated watch versions");
  }
  if (!r.U64(&cmd.watch_seq)) return absl::DataLossError("command: truncated watch sequence");
  return absl::OkStatus();
}

// `nested`: inside an exec, where one level only is allowed (a nested exec is corruption, and would let crafted bytes
// recurse without bound).
absl::StatusOr<Command> DecodeCommandAt(ByteReader& r, bool nested) {
  Command cmd;
  uint8_t op, cond;
  uint64_t nkeys, nvalues;
  if (!r.U8(&op) || op == 0 || op > kMaxOp) return absl::DataLossError("command: bad op");
  if (nested && op == static_cast<uint8_t>(Op::kExec)) {
    return absl::DataLossError("command: nested exec");
  }
  if (!r.U8(&cond) || cond > 2) return absl::DataLossError("command: bad put condition");
  cmd.op = static_cast<Op>(op);
  cmd.condition = static_cast<PutCondition>(cond);
  if (!r.I64(&cmd.expire_at_ms) || !r.I64(&cmd.delta)) return absl::DataLossError("command: truncated header");
  // Each key costs at least one byte, so a count above the remaining bytes is a lie: refuse it
  // before reserving memory for it.
  if (!r.VarU64(&nkeys) || nkeys > kMaxKeysPerCommand || nkeys > r.remaining()) {
    return absl::DataLossError("command: bad key count");
  }
  cmd.keys.resize(nkeys);
  for (std::string& k : cmd.keys) {
    if (!r.Bytes(&k, kMaxKeyBytes)) return absl::DataLossError("command: bad key");
  }
  if (!r.VarU64(&nvalues) || nvalues > kMaxKeysPerCommand || nvalues > r.remaining()) {
    return absl::DataLossError("command: bad value count");
  }
  cmd.values.resize(nvalues);
  for (std::string& v : cmd.values) {
    if (!r.Bytes(&v, kMaxValueBytes)) return absl::DataLossError("command: bad value");
  }
  if (Flagged(cmd.op)) {
    if (absl::Status s = DecodeFlags(r, cmd); !s.ok()) return s;
  }
  if (cmd.op == Op::kExec) {
    if (absl::Status s = DecodeExecTail(r, cmd); !s.ok()) return s;
  }
  return cmd;
}

}  // namespace

absl::StatusOr<Command> DecodeCommand(ByteReader& r) { return DecodeCommandAt(r, /*nested=*/false); }

void EncodeResult(const Result& res, ByteWriter& w) {
  w.U8(static_cast<uint8_t>(res.kind));
  switch (res.kind) {
    case ResultKind::kOk:
    case ResultKind::kNil: break;
    case ResultKind::kValue: w.Bytes(res.value); break;
    case ResultKind::kInteger: w.I64(res.integer); break;
    case ResultKind::kValues:
      w.VarU64(res.values.size());
      for (const auto& v : res.values) {
        w.U8(v.has_value() ? 1 : 0);
        if (v) w.Bytes(*v);
      }
      break;
    case ResultKind::kError: w.Bytes(res.error); break;
    case ResultKind::kResults:
      w.VarU64(res.results.size());
      for (const Result& sub : res.results) EncodeResult(sub, w);
      break;
    case ResultKind::kNilArray: break;
    case ResultKind::kStatus: w.Bytes(res.value); break;
    case ResultKind::kScan:
      w.I64(res.integer);
      w.VarU64(res.values.size());
      for (const auto& v : res.values) w.Bytes(v.value_or(""));
      break;
  }
}

namespace {

// `nested`: inside a kResults, where another kResults is corruption (one level only).
absl::StatusOr<Result> DecodeResultAt(ByteReader& r, bool nested) {
  Result res;
  uint8_t kind;
  if (!r.U8(&kind) || kind == 0 || kind > static_cast<uint8_t>(ResultKind::kScan) ||
      (nested && kind == static_cast<uint8_t>(ResultKind::kResults))) {
    return absl::DataLossError("result: bad kind");
  }
  res.kind = static_cast<ResultKind>(kind);
  switch (res.kind) {
    case ResultKind::kOk:
    case ResultKind::kNil:
    case ResultKind::kNilArray: return res;
    case ResultKind::kResults: {
      uint64_t n;
      if (!r.VarU64(&n) || n > kMaxTxnCommands || n > r.remaining()) return absl::DataLossError("result: bad count");
      res.results.reserve(n);
      for (uint64_t i = 0; i < n; ++i) {
        absl::StatusOr<Result> sub = DecodeResultAt(r, /*nested=*/true);
        if (!sub.ok()) return sub.status();
        res.results.push_back(*std::move(sub));
      }
      return res;
    }
    case ResultKind::kValue:
    case ResultKind::kStatus:
      if (!r.Bytes(&res.value, kMaxValueBytes)) return absl::DataLossError("result: bad value");
      return res;
    case ResultKind::kScan: {
      uint64_t n;
      if (!r.I64(&res.integer) || !r.VarU64(&n) || n > kMaxKeysPerCommand || n > r.remaining()) {
        return absl::DataLossError("result: bad scan page");
      }
      res.values.resize(n);
      for (auto& v : res.values) {
        v.emplace();
        if (!r.Bytes(&*v, kMaxKeyBytes)) return absl::DataLossError("result: bad key");
      }
      return res;
    }
    case ResultKind::kInteger:
      if (!r.I64(&res.integer)) return absl::DataLossError("result: bad integer");
      return res;
    case ResultKind::kError:
      if (!r.Bytes(&res.error, kMaxKeyBytes)) return absl::DataLossError("result: bad error text");
      return res;
    case ResultKind::kValues: {
      uint64_t n;
      if (!r.VarU64(&n) || n > kMaxKeysPerCommand || n > r.remaining()) return absl::DataLossError("result: bad count");
      res.values.resize(n);
      for (auto& v : res.values) {
        uint8_t present;
        if (!r.U8(&present) || present > 1) return absl::DataLossError("result: bad presence flag");
        if (present) {
          v.emplace();
          if (!r.Bytes(&*v, kMaxValueBytes)) return absl::DataLossError("result: bad value");
        }
      }
      return res;
    }
  }
  return absl::DataLossError("result: bad kind");
}

}  // namespace

absl::StatusOr<Result> DecodeResult(ByteReader& r) { return DecodeResultAt(r, /*nested=*/false); }

}  // namespace kvlab::core
