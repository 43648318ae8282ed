// libFuzzer target for the RESP codecs (untrusted bytes from any client or server): the request
// parser, fed the input whole and in pieces, must agree with itself and never crash; the reply
// parser must never crash or over-read.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/assert.h"
#include "net/resp_parser.h"
#include "net/resp_reply.h"

namespace {

using kvlab::net::RespRequestParser;

// Returns the requests parsed from `input` fed `chunk` bytes at a time, then the error if any.
std::vector<std::vector<std::string>> ParseAll(std::string_view input, size_t chunk, std::string* error) {
  RespRequestParser parser(1 << 20);
  std::vector<std::vector<std::string>> out;
  std::string buffer;
  for (size_t i = 0; i < input.size(); i += chunk) {
    buffer.append(input.substr(i, chunk));
    for (;;) {
      size_t consumed = 0;
      const auto state = parser.Parse(buffer, &consumed);
      KV_ASSERT(consumed <= buffer.size());
      buffer.erase(0, consumed);
      if (state == RespRequestParser::State::kRequest) {
        KV_ASSERT(!parser.args().empty());
        out.push_back(parser.args());
        continue;
      }
      if (state == RespRequestParser::State::kError) {
        *error = parser.error();
        return out;
      }
      break;
    }
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string error_whole, error_split;
  const auto whole = ParseAll(input, size == 0 ? 1 : size, &error_whole);
  const auto split = ParseAll(input, 7, &error_split);
  // Overlong lines are detected at different points depending on the split, so only compare
  // inputs that the whole-buffer parse accepted.
  if (error_whole.empty() && error_split.empty()) KV_ASSERT(whole == split);

  kvlab::net::RespValue value;
  size_t consumed = 0;
  std::string_view rest = input;
  while (kvlab::net::ParseReply(rest, &consumed, &value, 1 << 20).ok() && consumed > 0) {
    KV_ASSERT(consumed <= rest.size());
    rest.remove_prefix(consumed);
  }
  return 0;
}
