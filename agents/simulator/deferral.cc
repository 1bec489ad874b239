#include "agents/simulator/deferral.h"

#include <charconv>
#include <cmath>

#include "runtime/base/text.h"

namespace kaizen::agents {

Deferral Deferral::From(const std::string& teacher, const std::string& cost) {
  Deferral d;
  d.teacher = Trim(teacher);
  const std::string text = Trim(cost);
  if (text.empty()) return d;
  double v = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, v);
  if (ec != std::errc() || ptr != end || !std::isfinite(v) || v < 0) {
    d.cost_unreadable = true;
    return d;
  }
  d.cost = v;
  return d;
}

Deferral Deferral::FromTaskJson(const nlohmann::json& body) {
  if (!body.is_object() || !body.contains("deferred") || !body["deferred"].is_string()) return {};
  std::string cost;
  if (body.contains("deferred_cost")) {
    const nlohmann::json& c = body["deferred_cost"];
    cost = c.is_string() ? c.get<std::string>() : c.is_number() ? c.dump() : c.is_null() ? "" : "?";
  }
  return From(body["deferred"].get<std::string>(), cost);
}

}  // namespace kaizen::agents
