#include "workloads/regression.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "workloads/mann_whitney.h"

namespace kvlab::workloads {
namespace {

using nlohmann::json;

double NumberAt(const json& object, const std::string& field) {
  auto it = object.find(field);
  return it != object.end() && it->is_number() ? it->get<double>() : 0.0;
}

bool IsPerOpMetric(const std::string& name) {
  auto ends_with = [&](const std::string& suffix) {
    return name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  return ends_with("_per_write") || ends_with("_per_op");
}

// "+5.75%" of `current` against `baseline`; "new" when the baseline is 0.
std::string Change(double baseline, double current) {
  if (baseline == 0) return current == 0 ? "0%" : "from 0";
  return absl::StrFormat("%+.2f%%", (current - baseline) / std::fabs(baseline) * 100);
}

// Worse than the baseline by more than `tolerance` (a fraction of the baseline)?
bool Worse(const GateFigure& figure, double baseline, double current, double tolerance) {
  const double margin = std::fabs(baseline) * tolerance;
  return figure.higher_is_worse ? current > baseline + margin : current < baseline - margin;
}

bool Better(const GateFigure& figure, double baseline, double current) {
  return figure.higher_is_worse ? current < baseline : current > baseline;
}

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// The value of `name` in each report of `runs`.
std::vector<double> Samples(const std::vector<const json*>& runs, const std::string& name) {
  std::vector<double> values;
  for (const json* run : runs) {
    for (const GateFigure& f : GateFigures(*run)) {
      if (f.name == name) values.push_back(f.value);
    }
  }
  return values;
}

// One figure's test in a group: its medians and the one-sided p-values of "worse" and "better".
struct FigureTest {
  GateFigure figure;
  GateFinding finding;
  MannWhitney worse, better;
  size_t runs_a = 0, runs_b = 0;
};

std::optional<FigureTest> TestFigure(const std::string& key, const GateFigure& figure,
                                     const std::vector<const json*>& base, const std::vector<const json*>& cur) {
  const std::vector<double> a = Samples(base, figure.name), b = Samples(cur, figure.name);
  if (a.size() != base.size() || b.size() != cur.size()) return std::nullopt;  // not a figure of every run.
  FigureTest t{.figure = figure,
               .finding = {.key = key, .figure = figure.name, .baseline = Median(a), .current = Median(b), .note = ""},
               .worse = figure.higher_is_worse ? MannWhitneyGreater(a, b) : MannWhitneyGreater(b, a),
               .better = figure.higher_is_worse ? MannWhitneyGreater(b, a) : MannWhitneyGreater(a, b),
               .runs_a = a.size(),
               .runs_b = b.size()};
  return t;
}

// Holm's step-down correction over the figures of one group: the i-th smallest p-value (from 0)
// must be below alpha / (m - i), and the steps stop at the first that is not. Without it, five
// figures at alpha 0.05 would flag an unchanged build about one time in five.
std::vector<bool> HolmSignificant(const std::vector<double>& p_values, double alpha) {
  std::vector<size_t> order(p_values.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](size_t x, size_t y) { return p_values[x] < p_values[y]; });
  std::vector<bool> significant(p_values.size(), false);
  for (size_t i = 0; i < order.size(); ++i) {
    if (p_values[order[i]] >= alpha / static_cast<double>(order.size() - i)) break;
    significant[order[i]] = true;
  }
  return significant;
}

// The statistical verdicts on every figure of one group.
void TestGroup(const std::string& key, const std::vector<const json*>& base, const std::vector<const json*>& cur,
               const StatisticalGateOptions& options, GateReport& report) {
  std::vector<FigureTest> tests;
  for (const GateFigure& figure : GateFigures(*cur.front())) {
    if (auto t = TestFigure(key, figure, base, cur)) tests.push_back(*std::move(t));
  }
  std::vector<double> worse_p, better_p;
  for (const FigureTest& t : tests) {
    worse_p.push_back(t.worse.p_value);
    better_p.push_back(t.better.p_value);
  }
  const std::vector<bool> worse = HolmSignificant(worse_p, options.alpha);
  const std::vector<bool> better = HolmSignificant(better_p, options.alpha);
  for (size_t i = 0; i < tests.size(); ++i) {
    FigureTest& t = tests[i];
    if (worse[i] && Worse(t.figure, t.finding.baseline, t.finding.current, options.tolerance)) {
      t.finding.note =
          absl::StrFormat("medians of %d and %d runs, Mann-Whitney U %.1f, one-sided p %.4f%s (Holm, %d figures)",
                          t.runs_a, t.runs_b, t.worse.u, t.worse.p_value, t.worse.exact ? " exact" : "", tests.size());
      report.regressions.push_back(t.finding);
    } else if (better[i]) {
      t.finding.note = absl::StrFormat("one-sided p %.4f", t.better.p_value);
      report.improvements.push_back(t.finding);
    }
  }
}

void AppendFinding(std::string& out, const char* label, const GateFinding& f) {
  absl::StrAppendFormat(&out, "%-9s %-40s %-34s %.6g -> %.6g (%s)%s\n", label, f.key, f.figure, f.baseline, f.current,
                        Change(f.baseline, f.current), f.note.empty() ? "" : absl::StrCat("  ", f.note));
}

}  // namespace

std::vector<GateFigure> GateFigures(const json& report) {
  std::vector<GateFigure> figures;
  figures.push_back({"throughput_ops_s", NumberAt(report, "throughput_ops_s"), false});
  if (auto l = report.find("latency_us"); l != report.end() && l->is_object()) {
    figures.push_back({"latency_us.p50", NumberAt(*l, "p50"), true});
    figures.push_back({"latency_us.p99", NumberAt(*l, "p99"), true});
  }
  if (auto m = report.find("metrics"); m != report.end() && m->is_object()) {
    for (const auto& [name, value] : m->items()) {  // nlohmann's object: sorted by name.
      if (IsPerOpMetric(name) && value.is_number()) figures.push_back({"metrics." + name, value.get<double>(), true});
    }
  }
  return figures;
}

std::string RunKey(const json& report, bool with_seed) {
  auto text = [&](const char* field) {
    auto it = report.find(field);
    return it != report.end() && it->is_string() ? it->get<std::string>() : std::string("?");
  };
  std::string key = absl::StrCat(text("scenario"), "/", text("policy"), "/", text("world"));
  if (with_seed) {
    auto seed = report.find("seed");
    absl::StrAppend(&key, " seed ", seed != report.end() ? seed->dump() : std::string("?"));
  }
  return key;
}

std::string FormatGateReport(const GateReport& report) {
  // The verdict first, so whoever reads only the first lines sees it and the worst regressions.
  std::string out = absl::StrFormat("gate %s: %d compared, %d regressed, %d improved, %d without a baseline\n",
                                    report.ok() ? "PASSED" : "FAILED", report.compared, report.regressions.size(),
                                    report.improvements.size(), report.unmatched.size());
  for (const GateFinding& f : report.regressions) AppendFinding(out, "REGRESSED", f);
  for (const GateFinding& f : report.improvements) AppendFinding(out, "improved", f);
  for (const std::string& key : report.unmatched) absl::StrAppend(&out, "no-base   ", key, "\n");
  if (!report.improvements.empty() || !report.unmatched.empty()) {
    absl::StrAppend(&out, "(an intended change: regenerate the baseline with scripts/update-baselines)\n");
  }
  return out;
}

absl::StatusOr<std::vector<json>> LoadRunReports(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return absl::InvalidArgumentError(absl::StrCat("'", path, "' is not a result file"));
  }
  if (std::filesystem::file_size(path, ec) > kMaxResultFileBytes) {
    return absl::InvalidArgumentError(absl::StrCat("'", path, "' is larger than ", kMaxResultFileBytes, " bytes"));
  }
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  std::vector<json> reports;
  json whole = json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (whole.is_array()) return whole.get<std::vector<json>>();
  if (whole.is_object()) return std::vector<json>{whole};
  std::istringstream lines(text.str());
  std::string line;
  for (int number = 1; std::getline(lines, line); ++number) {
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    json j = json::parse(line, nullptr, false);
    if (!j.is_object()) {
      return absl::InvalidArgumentError(absl::StrCat("'", path, "' line ", number, " is not a JSON run report"));
    }
    reports.push_back(std::move(j));
  }
  if (reports.empty()) return absl::InvalidArgumentError(absl::StrCat("'", path, "' holds no run report"));
  return reports;
}

