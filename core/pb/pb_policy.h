// The `pb` policy's entry in the registry (core/policy/registry.cc).
#pragma once

#include "core/policy/policy_info.h"

namespace kvlab::core {

const PolicyInfo& PbPolicy();

}  // namespace kvlab::core
