// RoleView: what each role's agent may read of the manifest besides its own
// section (spec.<role>), in one table. The runtime's Welcome carries the
// agent's section and a cut of the spec holding only these paths, in the
// spec's own shape. So every read across a role boundary is written down
// here, and an agent that starts to read another role's settings finds
// nothing there (and its tests fail) instead of growing a hidden coupling.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace kaizen::config {

// The dotted paths ("spec.teachers", "spec.worker.skill.openai") a role may
// read besides spec.<role> (empty: only its own); null for a name that is no role.
const std::vector<std::string>* SharedPathsOf(std::string_view role);

// `spec` cut down to spec.<role> and SharedPathsOf(role): keys keep their
// place, everything else is left out. A path the spec lacks is left out too.
nlohmann::json SpecViewFor(std::string_view role, const nlohmann::json& spec);

}  // namespace kaizen::config
