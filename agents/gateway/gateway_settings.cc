#include "agents/gateway/gateway_settings.h"

#include "config/manifest_schema.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;

json Setting(const json& section, const char* key) { return config::SettingOrDefault(section, "spec.gateway", key); }

}  // namespace

GatewaySettings GatewaySettings::FromAgentSettings(const json& settings) {
  GatewaySettings g;
  g.listen = Setting(settings, "listen").get<std::string>();
  g.model = settings.value("model", settings.value("cluster", json::object()).value("name", std::string("kaizen")));
  g.request_timeout_ms = Setting(settings, "request_timeout_ms").get<int64_t>();
  g.max_body_bytes = Setting(settings, "max_body_bytes").get<size_t>();
  g.threads = Setting(settings, "threads").get<int>();
  g.rate_limit_per_s = Setting(settings, "rate_limit_per_s").get<double>();
  return g;
}

}  // namespace kaizen::agents
