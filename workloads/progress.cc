#include "workloads/progress.h"

#include "absl/strings/str_format.h"

namespace kvlab::workloads {

std::string ProgressLine::Format(const TimelinePoint& w) const {
  return absl::StrFormat("%s t=%.1fs ops=%d errors=%d last: %d ops, p50 %.0f us, p99 %.0f us", label_, w.t_s, ops_,
                         errors_, w.ops, w.p50_us, w.p99_us);
}

void ProgressLine::Update(const TimelinePoint& w) {
  ++windows_;
  ops_ += w.ops;
  errors_ += w.errors;
  if (terminal_) {
    std::fprintf(out_, "\r\033[K%s", Format(w).c_str());  // clear the line, rewrite in place.
    std::fflush(out_);
    dirty_ = true;
  } else if (plain_every_ > 0 && windows_ % plain_every_ == 0) {
    std::fprintf(out_, "%s\n", Format(w).c_str());
  }
}

void ProgressLine::Finish() {
  if (dirty_) std::fprintf(out_, "\n");
  dirty_ = false;
}

}  // namespace kvlab::workloads
