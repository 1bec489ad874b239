#include "agents/gateway/gateway_settings.h"

#include <catch2/catch.hpp>

#include "config/manifest_schema.h"

namespace kaizen::agents {
namespace {

using json = nlohmann::json;
using config::SchemaDefault;

TEST_CASE("gateway settings: keys left out are the manifest schema's defaults", "[gateway][settings]") {
  const GatewaySettings g = GatewaySettings::FromAgentSettings(json::object());
  CHECK(g.listen == SchemaDefault("spec.gateway.listen").get<std::string>());
  CHECK(g.request_timeout_ms == SchemaDefault("spec.gateway.request_timeout_ms").get<int64_t>());
  CHECK(g.max_body_bytes == SchemaDefault("spec.gateway.max_body_bytes").get<size_t>());
  CHECK(g.threads == SchemaDefault("spec.gateway.threads").get<int>());
  CHECK(g.rate_limit_per_s == SchemaDefault("spec.gateway.rate_limit_per_s").get<double>());
  CHECK(g.model == "kaizen");  // no cluster name either
}

TEST_CASE("gateway settings: model is the cluster's name unless set, and keys set win", "[gateway][settings]") {
  // model has no schema default: it is computed from the cluster.
  CHECK_THROWS_AS(SchemaDefault("spec.gateway.model"), std::logic_error);
  const json cluster = {{"name", "shop"}};
  CHECK(GatewaySettings::FromAgentSettings({{"cluster", cluster}}).model == "shop");
  const GatewaySettings g = GatewaySettings::FromAgentSettings(
      {{"cluster", cluster}, {"model", "shop-v2"}, {"listen", "0.0.0.0:9000"}, {"threads", 8}});
  CHECK(g.model == "shop-v2");
  CHECK(g.listen == "0.0.0.0:9000");
  CHECK(g.threads == 8);
}

}  // namespace
}  // namespace kaizen::agents
