#include "agents/training/progress_line.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <sstream>
#include <vector>

namespace kaizen::agents {
namespace {

using json = nlohmann::json;

std::optional<double> ParseNumber(const std::string& s) {
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  double v = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

// "0.42" or "42%".
std::optional<double> ParseFraction(const std::string& s) {
  if (!s.empty() && s.back() == '%') {
    auto v = ParseNumber(s.substr(0, s.size() - 1));
    if (!v) return std::nullopt;
    return *v / 100.0;
  }
  return ParseNumber(s);
}

double Clamp01(double v) { return std::clamp(v, 0.0, 1.0); }

std::string TrimRight(std::string s) {
  while (!s.empty() && (s.back() == '\r' || s.back() == ' ' || s.back() == '\t')) s.pop_back();
  return s;
}

std::optional<ProgressUpdate> FromJson(const std::string& line) {
  json j = json::parse(line, nullptr, false);
  if (!j.is_object() || !j.contains("progress") || !j["progress"].is_number()) return std::nullopt;
  ProgressUpdate u;
  u.fraction = Clamp01(j["progress"].get<double>());
  for (const auto& [k, v] : j.items()) {
    if (k == "progress") continue;
    if (k == "message" && v.is_string()) {
      u.message = v.get<std::string>();
    } else if (k == "loss" && v.is_number()) {
      u.loss = v.get<double>();
    } else if (v.is_number()) {
      u.values[k] = v.get<double>();
    }
  }
  return u;
}

}  // namespace

std::optional<ProgressUpdate> ParseProgressLine(const std::string& raw) {
  const std::string line = TrimRight(raw);
  if (!line.empty() && line.front() == '{') return FromJson(line);
  if (line.rfind("progress ", 0) != 0) return std::nullopt;
  std::istringstream in(line.substr(9));
  std::string word;
  if (!(in >> word)) return std::nullopt;
  auto fraction = ParseFraction(word);
  if (!fraction) return std::nullopt;
  ProgressUpdate u;
  u.fraction = Clamp01(*fraction);
  std::vector<std::string> rest;
  while (in >> word) rest.push_back(word);
  std::size_t i = 0;
  // The built-in form: "loss <number>".
  if (rest.size() >= 2 && rest[0] == "loss") {
    if (auto l = ParseNumber(rest[1])) {
      u.loss = *l;
      i = 2;
    }
  }
  // key=value pairs with numeric values, until the first word that is not one.
  for (; i < rest.size(); ++i) {
    auto eq = rest[i].find('=');
    if (eq == std::string::npos || eq == 0) break;
    auto v = ParseNumber(rest[i].substr(eq + 1));
    if (!v) break;
    std::string key = rest[i].substr(0, eq);
    if (key == "loss") {
      u.loss = *v;
    } else {
      u.values[key] = *v;
    }
  }
  for (; i < rest.size(); ++i) u.message += (u.message.empty() ? "" : " ") + rest[i];
  return u;
}

std::optional<json> ParseResultLine(const std::string& raw) {
  const std::string line = TrimRight(raw);
  if (line.rfind("result ", 0) != 0) return std::nullopt;
  json j = json::parse(line.substr(7), nullptr, false);
  if (!j.is_object()) return std::nullopt;
  return j;
}

}  // namespace kaizen::agents
