// The Mann-Whitney U test (Wilcoxon rank-sum), one-sided: is sample B stochastically greater than
// sample A? Used by `kvlab gate` on repeated real-world runs, whose figures are noisy, so that a
// regression is a shift of the whole distribution rather than one unlucky run.
#pragma once

#include <vector>

namespace kvlab::workloads {

// Up to this many values in both samples together the p-value is exact (the permutation
// distribution of the rank sum, ties as mid-ranks); beyond it, the normal approximation with the
// tie correction and a continuity correction.
inline constexpr int kMannWhitneyExactLimit = 60;

struct MannWhitney {
  double u = 0;        // U of sample B: pairs (a, b) with b > a, ties counting one half.
  double p_value = 1;  // P(U >= u) under the hypothesis that both samples come from one distribution.
  bool exact = false;
};

// One-sided test of "B tends to be greater than A". Both samples must be non-empty.
MannWhitney MannWhitneyGreater(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace kvlab::workloads
