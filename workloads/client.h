// workloads::Client: a key-value client as a workload fiber sees it. Calls look blocking; they
// suspend the fiber until the answer arrives or the request times out.
//
// Outcomes follow the history format of DESIGN.md: kOk (the result is known), kFail (definitely
// not applied: a -TRYAGAIN, -BUSY or a refused connection), kUnknown (timed out or the connection
// dropped mid-request: may or may not have been applied).
#pragma once

#include <optional>
#include <string>

#include "core/kv/command.h"

namespace kvlab::workloads {

enum class Outcome { kOk, kFail, kUnknown };

// Why a request did not succeed, for reports: latency percentiles cover successes only, so the
// failures are counted beside them by kind, never silently dropped.
enum class ErrorKind {
  kNone,
  kTimeout,      // no answer within the client's request timeout.
  kConnection,   // the connection failed or dropped (refused, reset, closed mid-request).
  kUnknown,      // the server said it cannot tell whether the write applied (-UNKNOWN).
  kUnavailable,  // the server refused to serve now (-TRYAGAIN, -BUSY, -LOADING).
  kCommand,      // the command itself was refused or failed (-ERR, a result that is an error).
};
// "timeout", "connection", "unknown", "unavailable", "command" ("" for kNone).
const char* ErrorKindName(ErrorKind kind);

struct ClientResult {
  Outcome outcome = Outcome::kOk;
  core::Result result;                      // meaningful when outcome == kOk.
  std::string error;                        // why, when outcome != kOk.
  ErrorKind error_kind = ErrorKind::kNone;  // set when outcome != kOk.
};

class Client {
 public:
  virtual ~Client() = default;
  // Sends one command and waits for its outcome (or the client's timeout). By value: a client
  // that hands the command on (the simulator's message) takes it without a copy.
  virtual ClientResult Execute(core::Command cmd) = 0;

  ClientResult Get(std::string key) { return Execute(core::Command::Get(std::move(key))); }
  ClientResult Put(std::string key, std::string value) {
    return Execute(core::Command::Put(std::move(key), std::move(value)));
  }
};

}  // namespace kvlab::workloads
