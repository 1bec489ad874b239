// The human form of a run summary (what `kaizen up` prints when a simulated
// scenario ends; the JSON form is written by --summary-json).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace kaizen::cli {

std::string FormatSummary(const nlohmann::json& summary);

}  // namespace kaizen::cli
