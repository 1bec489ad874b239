// The first PromptModel of an LLM skill or teacher, from its manifest entry
// (spec.worker.skill or spec.teachers[i]; keys in config/manifest_schema.cc):
//   base_model    = entry.openai.model
//   task, system_prompt, labels, examples = entry.prompt.*
//   labels        = prompt.labels, else the labels of entry.train's data (in
//                   first-seen order), then any example labels not yet listed
//   examples      = prompt.examples, then prompt.shots more from entry.train's
//                   data, one per label in turn (first example of each label,
//                   then the second, ...), skipping texts already shown
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "agents/models/llm/prompt_model.h"
#include "runtime/base/result.h"

namespace kaizen::models::llm {

// `data` is spec.data (name -> {path}); `where` names the entry in errors.
Result<PromptModel> PromptFromManifest(const nlohmann::json& entry, const nlohmann::json& data,
                                       const std::string& where);

}  // namespace kaizen::models::llm
