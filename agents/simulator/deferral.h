// Deferral: whether an answer came from the worker itself or was handed to a
// teacher at serve time (the worker was not confident enough), and what that
// teacher call cost. The contract the simulator reads it from:
//
//   bus:      TaskResult tags `deferred` (the teacher's name) and
//             `deferred_cost` (the call's cost, a decimal string)
//   gateway:  response headers X-Kaizen-Deferred and X-Kaizen-Deferred-Cost;
//             POST /v1/tasks also says "deferred" (and maybe "deferred_cost")
//             in its JSON body
//
// An answer without a teacher's name was not deferred.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace kaizen::agents {

struct Deferral {
  std::string teacher;           // "" = the worker answered itself
  double cost = 0;               // the teacher call's cost; 0 when not said or unreadable
  bool cost_unreadable = false;  // a cost was given, but not as a finite number >= 0

  bool deferred() const { return !teacher.empty(); }

  // From the teacher's name and the cost as text (tags, headers); surrounding
  // blanks are ignored, an empty cost is 0.
  static Deferral From(const std::string& teacher, const std::string& cost);
  // From a /v1/tasks answer's body: "deferred" (a string) and "deferred_cost"
  // (a number or a decimal string), when present.
  static Deferral FromTaskJson(const nlohmann::json& body);
};

}  // namespace kaizen::agents
