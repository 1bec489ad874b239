// Report: the figures of one benchmark. Each figure is printed at once as
//   name value unit baseline=B ratio=R [what the baseline is; target ...: met]
// (ratio is always value / baseline) and all are written as JSON at the end.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace kaizen::bench {

struct Figure {
  std::string name;        // e.g. "bus.journal_off.100B.msgs_per_s"
  double value = 0;
  std::string unit;        // "msg/s", "us", "tasks", "MiB", ...
  double baseline = 0;
  std::string baseline_is; // what the baseline measures, in words
  // "" = none; else "ratio >= 0.5", "ratio <= 0.6" (on value / baseline) or
  // "value < 500" (on the value itself).
  std::string target;
  nlohmann::json details = nlohmann::json::object();
};

class Report {
 public:
  explicit Report(std::string bench) : bench_(std::move(bench)) {}

  // Prints the figure's line and keeps it for the JSON.
  void Add(Figure f);
  // Extra context written to the JSON (settings, sweeps); never printed.
  void Set(const std::string& key, nlohmann::json value) { extra_[key] = std::move(value); }

  // {"bench": ..., "figures": [...], ...extra}; false when the file cannot be written.
  bool WriteJson(const std::string& path) const;

 private:
  std::string bench_;
  std::vector<nlohmann::json> figures_;
  nlohmann::json extra_ = nlohmann::json::object();
};

// value / baseline, 0 when the baseline is 0.
double Ratio(double value, double baseline);
// Whether a figure meets its target ("" is always met).
bool TargetMet(const std::string& target, double value, double ratio);
// The JSON path given as `--json FILE` on the command line, or "".
std::string JsonPathArg(int argc, char** argv);
// Whether `--quick` was given (fewer samples; for trying things out).
bool QuickArg(int argc, char** argv);

}  // namespace kaizen::bench
