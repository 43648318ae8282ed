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

struct ClientResult {
  Outcome outcome = Outcome::kOk;
  core::Result result;  // meaningful when outcome == kOk.
  std::string error;    // why, when outcome != kOk.
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
