// What `kaizen describe model VERSION` shows: the registry's entry for a model
// version (parent, status, artifact, metrics) and how well its reported
// confidence matches its accuracy on live traffic (report::LoadModelCalibration).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "runtime/store/store.h"

namespace kaizen::cli {

// {"version", "parent", "status", "uri", "sha256", "created_ms", "metrics" (the
//  registry's metrics object; a string if it is not JSON), "calibration"}
nlohmann::json ModelDescription(const store::ModelRow& row, const nlohmann::json& calibration);

// The text form of ModelDescription(): the entry, its metrics, then ECE, the
// judged answers and a reliability table (bin, answers, mean confidence,
// accuracy) over the bins that have answers.
std::string FormatModelDescription(const nlohmann::json& model);

}  // namespace kaizen::cli
