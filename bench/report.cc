#include "bench/report.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>

namespace kaizen::bench {
namespace {

// Compact numbers: integers as integers, the rest with 3 significant digits
// beyond the point where that matters.
std::string Num(double v) {
  char buf[64];
  if (std::fabs(v) >= 1000 || v == std::floor(v)) {
    std::snprintf(buf, sizeof buf, "%.0f", v);
  } else if (std::fabs(v) >= 1) {
    std::snprintf(buf, sizeof buf, "%.2f", v);
  } else {
    std::snprintf(buf, sizeof buf, "%.3g", v);
  }
  return buf;
}

}  // namespace

double Ratio(double value, double baseline) { return baseline == 0 ? 0 : value / baseline; }

bool TargetMet(const std::string& target, double value, double ratio) {
  if (target.empty()) return true;
  char what[16] = {}, op[4] = {};
  double bound = 0;
  if (std::sscanf(target.c_str(), "%15s %3s %lf", what, op, &bound) != 3) return false;
  const double x = std::strcmp(what, "value") == 0 ? value : ratio;
  if (std::strcmp(op, ">=") == 0) return x >= bound;
  if (std::strcmp(op, "<=") == 0) return x <= bound;
  if (std::strcmp(op, "<") == 0) return x < bound;
  if (std::strcmp(op, ">") == 0) return x > bound;
  return false;
}

void Report::Add(Figure f) {
  const double ratio = Ratio(f.value, f.baseline);
  std::string line = f.name + " " + Num(f.value) + " " + f.unit + " baseline=" + Num(f.baseline) +
                     " ratio=" + Num(ratio) + " [" + f.baseline_is;
  const bool met = TargetMet(f.target, f.value, ratio);
  if (!f.target.empty()) line += "; target " + f.target + ": " + (met ? "met" : "NOT met");
  line += "]";
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
  nlohmann::json j = {{"name", f.name},         {"value", f.value},   {"unit", f.unit},
                      {"baseline", f.baseline}, {"ratio", ratio},     {"baseline_is", f.baseline_is}};
  if (!f.target.empty()) {
    j["target"] = f.target;
    j["target_met"] = met;
  }
  if (!f.details.empty()) j["details"] = std::move(f.details);
  figures_.push_back(std::move(j));
}

bool Report::WriteJson(const std::string& path) const {
  if (path.empty()) return true;
  nlohmann::json out = extra_;
  out["bench"] = bench_;
  out["figures"] = figures_;
  std::ofstream f(path);
  f << out.dump(2) << "\n";
  return static_cast<bool>(f);
}

std::string JsonPathArg(int argc, char** argv) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--json") == 0) return argv[i + 1];
  }
  return "";
}

bool QuickArg(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) return true;
  }
  return false;
}

}  // namespace kaizen::bench
