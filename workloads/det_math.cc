#include "workloads/det_math.h"

#include <cmath>

#include "core/assert.h"

namespace kvlab::workloads {
namespace {

constexpr double kLn2 = 0.693147180559945309417232121458;
constexpr double kSqrt2 = 1.41421356237309504880168872421;
// A term below |sum| * 2^-54 is below half an ulp of the sum (also of a power of two, whose ulp
// below is half its ulp above): adding it rounds back to the sum.
constexpr double kHalfUlp = 0x1p-54;

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
    const double add = term / k;
    // The terms only shrink: once one is below half an ulp of the sum, neither it nor any later
    // one changes it, so stopping here gives the very bits the whole loop would.
    if (std::fabs(add) < std::fabs(sum) * kHalfUlp) break;
    sum += add;
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
    if (std::fabs(term) < sum * kHalfUlp) break;  // as in DetLog: the rest cannot change the sum.
    sum += term;
  }
  // 2^n scales exactly (|n| <= 1010 keeps the result normal): ldexp, not n multiplications.
  return std::ldexp(sum, n);
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
