#include "agents/models/llm/usage_message.h"

namespace kaizen::models::llm {

v1::LlmUsage UsageMessage(const Usage& u) {
  v1::LlmUsage m;
  m.set_calls(u.calls);
  m.set_failures(u.failures);
  m.set_prompt_tokens(u.prompt_tokens);
  m.set_completion_tokens(u.completion_tokens);
  m.set_cost(u.cost);
  return m;
}

Usage UsageFromJson(const nlohmann::json& j) {
  Usage u;
  if (!j.is_object()) return u;
  u.calls = j.value("calls", int64_t{0});
  u.failures = j.value("failures", int64_t{0});
  u.attempts = j.value("attempts", int64_t{0});
  u.retries = j.value("retries", int64_t{0});
  u.prompt_tokens = j.value("prompt_tokens", int64_t{0});
  u.completion_tokens = j.value("completion_tokens", int64_t{0});
  u.cost = j.value("cost", 0.0);
  u.latency_s = j.value("latency_s", 0.0);
  return u;
}

}  // namespace kaizen::models::llm
