// The client side of `kvlab cluster`'s control channel (real/control_command.h): blocking, one
// line out and one reply line back, bounded by kControlReplyTimeout.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/types.h"

namespace kvlab::real {

// A reply may wait for a SIGKILLed node to be reaped or every node to answer INFO.
inline constexpr core::Nanos kControlReplyTimeout = core::Seconds(10);

class ControlClient {
 public:
  // The socket of the cluster whose data dir is `dir` (DIR/control.sock). kUnavailable naming it.
  static absl::StatusOr<std::unique_ptr<ControlClient>> ConnectDir(const std::string& dir);
  ~ControlClient();
  ControlClient(const ControlClient&) = delete;
  ControlClient& operator=(const ControlClient&) = delete;

  // The reply line without "OK " (an "ERR ..." reply is a FailedPrecondition with its text).
  absl::StatusOr<std::string> Call(const std::string& line);

 private:
  explicit ControlClient(int fd) : fd_(fd) {}
  const int fd_;
  std::string in_;
};

}  // namespace kvlab::real
