// A small XML well-formedness check for tests of generated SVG: tags nest and
// close, attribute values are quoted, text and attributes hold no raw '<' and
// only known entities after '&'. Returns "" when well formed, else the problem.
#pragma once

#include <cctype>
#include <string>
#include <vector>

namespace kaizen::testing {

inline std::string CheckXml(const std::string& x) {
  std::vector<std::string> open;
  auto entity_ok = [&](size_t i) {
    for (const char* e : {"&amp;", "&lt;", "&gt;", "&quot;", "&#39;"}) {
      if (x.compare(i, std::char_traits<char>::length(e), e) == 0) return true;
    }
    return false;
  };
  size_t i = 0;
  while (i < x.size()) {
    if (x[i] == '&' && !entity_ok(i)) return "bare & at " + std::to_string(i);
    if (x[i] == '>') return "raw > in text at " + std::to_string(i);
    if (x[i] != '<') {
      ++i;
      continue;
    }
    const bool closing = i + 1 < x.size() && x[i + 1] == '/';
    size_t j = i + (closing ? 2 : 1);
    size_t name_start = j;
    while (j < x.size() && (std::isalnum(static_cast<unsigned char>(x[j])) || x[j] == '-' || x[j] == ':')) ++j;
    const std::string name = x.substr(name_start, j - name_start);
    if (name.empty()) return "a tag without a name at " + std::to_string(i);
    // Attributes: name="value" pairs until > or />.
    bool self_closing = false;
    while (true) {
      while (j < x.size() && std::isspace(static_cast<unsigned char>(x[j]))) ++j;
      if (j >= x.size()) return "unterminated tag <" + name;
      if (x[j] == '>') break;
      if (x[j] == '/' && j + 1 < x.size() && x[j + 1] == '>') {
        self_closing = true;
        ++j;
        break;
      }
      if (closing) return "attributes in a closing tag </" + name;
      size_t a = j;
      while (j < x.size() && x[j] != '=' && !std::isspace(static_cast<unsigned char>(x[j])) && x[j] != '>') ++j;
      if (j >= x.size() || x[j] != '=' || j == a) return "attribute without a value in <" + name;
      ++j;
      if (j >= x.size() || x[j] != '"') return "unquoted attribute " + x.substr(a, j - a) + " in <" + name;
      size_t end = x.find('"', j + 1);
      if (end == std::string::npos) return "unterminated attribute in <" + name;
      for (size_t k = j + 1; k < end; ++k) {
        if (x[k] == '<') return "raw < in an attribute of <" + name;
        if (x[k] == '&' && !entity_ok(k)) return "bare & in an attribute of <" + name;
      }
      j = end + 1;
    }
    if (closing) {
      if (open.empty() || open.back() != name) return "</" + name + "> closes " + (open.empty() ? "nothing" : "<" + open.back() + ">");
      open.pop_back();
    } else if (!self_closing) {
      open.push_back(name);
    }
    i = j + 1;
  }
  if (!open.empty()) return "<" + open.back() + "> is never closed";
  return "";
}

// How many times `needle` occurs in `hay`.
inline size_t Count(const std::string& hay, const std::string& needle) {
  size_t n = 0;
  for (size_t p = hay.find(needle); p != std::string::npos; p = hay.find(needle, p + needle.size())) ++n;
  return n;
}

}  // namespace kaizen::testing
