#include "workloads/client.h"

namespace kvlab::workloads {

const char* ErrorKindName(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kNone: return "";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kConnection: return "connection";
    case ErrorKind::kUnknown: return "unknown";
    case ErrorKind::kUnavailable: return "unavailable";
    case ErrorKind::kCommand: return "command";
  }
  return "unknown";
}

}  // namespace kvlab::workloads
