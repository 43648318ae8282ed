#include "workloads/confidence.h"

#include <algorithm>
#include <cmath>

#include "workloads/plot.h"

namespace kvlab::workloads {

double MeanHalfWidth95(const std::vector<double>& values) {
  if (values.size() < 2) return 0;
  const double n = static_cast<double>(values.size());
  double sum = 0;
  for (double x : values) sum += x;
  const double mean = sum / n;
  double ss = 0;
  for (double x : values) ss += (x - mean) * (x - mean);
  return T95(static_cast<int>(values.size()) - 1) * std::sqrt(ss / (n - 1)) / std::sqrt(n);
}

std::optional<std::pair<double, double>> MedianInterval95(std::vector<double> values) {
  const int n = static_cast<int>(values.size());
  // P(Binomial(n, 1/2) <= j), summed term by term: C(n, j) / 2^n.
  double term = std::pow(0.5, n), below = 0;  // below: P(X < k) for the next k.
  int k = 0;
  for (int j = 0; j < n; ++j) {
    if (below + term > 0.025) break;
    below += term;
    k = j + 1;  // P(X < k) = P(X <= j) <= 2.5%.
    term = term * (n - j) / (j + 1);
  }
  if (k < 1) return std::nullopt;
  std::sort(values.begin(), values.end());
  return std::make_pair(values[k - 1], values[n - k]);
}

}  // namespace kvlab::workloads
