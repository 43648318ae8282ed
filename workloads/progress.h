// The progress line of long runs (issue 4): rewritten in place on a terminal, a plain line every
// `plain_every` timeline windows otherwise (logs, CI). Driven by the driver's on_tick hook, so it
// follows the run's own clock (virtual time in the simulator) and never reads the wall clock.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>

#include "workloads/report.h"

namespace kvlab::workloads {

class ProgressLine {
 public:
  // `out` is typically stderr; `terminal` from isatty(fileno(out)) at the call site.
  ProgressLine(std::FILE* out, bool terminal, std::string label, int plain_every = 50)
      : out_(out), terminal_(terminal), label_(std::move(label)), plain_every_(plain_every) {}

  // Call with every closed timeline window.
  void Update(const TimelinePoint& window);
  // Ends the in-place line (a newline on a terminal). Idempotent.
  void Finish();

  // The text of one update, without "\r" or "\n". Public for tests.
  std::string Format(const TimelinePoint& window) const;

 private:
  std::FILE* out_;
  bool terminal_;
  std::string label_;
  int plain_every_;
  uint64_t windows_ = 0;
  uint64_t ops_ = 0;
  uint64_t errors_ = 0;
  bool dirty_ = false;
};

}  // namespace kvlab::workloads
