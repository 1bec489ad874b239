#include "config/scalar.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <regex>

namespace kaizen::config {
namespace {

bool IsQuoted(const YAML::Node& node) {
  // yaml-cpp tags plain scalars "?", quoted ones "!", and keeps explicit tags.
  const std::string& tag = node.Tag();
  return tag == "!" || tag == "tag:yaml.org,2002:str";
}

}  // namespace

std::optional<int64_t> ParseInt(const std::string& text) {
  static const std::regex dec("[-+]?[0-9]+");
  static const std::regex hex("0x[0-9a-fA-F]+");
  int64_t v = 0;
  if (std::regex_match(text, dec)) {
    const char* b = text.data() + (text[0] == '+' ? 1 : 0);
    auto [p, ec] = std::from_chars(b, text.data() + text.size(), v, 10);
    if (ec == std::errc() && p == text.data() + text.size()) return v;
    return std::nullopt;
  }
  if (std::regex_match(text, hex)) {
    auto [p, ec] = std::from_chars(text.data() + 2, text.data() + text.size(), v, 16);
    if (ec == std::errc() && p == text.data() + text.size()) return v;
  }
  return std::nullopt;
}

std::optional<double> ParseNumber(const std::string& text) {
  static const std::regex num("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
  static const std::regex inf("[-+]?\\.(inf|Inf|INF)");
  static const std::regex nan("\\.(nan|NaN|NAN)");
  if (std::regex_match(text, num)) return std::strtod(text.c_str(), nullptr);
  if (std::regex_match(text, inf)) return text[0] == '-' ? -HUGE_VAL : HUGE_VAL;
  if (std::regex_match(text, nan)) return std::nan("");
  if (auto i = ParseInt(text)) return static_cast<double>(*i);
  return std::nullopt;
}

std::optional<bool> ParseBool(const std::string& text) {
  if (text == "true" || text == "True" || text == "TRUE") return true;
  if (text == "false" || text == "False" || text == "FALSE") return false;
  return std::nullopt;
}

ScalarKind KindOf(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return ScalarKind::kNull;
  if (!node.IsScalar() || IsQuoted(node)) return ScalarKind::kString;
  const std::string& t = node.Scalar();
  if (ParseBool(t)) return ScalarKind::kBool;
  if (ParseInt(t)) return ScalarKind::kInt;
  if (ParseNumber(t)) return ScalarKind::kNumber;
  return ScalarKind::kString;
}

std::string Quote(const std::string& s) {
  std::string out = "\"";
  size_t n = 0;
  for (char c : s) {
    if (++n > 60) {
      out += "...";
      break;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += '?';
    } else {
      out += c;
    }
  }
  return out + "\"";
}

std::string Describe(const YAML::Node& node) {
  if (!node.IsDefined() || node.IsNull()) return "null (an empty value)";
  if (node.IsMap()) return "a mapping";
  if (node.IsSequence()) return "a list";
  const std::string& t = node.Scalar();
  switch (KindOf(node)) {
    case ScalarKind::kBool: return t + " (boolean)";
    case ScalarKind::kInt: return t + " (integer)";
    case ScalarKind::kNumber: return t + " (number)";
    default: return Quote(t) + " (string)";
  }
}

}  // namespace kaizen::config
