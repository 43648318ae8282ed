// 95% confidence intervals over a handful of runs (one per seed), for the comparison tables.
#pragma once

#include <optional>
#include <utility>
#include <vector>

namespace kvlab::workloads {

// Half-width of the 95% confidence interval of the mean (Student t; 0 for fewer than two values).
double MeanHalfWidth95(const std::vector<double>& values);

// A distribution-free 95% confidence interval of the median: the order statistics x(k) and
// x(n+1-k) with the largest k such that P(Binomial(n, 1/2) < k) <= 2.5%. None below 6 values
// (no such k exists).
std::optional<std::pair<double, double>> MedianInterval95(std::vector<double> values);

}  // namespace kvlab::workloads
