// Test helper: two checker verdicts are the same (the figures, and every violation's key, reason
// and ops in order), e.g. a streamed or parallel check against the in-memory serial one.
#pragma once

#include <gtest/gtest.h>

#include "workloads/checker.h"

namespace kvlab::workloads::testing {

inline void ExpectSameVerdict(const CheckResult& a, const CheckResult& b) {
  EXPECT_EQ(a.ok, b.ok);
  EXPECT_EQ(a.model, b.model);
  EXPECT_EQ(a.ops_checked, b.ops_checked);
  EXPECT_EQ(a.keys_checked, b.keys_checked);
  EXPECT_EQ(a.inconclusive_keys, b.inconclusive_keys);
  ASSERT_EQ(a.violations.size(), b.violations.size());
  for (size_t i = 0; i < a.violations.size(); ++i) {
    EXPECT_EQ(a.violations[i].key, b.violations[i].key);
    EXPECT_EQ(a.violations[i].reason, b.violations[i].reason);
    EXPECT_EQ(a.violations[i].ops, b.violations[i].ops);
  }
}

}  // namespace kvlab::workloads::testing
