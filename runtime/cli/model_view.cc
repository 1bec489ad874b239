#include "runtime/cli/model_view.h"

#include <fmt/format.h>

#include "runtime/base/clock.h"

namespace kaizen::cli {
namespace {

using json = nlohmann::json;

std::string ModelText(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return "";
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}
double ModelNumber(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<double>() : 0;
}
uint64_t ModelCount(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_number() ? j[key].get<uint64_t>() : 0;
}

std::string ModelRowLine(const std::string& label, const std::string& value) {
  return value.empty() ? "" : fmt::format("  {:<19} {}\n", label, value);
}

std::string ModelMetrics(const json& metrics) {
  if (metrics.is_string()) return ModelRowLine("metrics", metrics.get<std::string>());
  if (!metrics.is_object() || metrics.empty()) return "";
  std::string o = "\nMetrics\n";
  for (const auto& [k, v] : metrics.items()) {
    std::string text = v.is_string() ? v.get<std::string>() : v.dump();
    if (!v.is_primitive() && text.size() > 120) text = fmt::format("({} entries; -o json shows them)", v.size());
    o += ModelRowLine(k, text);
  }
  return o;
}

std::string CalibrationText(const json& c, const std::string& version) {
  std::string o = "\nCalibration of its confidence on live traffic\n";
  const uint64_t judged = ModelCount(c, "judged"), answers = ModelCount(c, "answers");
  if (judged == 0) {
    return o + fmt::format("  nothing to judge yet: none of the {} answers by {} was rated or deferred to a teacher\n",
                           answers, version);
  }
  o += ModelRowLine("ECE", fmt::format("{:.3f} (expected calibration error over {} confidence bins)", ModelNumber(c, "ece"),
                              c.value("bins", json::array()).size()));
  o += ModelRowLine("judged answers", fmt::format("{} of {} ({} rated, {} deferred: judged against the teacher)", judged,
                                         answers, ModelCount(c, "by_feedback"), ModelCount(c, "by_teacher")));
  double conf = 0, acc = 0;
  for (const auto& b : c.value("bins", json::array())) {
    conf += ModelNumber(b, "mean_confidence") * static_cast<double>(ModelCount(b, "count"));
    acc += ModelNumber(b, "accuracy") * static_cast<double>(ModelCount(b, "count"));
  }
  const double n = static_cast<double>(judged);
  o += ModelRowLine("overall", fmt::format("mean confidence {:.3f}, accuracy {:.3f} ({})", conf / n, acc / n,
                                  conf > acc ? "overconfident" : conf < acc ? "underconfident" : "even"));
  o += fmt::format("  {:<11} {:>8} {:>10} {:>9}\n", "confidence", "answers", "mean conf", "accuracy");
  for (const auto& b : c.value("bins", json::array())) {
    if (ModelCount(b, "count") == 0) continue;
    o += fmt::format("  {:<11} {:>8} {:>10.3f} {:>9.3f}\n", fmt::format("{:.1f}-{:.1f}", ModelNumber(b, "low"), ModelNumber(b, "high")),
                     ModelCount(b, "count"), ModelNumber(b, "mean_confidence"), ModelNumber(b, "accuracy"));
  }
  return o;
}

}  // namespace

json ModelDescription(const store::ModelRow& row, const json& calibration) {
  json metrics = json::parse(row.metrics_json.empty() ? "{}" : row.metrics_json, nullptr, false);
  if (metrics.is_discarded()) metrics = row.metrics_json;
  return {{"version", row.version}, {"parent", row.parent},         {"status", store::ModelStatusName(row.status)},
          {"uri", row.uri},         {"sha256", row.sha256},         {"created_ms", row.created_ms},
          {"metrics", metrics},     {"calibration", calibration}};
}

std::string FormatModelDescription(const json& m) {
  const std::string version = ModelText(m, "version");
  std::string o = fmt::format("model {}: {}   {}   created {}\n", version, ModelText(m, "status"),
                              ModelText(m, "parent").empty() ? "initial" : "from " + ModelText(m, "parent"),
                              FormatIsoMs(static_cast<int64_t>(ModelNumber(m, "created_ms"))));
  o += ModelRowLine("artifact", ModelText(m, "uri"));
  o += ModelRowLine("sha256", ModelText(m, "sha256"));
  o += ModelMetrics(m.value("metrics", json::object()));
  o += CalibrationText(m.value("calibration", json::object()), version);
  return o;
}

}  // namespace kaizen::cli
