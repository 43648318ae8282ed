// Floating-point helpers whose results are identical on every compiler and build type: only
// IEEE-754 + - * / (each correctly rounded), no libm. DESIGN.md rule 6 forbids libm in decisions,
// and the Zipfian generator needs pow() on every draw. x86-64 without -march has no FMA, and the
// project builds with -std=c++20 (no GNU extensions), so neither compiler contracts a*b+c.
#pragma once

namespace kvlab::workloads {

// Natural logarithm. REQUIRES: x > 0 and finite. Relative error ~1e-15.
double DetLog(double x);
// e^x. REQUIRES: |x| < 700. Relative error ~1e-15.
double DetExp(double x);
// x^y for x > 0 (x == 0 gives 0 for y > 0).
double DetPow(double x, double y);

}  // namespace kvlab::workloads