absl::StatusOr<double> ParseTolerance(const std::string& text) {
  const std::string number = std::string(absl::StripSuffix(absl::StripAsciiWhitespace(text), "%"));
  double percent = 0;
  std::istringstream in(number);
  if (number.empty() || !(in >> percent) || !in.eof() || !(percent >= 0) || percent > kMaxTolerancePercent) {
    return absl::InvalidArgumentError(
        absl::StrCat("--tolerance '", text, "': want a percentage from 0 to ", kMaxTolerancePercent, ", e.g. 2%"));
  }
  return percent / 100;
}

GateReport CompareToBaseline(const std::vector<json>& baseline, const std::vector<json>& current, double tolerance) {
  std::map<std::string, const json*> base;
  for (const json& r : baseline) base.emplace(RunKey(r, true), &r);
  GateReport report;
  for (const json& run : current) {
    const std::string key = RunKey(run, true);
    auto it = base.find(key);
    if (it == base.end()) {
      report.unmatched.push_back(key);
      continue;
    }
    ++report.compared;
    const std::vector<GateFigure> before = GateFigures(*it->second);
    for (const GateFigure& now : GateFigures(run)) {
      auto old = std::find_if(before.begin(), before.end(), [&](const GateFigure& f) { return f.name == now.name; });
      if (old == before.end()) continue;  // a figure the baseline did not record.
      GateFinding finding{.key = key, .figure = now.name, .baseline = old->value, .current = now.value, .note = ""};
      if (Worse(now, old->value, now.value, tolerance)) {
        report.regressions.push_back(finding);
      } else if (Better(now, old->value, now.value)) {
        report.improvements.push_back(finding);
      }
    }
  }
  return report;
}

absl::StatusOr<GateReport> StatisticalGate(const std::vector<json>& baseline, const std::vector<json>& current,
                                           const StatisticalGateOptions& options) {
  std::map<std::string, std::vector<const json*>> base, cur;
  for (const json& r : baseline) base[RunKey(r, false)].push_back(&r);
  for (const json& r : current) cur[RunKey(r, false)].push_back(&r);
  GateReport report;
  for (const auto& [key, runs] : cur) {
    auto it = base.find(key);
    if (it == base.end()) {
      report.unmatched.push_back(key);
      continue;
    }
    const size_t fewest = std::min(runs.size(), it->second.size());
    if (fewest < static_cast<size_t>(options.min_runs)) {
      return absl::InvalidArgumentError(absl::StrCat(key, ": ", it->second.size(), " baseline and ", runs.size(),
                                                     " current runs; the test needs at least ", options.min_runs,
                                                     " on each side"));
    }
    ++report.compared;
    TestGroup(key, it->second, runs, options, report);
  }
  return report;
}

}  // namespace kvlab::workloads
