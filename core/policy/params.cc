#include "core/policy/params.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/assert.h"

namespace kvlab::core {
namespace {

const char* KindName(ParamKind kind) {
  switch (kind) {
    case ParamKind::kInt: return "integer";
    case ParamKind::kRange: return "range";
    case ParamKind::kChoice: return "choice";
    case ParamKind::kBool: return "bool";
  }
  return "?";
}

// Debian's Abseil has its own string_view: std::string_view goes through std::string in StrCat.
std::string S(std::string_view v) { return std::string(v); }

absl::Status Bad(std::string_view policy, const ParamSpec& spec, std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(S(policy), ".", S(spec.name), "=", S(text), ": ", S(why), " (", DescribeParam(spec), ")"));
}

absl::StatusOr<int64_t> ParseBounded(std::string_view policy, const ParamSpec& spec, std::string_view whole,
                                     std::string_view text) {
  int64_t v = 0;
  if (!absl::SimpleAtoi(S(text), &v))
    return Bad(policy, spec, whole, absl::StrCat("'", S(text), "' is not an integer"));
  if (v < spec.min || v > spec.max) {
    return Bad(policy, spec, whole, absl::StrCat(v, " is outside ", spec.min, "..", spec.max));
  }
  return v;
}

absl::StatusOr<ParamValue> ParseValue(std::string_view policy, const ParamSpec& spec, std::string_view text) {
  ParamValue v;
  switch (spec.kind) {
    case ParamKind::kInt: {
      absl::StatusOr<int64_t> i = ParseBounded(policy, spec, text, text);
      if (!i.ok()) return i.status();
      v.lo = v.hi = *i;
      break;
    }
    case ParamKind::kRange: {
      const size_t dots = text.find("..");
      const std::string_view lo = dots == std::string_view::npos ? text : text.substr(0, dots);
      const std::string_view hi = dots == std::string_view::npos ? text : text.substr(dots + 2);
      absl::StatusOr<int64_t> l = ParseBounded(policy, spec, text, lo);
      if (!l.ok()) return l.status();
      absl::StatusOr<int64_t> h = ParseBounded(policy, spec, text, hi);
      if (!h.ok()) return h.status();
      if (*l > *h) return Bad(policy, spec, text, "the range's low end is above its high end");
      v.lo = *l;
      v.hi = *h;
      break;
    }
    case ParamKind::kChoice: {
      bool known = false;
      for (std::string_view c : spec.choices) known = known || c == text;
      if (!known) return Bad(policy, spec, text, "not one of the choices");
      break;
    }
    case ParamKind::kBool: {
      const std::string t = absl::AsciiStrToLower(S(text));
      if (t == "true" || t == "on" || t == "yes" || t == "1") {
        v.lo = v.hi = 1;
      } else if (!(t == "false" || t == "off" || t == "no" || t == "0")) {
        return Bad(policy, spec, text, "not a boolean");
      }
      break;
    }
  }
  v.text = std::string(text);
  return v;
}

}  // namespace

std::string DescribeParam(const ParamSpec& spec) {
  std::string bounds;
  switch (spec.kind) {
    case ParamKind::kInt:
    case ParamKind::kRange: bounds = absl::StrCat(", ", spec.min, "..", spec.max); break;
    case ParamKind::kChoice: {
      std::vector<std::string> choices(spec.choices.begin(), spec.choices.end());
      bounds = absl::StrCat(": ", absl::StrJoin(choices, "|"));
      break;
    }
    case ParamKind::kBool: break;
  }
  return absl::StrCat(S(spec.name), "=", S(spec.default_value), " (", KindName(spec.kind), bounds, ") ", S(spec.help));
}

absl::StatusOr<PolicyParams> ParseParams(std::string_view policy, const std::vector<ParamSpec>& specs,
                                         const std::vector<std::pair<std::string, std::string>>& given) {
  PolicyParams out;
  for (const ParamSpec& spec : specs) {
    absl::StatusOr<ParamValue> v = ParseValue(policy, spec, spec.default_value);
    KV_ASSERT(v.ok());  // a policy's own defaults are valid.
    out.values_[std::string(spec.name)] = *std::move(v);
  }
  for (const auto& [name, text] : given) {
    const ParamSpec* spec = nullptr;
    for (const ParamSpec& s : specs) spec = s.name == name ? &s : spec;
    if (spec == nullptr) {
      std::vector<std::string> names;
      for (const ParamSpec& s : specs) names.push_back(S(s.name));
      return absl::InvalidArgumentError(absl::StrCat(S(policy), ".", name, ": no such parameter (", S(policy), " has: ",
                                                     names.empty() ? "none" : absl::StrJoin(names, ", "), ")"));
    }
    absl::StatusOr<ParamValue> v = ParseValue(policy, *spec, text);
    if (!v.ok()) return v.status();
    out.values_[name] = *std::move(v);
  }
  std::vector<std::string> overrides;
  for (const ParamSpec& spec : specs) {
    const ParamValue& v = out.values_.find(spec.name)->second;
    out.text_[std::string(spec.name)] = v.text;
    absl::StatusOr<ParamValue> def = ParseValue(policy, spec, spec.default_value);
    if (def->lo != v.lo || def->hi != v.hi || def->text != v.text)
      overrides.push_back(absl::StrCat(S(spec.name), "=", v.text));
  }
  std::sort(overrides.begin(), overrides.end());
  out.overrides_ = absl::StrJoin(overrides, ":");
  return out;
}

const ParamValue& PolicyParams::Get(std::string_view name) const {
  auto it = values_.find(name);
  KV_ASSERT(it != values_.end());  // the policy reads only what it declared.
  return it->second;
}

int64_t PolicyParams::Int(std::string_view name) const { return Get(name).lo; }

std::pair<int64_t, int64_t> PolicyParams::Range(std::string_view name) const {
  const ParamValue& v = Get(name);
  return {v.lo, v.hi};
}

const std::string& PolicyParams::Choice(std::string_view name) const { return Get(name).text; }

bool PolicyParams::Bool(std::string_view name) const { return Get(name).lo != 0; }

std::vector<std::pair<std::string, std::string>> PolicyParams::All() const { return {text_.begin(), text_.end()}; }

}  // namespace kvlab::core
