// Reading JSON out of an LLM's reply, which may wrap it in prose or a code fence.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace kaizen::models::llm {

// The first {...} in `s` that parses as a JSON object, if any.
std::optional<nlohmann::json> FirstJsonObject(const std::string& s);

}  // namespace kaizen::models::llm
