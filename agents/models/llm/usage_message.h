// The LlmUsage message a stage reports to the runtime, from a ChatClient's Usage.
#pragma once

#include <nlohmann/json.hpp>

#include "agents/models/llm/chat_client.h"
#include "cycle.pb.h"

namespace kaizen::models::llm {

v1::LlmUsage UsageMessage(const Usage& u);

// A Usage from its ToJson() form (missing fields are 0): how a trainer child
// process hands its usage back in its result line.
Usage UsageFromJson(const nlohmann::json& j);

}  // namespace kaizen::models::llm
