#include "workloads/det_math.h"

#include "core/assert.h"

namespace kvlab::workloads {
namespace {

constexpr double kLn2 = 0.693147180559945309417232121458;
constexpr double kSqrt2 = 1.41421356237309504880168872421;

}  // namespace

double DetLog(double x) {
  KV_ASSERT(x > 0 && x < 1e308);
  // Range reduction by powers of two (exact multiplications) to m in [1/sqrt2, sqrt2).
  int exponent = 0;
  while (x >= kSqrt2) {
    x *= 0.5;
    ++exponent;
  }
  while (x < kSqrt2 / 2) {
    x *= 2.0;
    --exponent;
  }
  // ln(m) = 2 atanh(s), s = (m-1)/(m+1), |s| < 0.172: the series converges fast.
  const double s = (x - 1.0) / (x + 1.0);
  const double s2 = s * s;
  double term = s;
  double sum = 0;
  for (int k = 1; k < 60; k += 2) {
    sum += term / k;
    term *= s2;
  }
  return 2.0 * sum + exponent * kLn2;
}

double DetExp(double x) {
  KV_ASSERT(x > -700 && x < 700);
  // x = n ln2 + r, |r| <= ln2/2; e^r by Taylor series, then scale by 2^n exactly.
  const int n = static_cast<int>(x >= 0 ? x / kLn2 + 0.5 : x / kLn2 - 0.5);
  const double r = x - n * kLn2;
  double term = 1.0;
  double sum = 1.0;
  for (int k = 1; k < 30; ++k) {
    term = term * r / k;
    sum += term;
  }
  double scale = 1.0;
  const double factor = n >= 0 ? 2.0 : 0.5;
  for (int i = 0; i < (n >= 0 ? n : -n); ++i) scale *= factor;
  return sum * scale;
}

double DetPow(double x, double y) {
  KV_ASSERT(x >= 0);
  if (x == 0) return y > 0 ? 0.0 : 1.0;
  if (y == 0 || x == 1) return 1.0;
  const double e = y * DetLog(x);
  if (e < -699) return 0.0;
  KV_ASSERT(e < 699);
  return DetExp(e);
}

}  // namespace kvlab::workloads
