#include "workloads/mann_whitney.h"

#include <algorithm>
#include <cmath>
#include <utility>

namespace kvlab::workloads {
namespace {

// Twice the mid-rank of every value of the pooled sample (integers, so ties stay exact), in the
// order a then b.
std::vector<int> DoubledMidRanks(const std::vector<double>& a, const std::vector<double>& b) {
  std::vector<std::pair<double, int>> pooled;
  for (size_t i = 0; i < a.size(); ++i) pooled.emplace_back(a[i], static_cast<int>(i));
  for (size_t i = 0; i < b.size(); ++i) pooled.emplace_back(b[i], static_cast<int>(a.size() + i));
  std::sort(pooled.begin(), pooled.end());
  std::vector<int> ranks(pooled.size());
  for (size_t i = 0; i < pooled.size();) {
    size_t j = i;
    while (j < pooled.size() && pooled[j].first == pooled[i].first) ++j;
    const int doubled = static_cast<int>(i + 1 + j);  // 2 x the mean of ranks i+1 .. j.
    for (size_t k = i; k < j; ++k) ranks[pooled[k].second] = doubled;
    i = j;
  }
  return ranks;
}

// P(sum of n of the pooled doubled ranks >= observed), every n-subset equally likely.
double ExactUpperTail(const std::vector<int>& ranks, int n, int observed) {
  int total = 0;
  for (int r : ranks) total += r;
  // ways[k][s]: subsets of k ranks seen so far whose doubled sum is s (double: counts reach C(60,30)).
  std::vector<std::vector<double>> ways(n + 1, std::vector<double>(total + 1, 0));
  ways[0][0] = 1;
  for (int r : ranks) {
    for (int k = n; k >= 1; --k) {
      for (int s = total; s >= r; --s) ways[k][s] += ways[k - 1][s - r];
    }
  }
  double all = 0, tail = 0;
  for (int s = 0; s <= total; ++s) {
    all += ways[n][s];
    if (s >= observed) tail += ways[n][s];
  }
  return tail / all;
}

double NormalUpperTail(const std::vector<int>& ranks, size_t n_a, size_t n_b, double u) {
  const double n1 = static_cast<double>(n_a), n2 = static_cast<double>(n_b), n = n1 + n2;
  double ties = 0;  // sum of t^3 - t over groups of tied values.
  std::vector<int> sorted = ranks;
  std::sort(sorted.begin(), sorted.end());
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
    const double t = static_cast<double>(j - i);
    ties += t * t * t - t;
    i = j;
  }
  const double variance = n1 * n2 / 12.0 * ((n + 1) - ties / (n * (n - 1)));
  if (variance <= 0) return 1;
  const double z = (u - n1 * n2 / 2.0 - 0.5) / std::sqrt(variance);
  return 0.5 * std::erfc(z / std::sqrt(2.0));
}

}  // namespace

MannWhitney MannWhitneyGreater(const std::vector<double>& a, const std::vector<double>& b) {
  MannWhitney result;
  if (a.empty() || b.empty()) return result;
  const std::vector<int> ranks = DoubledMidRanks(a, b);
  int doubled_sum_b = 0;
  for (size_t i = a.size(); i < ranks.size(); ++i) doubled_sum_b += ranks[i];
  const double n_b = static_cast<double>(b.size());
  result.u = doubled_sum_b / 2.0 - n_b * (n_b + 1) / 2.0;
  result.exact = static_cast<int>(ranks.size()) <= kMannWhitneyExactLimit;
  if (result.exact) {
    // The ranks of b as a subset of the pooled ranks: choose |b| of them.
    result.p_value = ExactUpperTail(ranks, static_cast<int>(b.size()), doubled_sum_b);
  } else {
    result.p_value = NormalUpperTail(ranks, a.size(), b.size(), result.u);
  }
  return result;
}

}  // namespace kvlab::workloads
