#include "core/policy/policy_info.h"

namespace kvlab::core {

const char* ConsistencyName(Consistency c) {
  switch (c) {
    case Consistency::kLinearizable: return "linearizable";
    case Consistency::kEventual: return "eventual";
    case Consistency::kLinearizableUntilFailover: return "linearizable-until-failover";
    case Consistency::kEventualReadLatest: return "eventual-read-latest";
  }
  return "?";
}

}  // namespace kvlab::core
