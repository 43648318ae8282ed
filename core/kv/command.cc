#include "core/kv/command.h"

#include "absl/strings/str_cat.h"
#include "core/constants.h"

namespace kvlab::core {

bool IsReadOnly(Op op) {
  switch (op) {
    case Op::kGet:
    case Op::kExists:
    case Op::kMGet:
    case Op::kDbSize: return true;
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

absl::Status ValidateCommand(const Command& cmd) {
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
    case Op::kDbSize:
    case Op::kFlushAll:
      if (!cmd.keys.empty()) return absl::InvalidArgumentError("command takes no keys");
      break;
  }
  if (cmd.keys.size() < want_keys_min) return absl::InvalidArgumentError("command needs at least one key");
  if (cmd.values.size() != want_values) return absl::InvalidArgumentError("command takes no values");
  return absl::OkStatus();
}

void EncodeCommand(const Command& cmd, ByteWriter& w) {
  w.U8(static_cast<uint8_t>(cmd.op));
  w.U8(static_cast<uint8_t>(cmd.condition));
  w.I64(cmd.expire_at_ms);
  w.I64(cmd.delta);
  w.VarU64(cmd.keys.size());
  for (const std::string& k : cmd.keys) w.Bytes(k);
  w.VarU64(cmd.values.size());
  for (const std::string& v : cmd.values) w.Bytes(v);
}

absl::StatusOr<Command> DecodeCommand(ByteReader& r) {
  Command cmd;
  uint8_t op, cond;
  uint64_t nkeys, nvalues;
  if (!r.U8(&op) || op == 0 || op > kMaxOp) return absl::DataLossError("command: bad op");
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
  return cmd;
}

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
  }
}

absl::StatusOr<Result> DecodeResult(ByteReader& r) {
  Result res;
  uint8_t kind;
  if (!r.U8(&kind) || kind == 0 || kind > static_cast<uint8_t>(ResultKind::kError)) {
    return absl::DataLossError("result: bad kind");
  }
  res.kind = static_cast<ResultKind>(kind);
  switch (res.kind) {
    case ResultKind::kOk:
    case ResultKind::kNil: return res;
    case ResultKind::kValue:
      if (!r.Bytes(&res.value, kMaxValueBytes)) return absl::DataLossError("result: bad value");
      return res;
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

}  // namespace kvlab::core
