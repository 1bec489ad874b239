#include "bench/scenario_manifest.h"

#include <functional>
#include <sstream>
#include <vector>

namespace kaizen::bench {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

size_t Indent(const std::string& line) {
  size_t n = line.find_first_not_of(' ');
  return n == std::string::npos ? line.size() : n;
}

bool BlankOrComment(const std::string& line) {
  size_t n = line.find_first_not_of(' ');
  return n == std::string::npos || line[n] == '#';
}

// Replaces the value of every line `<indent>key: value` (a trailing comment kept).
std::string ReplaceValues(const std::string& text, const std::string& key,
                          const std::function<std::string(const std::string&)>& replace) {
  std::string out;
  for (const auto& line : Lines(text)) {
    const size_t indent = Indent(line);
    if (indent > 0 && line.compare(indent, key.size() + 1, key + ":") == 0) {
      const size_t v = line.find_first_not_of(' ', indent + key.size() + 1);
      if (v != std::string::npos && line[v] != '#') {
        size_t end = line.find_first_of(" #", v);
        if (end == std::string::npos) end = line.size();
        out += line.substr(0, v) + replace(line.substr(v, end - v)) + line.substr(end) + "\n";
        continue;
      }
    }
    out += line + "\n";
  }
  return out;
}

}  // namespace

std::string AbsoluteDataPaths(const std::string& text, const std::string& base_dir) {
  return ReplaceValues(text, "path", [&](const std::string& v) { return v[0] == '/' ? v : base_dir + "/" + v; });
}

std::string WithSimulatorRate(const std::string& text, int rate) {
  return ReplaceValues(text, "rate_per_s", [&](const std::string&) { return std::to_string(rate); });
}

std::string WithoutSimulator(const std::string& text) {
  std::vector<std::string> lines = Lines(text);
  std::vector<std::string> kept;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (lines[i] != "  simulator:" && lines[i].rfind("  simulator: ", 0) != 0) {
      kept.push_back(lines[i]);
      continue;
    }
    while (!kept.empty() && BlankOrComment(kept.back()) && !kept.back().empty()) kept.pop_back();
    size_t j = i + 1;
    while (j < lines.size() && (BlankOrComment(lines[j]) || Indent(lines[j]) > 2)) ++j;
    i = j - 1;
  }
  std::string out;
  for (const auto& l : kept) out += l + "\n";
  return out;
}

}  // namespace kaizen::bench
