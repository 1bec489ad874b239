// Prompt change bounds (spec.planning.bounds.max_prompt_change and
// max_drift_from_anchor, docs/safety.md): how much of an LLM worker's prompt a
// candidate rewrites, against the version it replaces and against the anchor
// version, measured with ChangeShare (token_edit_distance.h).
//
// The prompt a bound measures is what the model is shown besides the input:
// the instructions (system_prompt), the label list and the few-shot examples,
// in that order (PromptTextOf). The reply format boilerplate every version
// shares is left out. Only prompt model files (JSON with "format":
// "kaizen-prompt-model", agents/models/llm/prompt_model.h) have a prompt: for
// any other model file (a classifier's weights) the bounds do not apply.
//
// The trainer that searches prompts and the runtime's cycle controller both
// measure through this file, so a candidate the trainer fitted within the
// bounds is measured the same way when the runtime checks it again.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "runtime/base/result.h"
#include "runtime/safety/change_bounds.h"

namespace kaizen::safety {

// A share as a person reads it: "30%", "30.4%" (one decimal, so a share
// just over a bound does not read as equal to it).
std::string PercentText(double share);

// The measured text of a prompt model's JSON (its fields as the file holds them).
std::string PromptTextOf(const nlohmann::json& prompt_model);

// The prompt text of the model file at a path or file:// URI; nullopt when
// the file is not a prompt model. An unreadable file, or a prompt model with
// a field of the wrong type, is an error naming the path.
Result<std::optional<std::string>> ReadPromptText(const std::string& path_or_uri);

// A prompt compared with the one it changes.
struct PromptBase {
  std::string version;  // names it in messages, e.g. "v3"
  std::string text;
};

struct PromptChange {
  double change = 0;            // against the version replaced
  std::optional<double> drift;  // against the anchor, when one was given
  // "changes 21% of v2's prompt (max 30%); 35% from the anchor v1 (max 50%)"
  std::string Describe(const ChangeBounds& bounds, const PromptBase& replaced,
                       const std::optional<PromptBase>& anchor) const;
};

PromptChange MeasurePromptChange(const std::string& candidate, const PromptBase& replaced,
                                 const std::optional<PromptBase>& anchor);

// OK when `measured` is within the bounds; else FailedPrecondition naming
// every bound crossed, its value and the share measured, e.g. "it changes
// 42% of v3's prompt, and spec.planning.bounds.max_prompt_change is 30%".
Status CheckPromptChange(const ChangeBounds& bounds, const PromptChange& measured, const PromptBase& replaced,
                         const std::optional<PromptBase>& anchor);

}  // namespace kaizen::safety
