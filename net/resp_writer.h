// RESP2 serializer: appends replies to an output buffer. Appending to a caller-owned string lets
// a connection batch every reply of a turn into one write.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kvlab::net {

// "+<s>\r\n". CR and LF inside `s` become spaces (a simple string cannot hold them).
void AppendSimpleString(std::string* out, std::string_view s);
// "-<s>\r\n", where `s` starts with the error code, e.g. "ERR syntax error". CR/LF become spaces.
void AppendError(std::string* out, std::string_view s);
// ":<n>\r\n"
void AppendInteger(std::string* out, int64_t n);
// "$<len>\r\n<bytes>\r\n" (binary safe).
void AppendBulk(std::string* out, std::string_view bytes);
// "$-1\r\n"
void AppendNil(std::string* out);
// "*<n>\r\n"; the caller appends the n elements.
void AppendArrayHeader(std::string* out, size_t n);
// "*-1\r\n"
void AppendNilArray(std::string* out);
// "+OK\r\n"
void AppendOk(std::string* out);

}  // namespace kvlab::net
