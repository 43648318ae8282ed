// Incremental RESP2 request parser (the server side of the Redis protocol).
//
// Accepts multibulk requests (`*N\r\n$len\r\n...`) and inline requests (a bare `PING\r\n`, split
// like redis-cli's sdssplitargs, quotes included). Bytes may arrive in any split: the parser keeps
// its position inside a request between calls, so a large bulk string is scanned once, not once
// per read. Bulk strings are binary safe. Limits and error texts follow Redis (networking.c).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "net/limits.h"

namespace kvlab::net {

class RespRequestParser {
 public:
  enum class State {
    kNeedMore,  // every complete piece was consumed; call again with more bytes.
    kRequest,   // one whole request is in args(), valid until the next Parse call.
    kError,     // protocol error: error() holds Redis's text; the connection must be closed.
  };

  explicit RespRequestParser(size_t max_bulk_bytes = kDefaultMaxBulkBytes);

  // Parses from `in`, the connection's unconsumed bytes. *consumed is set to the number of bytes
  // the caller must drop from the front of its buffer (also on kNeedMore: finished headers and
  // bulks are remembered here, so the caller never re-feeds them). After kError, do not call again.
  State Parse(std::string_view in, size_t* consumed);

  std::vector<std::string>& args() { return args_; }
  // E.g. "Protocol error: invalid bulk length" (the client sees it as "-ERR <error>").
  const std::string& error() const { return error_; }
  // Bytes still missing for the bulk string being read (0 if none): lets the caller size reads.
  size_t PendingBulkBytes() const { return bulk_len_ < 0 ? 0 : static_cast<size_t>(bulk_len_) + 2; }
  // True when the parser is between requests (nothing partial remembered).
  bool Idle() const { return remaining_args_ < 0; }

 private:
  State ParseInline(std::string_view in, size_t* pos);
  State ParseMultibulkHeader(std::string_view in, size_t* pos);
  State ParseBulkHeader(std::string_view in, size_t* pos);
  State Fail(std::string error);

  const size_t max_bulk_bytes_;
  std::vector<std::string> args_;
  std::string error_;
  int64_t remaining_args_ = -1;  // -1: between requests.
  int64_t bulk_len_ = -1;        // -1: the next thing is a `$len` header.
  size_t request_bytes_ = 0;     // bulk bytes of the current request, against kMaxRequestBytes.
};

// Splits an inline request line into arguments like Redis's sdssplitargs: whitespace separates,
// "double quotes" understand \n \r \t \b \a \\ \" \xHH, 'single quotes' understand \'.
// Returns false on unbalanced quotes.
bool SplitInlineArgs(std::string_view line, std::vector<std::string>* args);

}  // namespace kvlab::net
