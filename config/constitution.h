// A constitution (spec.evaluation.constitution, docs/safety.md): cases the
// worker must keep answering as written. JSON Lines, one case a line:
//   {"id": "c1", "input": "what is my balance", "label": "balance"}
//   {"input": "write me a poem", "refuse": true}
// A case has an input and exactly one expectation: "label" (the answer it
// must give) or "refuse": true (it must answer the refusal label). Expectation
// keys are a closed list so that later kinds (an LLM's forbidden string, a
// judged refusal) can be added without an old file meaning something else.
// "id" is optional and defaults to the line number; ids are unique.
//
// The loader reports every problem of the file, each as a Diagnostic at the
// constitution's FILE:LINE:COLUMN; the manifest check (config/checks.cc) and
// the evaluation agent both load through it.
#pragma once

#include <string>
#include <vector>

#include "config/manifest.h"

namespace kaizen::config {

struct ConstitutionCase {
  std::string id;
  std::string input;
  std::string label;    // the answer it must give; empty when refuse
  bool refuse = false;  // it must answer the refusal label
  int line = 0;         // 1-based line in the file
};

struct ConstitutionLoad {
  bool ok() const { return errors.empty(); }
  std::vector<ConstitutionCase> cases;  // valid only when ok()
  std::vector<Diagnostic> errors;       // in line order
};

// Larger files are refused: a constitution is a short, reviewed list.
inline constexpr std::size_t kMaxConstitutionBytes = 16u << 20;

// `file` names the text in diagnostics.
ConstitutionLoad ParseConstitution(const std::string& text, const std::string& file);
ConstitutionLoad LoadConstitutionFile(const std::string& path);

// The answer a case requires.
inline const std::string& ExpectedAnswer(const ConstitutionCase& c, const std::string& refusal_label) {
  return c.refuse ? refusal_label : c.label;
}

}  // namespace kaizen::config
