#include "net/resp_writer.h"

#include <charconv>

namespace kvlab::net {
namespace {

void AppendLine(std::string* out, char type, std::string_view s) {
  out->push_back(type);
  const size_t start = out->size();
  out->append(s);
  for (size_t i = start; i < out->size(); ++i) {
    if ((*out)[i] == '\r' || (*out)[i] == '\n') (*out)[i] = ' ';
  }
  out->append("\r\n", 2);
}

void AppendPrefixedNumber(std::string* out, char type, int64_t n) {
  char buf[24];
  buf[0] = type;
  auto [end, ec] = std::to_chars(buf + 1, buf + sizeof(buf) - 2, n);
  (void)ec;  // 20 digits and a sign always fit.
  *end++ = '\r';
  *end++ = '\n';
  out->append(buf, static_cast<size_t>(end - buf));
}

}  // namespace

void AppendSimpleString(std::string* out, std::string_view s) { AppendLine(out, '+', s); }
void AppendError(std::string* out, std::string_view s) { AppendLine(out, '-', s); }
void AppendInteger(std::string* out, int64_t n) { AppendPrefixedNumber(out, ':', n); }

void AppendBulk(std::string* out, std::string_view bytes) {
  AppendPrefixedNumber(out, '$', static_cast<int64_t>(bytes.size()));
  out->append(bytes);
  out->append("\r\n", 2);
}

void AppendNil(std::string* out) { out->append("$-1\r\n", 5); }
void AppendArrayHeader(std::string* out, size_t n) { AppendPrefixedNumber(out, '*', static_cast<int64_t>(n)); }
void AppendNilArray(std::string* out) { out->append("*-1\r\n", 5); }
void AppendOk(std::string* out) { out->append("+OK\r\n", 5); }

}  // namespace kvlab::net
