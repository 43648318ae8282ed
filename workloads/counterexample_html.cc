#include "workloads/counterexample_html.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace kvlab::workloads {
namespace {

// Drawing geometry, in SVG pixels.
constexpr int kLeft = 110, kWidth = 900, kRow = 34, kTop = 46, kBar = 20;

std::string Html(const std::string& text) {
  std::string out;
  for (char c : text) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// Longest value shown on a bar (the tooltip has the whole operation).
constexpr size_t kMaxLabelValue = 16;

std::string Label(const HistoryOp& op) {
  std::string value = op.value ? *op.value : std::string("absent");
  if (value.size() > kMaxLabelValue) value = value.substr(0, kMaxLabelValue) + "…";
  if (op.op == "get") return absl::StrCat("get → ", op.result == OpResult::kOk ? value : "?");
  if (op.op == "del") return "del";
  return absl::StrCat(op.op, " ", value);
}

const char* ResultClass(OpResult r) {
  switch (r) {
    case OpResult::kOk: return "ok";
    case OpResult::kFail: return "fail";
    default: return "unknown";
  }
}

// One violation: its ops on a time line per client, faults as vertical lines.
std::string ViolationSvg(const Violation& v, const std::vector<FaultMark>& faults, int index) {
  core::Nanos lo = v.ops.front().invoke_ns, hi = v.ops.front().complete_ns;
  std::vector<int> clients;
  for (const HistoryOp& op : v.ops) {
    lo = std::min(lo, op.invoke_ns);
    hi = std::max(hi, op.complete_ns);
    if (std::find(clients.begin(), clients.end(), op.client) == clients.end()) clients.push_back(op.client);
  }
  std::sort(clients.begin(), clients.end());
  const core::Nanos pad = std::max<core::Nanos>((hi - lo) / 10, 1000);
  lo = std::max<core::Nanos>(0, lo - pad);
  hi += pad;
  auto x = [&](core::Nanos t) { return kLeft + static_cast<double>(t - lo) / static_cast<double>(hi - lo) * kWidth; };
  const int height = kTop + static_cast<int>(clients.size()) * kRow + 30;
  std::string svg = absl::StrFormat(
      "<svg id='violation-%d' class='timeline' width='%d' height='%d' xmlns='http://www.w3.org/2000/svg'>\n", index,
      kLeft + kWidth + 20, height);
  for (size_t row = 0; row < clients.size(); ++row) {
    absl::StrAppendFormat(&svg, "<text x='8' y='%d' class='client'>client %d</text>\n",
                          kTop + static_cast<int>(row) * kRow + kBar - 5, clients[row]);
  }
  int drawn = 0;
  for (const FaultMark& f : faults) {
    if (f.at < lo || f.at > hi) continue;
    const int label_y = drawn++ % 2 == 0 ? 14 : 28;  // alternate rows: events close in time stay legible.
    absl::StrAppendFormat(&svg,
                          "<line class='fault' x1='%.1f' x2='%.1f' y1='%d' y2='%d'/><text class='fault-label' "
                          "x='%.1f' y='%d'>%s%s</text>\n",
                          x(f.at), x(f.at), label_y + 4, height - 25, x(f.at) + 2, label_y, Html(f.kind),
                          f.node != core::kNoNode ? absl::StrCat(" n", f.node) : std::string());
  }
  for (const HistoryOp& op : v.ops) {
    const size_t row = std::find(clients.begin(), clients.end(), op.client) - clients.begin();
    const double x0 = x(op.invoke_ns), x1 = std::max(x(op.complete_ns), x0 + 2);
    const int y = kTop + static_cast<int>(row) * kRow;
    absl::StrAppendFormat(&svg,
                          "<g class='op %s'><title>client %d %s key %s: invoked %.3f ms, %s at %.3f ms (%s)</title>"
                          "<rect x='%.1f' y='%d' width='%.1f' height='%d' rx='3'/>"
                          "<text x='%.1f' y='%d'>%s</text></g>\n",
                          ResultClass(op.result), op.client, Html(op.op), Html(op.key), op.invoke_ns / 1e6,
                          op.result == OpResult::kUnknown ? "gave up" : "completed", op.complete_ns / 1e6,
                          OpResultName(op.result), x0, y, x1 - x0, kBar, x0 + 3, y + kBar - 6, Html(Label(op)));
  }
  absl::StrAppendFormat(&svg,
                        "<line class='axis' x1='%d' x2='%d' y1='%d' y2='%d'/><text x='%d' y='%d'>%.3f ms</text>"
                        "<text x='%d' y='%d' text-anchor='end'>%.3f ms</text>\n</svg>\n",
                        kLeft, kLeft + kWidth, height - 22, height - 22, kLeft, height - 6, lo / 1e6, kLeft + kWidth,
                        height - 6, hi / 1e6);
  return svg;
}

std::string FaultTable(const std::vector<FaultMark>& faults) {
  if (faults.empty()) return "<p>The run had no fault events.</p>\n";
  std::string html =
      "<details><summary>Every fault event of the run</summary><table><tr><th>time (ms)</th>"
      "<th>fault</th><th>node</th></tr>\n";
  for (const FaultMark& f : faults) {
    absl::StrAppendFormat(&html, "<tr><td>%.3f</td><td>%s</td><td>%d</td></tr>\n", f.at / 1e6, Html(f.kind), f.node);
  }
  return html + "</table></details>\n";
}

constexpr char kStyle[] = R"(<style>
body{font-family:sans-serif;margin:20px;color:#222}
h1{font-size:18px;word-break:break-all}h2{font-size:16px;margin-top:28px}
.client{font-size:13px}
.op rect{stroke:#333;stroke-width:1}
.op.ok rect{fill:#9cc3e6}.op.unknown rect{fill:#f7c873;stroke-dasharray:4 2}.op.fail rect{fill:#ddd}
.op text{font-size:12px;pointer-events:none}
.op:hover rect{stroke-width:2.5}
.fault{stroke:#c0392b;stroke-width:1.5;stroke-dasharray:5 3}.fault-label{fill:#c0392b;font-size:11px}
.axis{stroke:#555}
table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 8px}
.legend span{display:inline-block;padding:1px 8px;margin-right:8px;border:1px solid #333}
</style>)";

// Marks the page as drawn (a headless browser test reads it) and counts the drawn operations.
constexpr char kScript[] = R"(<script>
document.addEventListener('DOMContentLoaded', function () {
  var ops = document.querySelectorAll('g.op').length;
  document.body.setAttribute('data-ops', String(ops));
  document.body.setAttribute('data-ready', '1');
});
</script>)";

}  // namespace

std::string CounterexampleHtml(const CheckResult& result, const std::vector<FaultMark>& faults,
                               const std::string& title) {
  std::string html = absl::StrCat("<!DOCTYPE html>\n<html><head><meta charset='utf-8'><title>", Html(title),
                                  "</title>\n", kStyle, "\n", kScript, "</head>\n<body>\n<h1>", Html(title), "</h1>\n");
  absl::StrAppendFormat(
      &html, "<p>Model: %s. Verdict: <b id='verdict'>%s</b>. %d operations over %d keys checked.</p>\n",
      Html(result.model), result.ok ? "consistent" : "NOT consistent", result.ops_checked, result.keys_checked);
  html +=
      "<p class='legend'><span style='background:#9cc3e6'>ok</span><span style='background:#f7c873'>unknown "
      "(timed out: may or may not have taken effect)</span><span style='background:#ddd'>failed</span>"
      "<span style='border-color:#c0392b;color:#c0392b'>fault event</span> Hover an operation for its times.</p>\n";
  int index = 0;
  for (const Violation& v : result.violations) {
    if (v.ops.empty()) continue;
    absl::StrAppendFormat(&html, "<h2 class='violation'>key <code>%s</code>: %s (%d operations)</h2>\n", Html(v.key),
                          Html(v.reason), v.ops.size());
    html += ViolationSvg(v, faults, index++);
  }
  for (const std::string& key : result.inconclusive_keys) {
    absl::StrAppend(&html, "<p>key <code>", Html(key), "</code>: inconclusive (search budget exhausted)</p>\n");
  }
  html += FaultTable(faults);
  return html + "</body></html>\n";
}

}  // namespace kvlab::workloads
