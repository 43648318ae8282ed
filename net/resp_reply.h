// RESP2 reply parser (the client side of the Redis protocol): used by RESP clients (workload
// drivers, tests) to read a server's answers. Replies are parsed whole from the start of the
// buffer: a client calls it again when more bytes arrive.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "net/limits.h"

namespace kvlab::net {

struct RespValue {
  enum class Type { kSimple, kError, kInteger, kBulk, kNil, kArray, kNilArray };
  Type type = Type::kNil;
  std::string str;  // kSimple, kError (e.g. "ERR syntax error", no '-'), kBulk.
  int64_t integer = 0;
  std::vector<RespValue> elements;  // kArray.

  bool IsError() const { return type == Type::kError; }
  bool operator==(const RespValue&) const = default;
};

inline constexpr int kMaxReplyDepth = 32;

// Parses one reply from the start of `in`. Returns:
//   OK with *consumed > 0 and *out filled: a whole reply was read;
//   OK with *consumed == 0: the reply is incomplete, call again with more bytes;
//   InvalidArgument: the bytes are not RESP2 (or nest deeper than kMaxReplyDepth, or a length is
//   above max_bulk_bytes); the connection is unusable.
absl::Status ParseReply(std::string_view in, size_t* consumed, RespValue* out,
                        size_t max_bulk_bytes = kDefaultMaxBulkBytes);

}  // namespace kvlab::net
