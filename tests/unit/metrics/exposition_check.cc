#include "tests/unit/metrics/exposition_check.h"

#include <cstdlib>
#include <map>
#include <regex>
#include <set>
#include <sstream>

namespace kaizen::metrics::testing {
namespace {

const std::regex kName("[a-zA-Z_:][a-zA-Z0-9_:]*");
const std::regex kHelp("# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)");
const std::regex kType("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)");
// name{label="value",...} value [timestamp]; label values may hold \\, \" and \n escapes.
const std::regex kSample(
    R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*")*)?\})? (\S+)( -?[0-9]+)?)");
const std::regex kLe(R"re(le="([^"]*)")re");
const std::regex kLeLabel(R"re(,?le="[^"]*")re");

bool ValidValue(const std::string& v, double* out) {
  if (v == "+Inf" || v == "Inf") { *out = 1e308 * 10; return true; }
  if (v == "-Inf") { *out = -1e308 * 10; return true; }
  if (v == "NaN") { *out = 0; return true; }
  char* end = nullptr;
  *out = std::strtod(v.c_str(), &end);
  return end && *end == '\0' && !v.empty();
}

// The family a sample belongs to: a histogram's _bucket/_sum/_count map to its name.
std::string FamilyOf(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    std::string s(suffix);
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      std::string base = name.substr(0, name.size() - s.size());
      auto it = types.find(base);
      if (it != types.end() && (it->second == "histogram" || it->second == "summary")) return base;
    }
  }
  return name;
}

}  // namespace

std::vector<std::string> CheckExposition(const std::string& text) {
  std::vector<std::string> problems;
  std::map<std::string, std::string> types;
  std::set<std::string> helped, sampled;
  // Histogram bookkeeping per series (labels without le).
  std::map<std::string, double> last_bucket, inf_bucket;
  std::istringstream in(text);
  std::string line;
  int n = 0;
  if (!text.empty() && text.back() != '\n') problems.push_back("the text does not end with a newline");
  while (std::getline(in, line)) {
    ++n;
    const std::string at = "line " + std::to_string(n) + ": ";
    std::smatch m;
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0) {
      if (!std::regex_match(line, m, kHelp)) problems.push_back(at + "bad HELP: " + line);
      else if (!helped.insert(m[1]).second) problems.push_back(at + "second HELP for " + m[1].str());
      continue;
    }
    if (line.rfind("# TYPE ", 0) == 0) {
      if (!std::regex_match(line, m, kType)) {
        problems.push_back(at + "bad TYPE: " + line);
      } else if (types.count(m[1])) {
        problems.push_back(at + "second TYPE for " + m[1].str());
      } else if (sampled.count(m[1])) {
        problems.push_back(at + "TYPE after samples of " + m[1].str());
      } else {
        types[m[1]] = m[2];
      }
      continue;
    }
    if (line[0] == '#') continue;  // a comment
    if (!std::regex_match(line, m, kSample)) {
      problems.push_back(at + "not a sample: " + line);
      continue;
    }
    double v = 0;
    if (!ValidValue(m[4], &v)) problems.push_back(at + "bad value '" + m[4].str() + "'");
    const std::string name = m[1];
    const std::string family = FamilyOf(name, types);
    sampled.insert(family);
    if (!types.count(family)) problems.push_back(at + "sample of " + family + " before its TYPE");
    if (types[family] == "counter" && v < 0) problems.push_back(at + "negative counter");
    if (types[family] == "histogram" && name == family + "_bucket") {
      std::string labels = m[3];
      std::smatch le;
      if (!std::regex_search(labels, le, kLe)) {
        problems.push_back(at + "bucket without le");
        continue;
      }
      std::string key = family + "{" + std::regex_replace(labels, kLeLabel, "") + "}";
      if (last_bucket.count(key) && v < last_bucket[key]) problems.push_back(at + "buckets not cumulative");
      last_bucket[key] = v;
      if (le[1] == "+Inf") inf_bucket[key] = v;
    }
    if (types[family] == "histogram" && name == family + "_count") {
      const std::string key = family + "{" + m[3].str() + "}";
      const bool found = inf_bucket.count(key) > 0;
      if (found && inf_bucket[key] != v) problems.push_back(at + "_count differs from the +Inf bucket");
      if (!found) problems.push_back(at + "_count without a +Inf bucket");
    }
  }
  for (const auto& [name, type] : types) {
    if (!helped.count(name)) problems.push_back("no HELP for " + name);
  }
  return problems;
}

double SampleValue(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
      return std::strtod(line.c_str() + series.size() + 1, nullptr);
    }
  }
  return -1;
}

}  // namespace kaizen::metrics::testing
