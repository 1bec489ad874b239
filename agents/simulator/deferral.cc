#include "agents/simulator/deferral.h"


#include "runtime/base/text.h"

namespace kaizen::agents {

Deferral Deferral::From(const std::string& teacher, const std::string& cost) {
  Deferral d;
  d.teacher = Trim(teacher);
  const std::string text = Trim(cost);
  if (text.empty()) return d;
  const auto v = ParseDecimal(text);
  if (!v || *v < 0) {
    d.cost_unreadable = true;
    return d;
  }
  d.cost = *v;
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
