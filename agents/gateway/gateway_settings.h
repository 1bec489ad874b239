// GatewaySettings: the gateway's manifest section (spec.gateway), typed, with
// every default taken from the manifest schema (none written here, so a
// default cannot disagree with the one `kaizen validate` and the docs show).
// api_keys_file has no default (no file: no keys) and is read by the agent.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace kaizen::agents {

struct GatewaySettings {
  std::string listen;  // HOST:PORT
  // Optional, no schema default: the cluster's name (settings["cluster"]["name"]), "kaizen" without one.
  std::string model;
  int64_t request_timeout_ms = 0;
  size_t max_body_bytes = 0;
  int threads = 0;
  double rate_limit_per_s = 0;  // per API key; 0: unlimited

  // `settings` is the agent's settings (spec.gateway as the loader filled it,
  // plus "cluster"); a key left out reads as the schema's default.
  static GatewaySettings FromAgentSettings(const nlohmann::json& settings);
};

}  // namespace kaizen::agents
