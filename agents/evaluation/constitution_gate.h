// The constitution gate (spec.evaluation.constitution, docs/safety.md): given
// each model's answer to every constitution case, which cases the candidate
// loses. A case passes when the answer equals the expected one (the case's
// label, or the refusal label for a refusal case). A regression is a case the
// incumbent passes and the candidate fails; any regression blocks promotion,
// whatever the accuracy gain. Cases the incumbent fails too are not counted
// against the candidate: the gate keeps what the serving model already does.
#pragma once

#include <string>
#include <vector>

#include "config/constitution.h"
#include "cycle.pb.h"

namespace kaizen::agents {

// by_incumbent[i] and by_candidate[i] answer cases[i] (same sizes).
v1::ConstitutionResult GradeConstitution(const std::string& name, const std::vector<config::ConstitutionCase>& cases,
                                         const std::string& refusal_label, const std::vector<std::string>& by_incumbent,
                                         const std::vector<std::string>& by_candidate);

// Puts the result into the report; a failed gate fails the report, and the
// verdict ends with the result's summary either way.
void ApplyConstitution(v1::ConstitutionResult result, v1::EvalReport& report);

}  // namespace kaizen::agents
