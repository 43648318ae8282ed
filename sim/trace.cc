#include "sim/trace.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kvlab::sim {

Trace::~Trace() {
  if (log_ != nullptr) std::fclose(log_);
}

absl::Status Trace::OpenLog(const std::string& path) {
  log_ = std::fopen(path.c_str(), "w");
  if (log_ == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("cannot write trace file '", path, "': ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

void Trace::WriteLine(std::string_view kind, core::Nanos time, std::initializer_list<uint64_t> fields) {
  std::string line = absl::StrFormat("%d %s", time, std::string(kind));
  for (uint64_t f : fields) absl::StrAppend(&line, " ", f);
  absl::StrAppend(&line, " #", Hex64(hash()), "\n");
  std::fputs(line.c_str(), log_);
}

std::string Hex64(uint64_t v) { return absl::StrFormat("%016x", v); }

absl::StatusOr<std::string> FirstDivergence(const std::string& path_a, const std::string& path_b) {
  std::ifstream a(path_a), b(path_b);
  if (!a) return absl::InvalidArgumentError(absl::StrCat("cannot read trace file '", path_a, "'"));
  if (!b) return absl::InvalidArgumentError(absl::StrCat("cannot read trace file '", path_b, "'"));
  std::string la, lb;
  for (uint64_t line = 1;; ++line) {
    const bool more_a = static_cast<bool>(std::getline(a, la));
    const bool more_b = static_cast<bool>(std::getline(b, lb));
    if (!more_a && !more_b) return std::string();
    if (more_a != more_b || la != lb) {
      return absl::StrCat("first divergence at event ", line, ":\n  ", path_a, ": ", more_a ? la : "<end of trace>",
                          "\n  ", path_b, ": ", more_b ? lb : "<end of trace>");
    }
  }
}

}  // namespace kvlab::sim
